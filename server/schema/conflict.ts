import { publishCommitted } from '../pubsub.ts';
import { listConflicts, resolveConflict } from '../sync/conflicts.ts';
import type { Builder } from './builder.ts';
import { requireUser } from './context.ts';
import type { Enums } from './enums.ts';

/** The Conflict type (a platform table, read through Prisma), its query and its resolution. */
export function registerConflicts(builder: Builder, enums: Enums) {
  const { ConflictChoiceEnum, ConflictStatusEnum, EntityTypeEnum } = enums;
  const ConflictObject = builder.prismaObject('Conflict', {
    description:
      'A change that could not be merged automatically; people resolve it with resolveConflict.',
    fields: (t) => ({
      id: t.exposeID('id'),
      workspaceId: t.exposeID('workspaceId'),
      entityType: t.expose('entityType', { type: EntityTypeEnum }),
      entityId: t.exposeID('entityId'),
      field: t.exposeString('field', {
        description: 'The conflicting field, or `_deleted` for an edit of a deleted entity.',
      }),
      baseValue: t.expose('baseValue', { type: 'JSON', nullable: true }),
      localValue: t.expose('localValue', { type: 'JSON', nullable: true }),
      serverValue: t.expose('serverValue', { type: 'JSON', nullable: true }),
      status: t.expose('status', { type: ConflictStatusEnum }),
      resolution: t.expose('resolution', { type: 'JSON', nullable: true }),
      actorId: t.exposeID('actorId', { nullable: true }),
      clientId: t.exposeID('clientId', { nullable: true }),
      createdAt: t.expose('createdAt', { type: 'DateTime' }),
      resolvedAt: t.expose('resolvedAt', { type: 'DateTime', nullable: true }),
      resolvedBy: t.exposeID('resolvedBy', { nullable: true }),
    }),
  });

  builder.queryFields((t) => ({
    conflicts: t.field({
      type: [ConflictObject],
      description:
        'Conflicts of a workspace, oldest first. Page with `after`: the id of the last conflict seen.',
      args: {
        workspaceId: t.arg.id({ required: true }),
        status: t.arg({ type: ConflictStatusEnum }),
        first: t.arg.int({ defaultValue: 50 }),
        after: t.arg.string(),
      },
      resolve: (_root, args, context) =>
        listConflicts(context.services.prisma, requireUser(context), {
          workspaceId: args.workspaceId,
          status: args.status,
          first: args.first ?? 50,
          after: args.after,
        }),
    }),
  }));

  builder.mutationFields((t) => ({
    resolveConflict: t.field({
      type: ConflictObject,
      description:
        'SERVER keeps the server value, LOCAL applies the local value, CUSTOM applies `value`. The resolution is itself an applied change.',
      args: {
        id: t.arg.id({ required: true }),
        choice: t.arg({ type: ConflictChoiceEnum, required: true }),
        value: t.arg({ type: 'JSON' }),
      },
      resolve: async (_root, args, context) => {
        const { sql, pubsub } = context.services;
        const result = await resolveConflict(sql, requireUser(context), {
          id: args.id,
          choice: args.choice,
          value: args.value,
        });
        publishCommitted(pubsub, result.committed, [result.conflict]);
        return result.conflict;
      },
    }),
  }));

  return ConflictObject;
}

export type ConflictObjectRef = ReturnType<typeof registerConflicts>;
