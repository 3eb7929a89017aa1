import { changesSince, getEntity } from '../sync/pull.ts';
import { builder } from './builder.ts';
import { requireUser } from './context.ts';
import { EntityTypeEnum } from './enums.ts';
import { CommentObject, ProjectObject, SyncEntityUnion, TaskObject } from './sync-record.ts';

const ChangeBatchObject = builder
  .objectRef<{ entities: object[]; cursor: string; hasMore: boolean }>('ChangeBatch')
  .implement({
    fields: (t) => ({
      entities: t.field({ type: [SyncEntityUnion], resolve: (batch) => batch.entities as never }),
      cursor: t.expose('cursor', { type: 'Cursor' }),
      hasMore: t.exposeBoolean('hasMore'),
    }),
  });

builder.queryFields((t) => ({
  changesSince: t.field({
    type: ChangeBatchObject,
    description:
      'The latest state of every entity (tombstones included) changed after `cursor`, in order. Call again with the returned cursor while hasMore.',
    args: {
      workspaceId: t.arg.id({ required: true }),
      cursor: t.arg({ type: 'Cursor' }),
      limit: t.arg.int({ defaultValue: 500 }),
      types: t.arg({ type: [EntityTypeEnum] }),
    },
    resolve: (_root, args, context) =>
      changesSince(context.services.prisma, requireUser(context), {
        workspaceId: args.workspaceId,
        cursor: args.cursor,
        limit: args.limit ?? 500,
        types: args.types,
      }),
  }),
  project: t.field({
    type: ProjectObject,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, context) =>
      getEntity(context.services.prisma, requireUser(context), 'PROJECT', id) as Promise<never>,
  }),
  task: t.field({
    type: TaskObject,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, context) =>
      getEntity(context.services.prisma, requireUser(context), 'TASK', id) as Promise<never>,
  }),
  comment: t.field({
    type: CommentObject,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, context) =>
      getEntity(context.services.prisma, requireUser(context), 'COMMENT', id) as Promise<never>,
  }),
}));
