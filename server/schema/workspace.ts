import type { Member } from '../db/generated/prisma/client.ts';
import { encodeCursor } from '../sync/cursor.ts';
import {
  addMember,
  createWorkspace,
  listWorkspaces,
  removeMember,
  type WorkspaceView,
} from '../sync/workspaces.ts';
import type { Builder } from './builder.ts';
import { requireUser } from './context.ts';
import type { Enums } from './enums.ts';

/** Workspaces and their members: the platform types, queries and mutations. */
export function registerWorkspaces(builder: Builder, { RoleEnum }: Enums): void {
  const MemberObject = builder.objectRef<Member>('Member').implement({
    fields: (t) => ({
      userId: t.exposeID('userId'),
      role: t.expose('role', { type: RoleEnum }),
    }),
  });

  const WorkspaceObject = builder.objectRef<WorkspaceView>('Workspace').implement({
    fields: (t) => ({
      id: t.exposeID('id'),
      name: t.exposeString('name'),
      role: t.expose('role', { type: RoleEnum, description: "The signed-in user's role here." }),
      cursor: t.field({
        type: 'Cursor',
        description: 'The workspace cursor now: changesSince from here returns only later changes.',
        resolve: (workspace) => encodeCursor(workspace.seq),
      }),
      members: t.expose('members', { type: [MemberObject] }),
    }),
  });

  builder.queryFields((t) => ({
    me: t.id({
      nullable: true,
      description: 'The signed-in user id, or null without a token.',
      resolve: (_root, _args, context) => context.user?.userId ?? null,
    }),
    workspaces: t.field({
      type: [WorkspaceObject],
      description: 'The workspaces the signed-in user belongs to.',
      resolve: (_root, _args, context) =>
        listWorkspaces(context.services.prisma, requireUser(context)),
    }),
  }));

  builder.mutationFields((t) => ({
    createWorkspace: t.field({
      type: WorkspaceObject,
      description: 'Creates a workspace with the signed-in user as its ADMIN.',
      args: { name: t.arg.string({ required: true }) },
      resolve: (_root, { name }, context) =>
        createWorkspace(context.services.prisma, requireUser(context), name),
    }),
    addMember: t.field({
      type: MemberObject,
      description: "Adds a member or changes a member's role (ADMIN only).",
      args: {
        workspaceId: t.arg.id({ required: true }),
        userId: t.arg.id({ required: true }),
        role: t.arg({ type: RoleEnum, required: true }),
      },
      resolve: (_root, args, context) =>
        addMember(
          context.services.prisma,
          requireUser(context),
          args.workspaceId,
          args.userId,
          args.role,
        ),
    }),
    removeMember: t.boolean({
      description:
        'Removes a member (ADMIN only); false when they were not one. The last ADMIN stays.',
      args: {
        workspaceId: t.arg.id({ required: true }),
        userId: t.arg.id({ required: true }),
      },
      resolve: async (_root, args, context) => {
        const { prisma, pubsub } = context.services;
        const removed = await removeMember(
          prisma,
          requireUser(context),
          args.workspaceId,
          args.userId,
        );
        // Open subscriptions of the removed user end with FORBIDDEN.
        if (removed)
          pubsub.publish('membershipChanged', args.workspaceId, {
            userId: args.userId,
            role: null,
          });
        return removed;
      },
    }),
  }));
}
