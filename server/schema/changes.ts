import { type ChangesSinceRequest, changesSince, getEntity } from '../sync/pull.ts';
import type { EntityType } from '../sync/types.ts';
import type { Builder } from './builder.ts';
import { requireUser } from './context.ts';
import type { EntityObjects } from './entity-objects.ts';
import type { Enums } from './enums.ts';

/** changesSince's arguments as the engine takes them (also read by ./changes-since-json.ts). */
export function changesSinceRequest(args: {
  workspaceId: string;
  cursor?: string | null | undefined;
  limit?: number | null | undefined;
  types?: readonly string[] | null | undefined;
}): ChangesSinceRequest {
  return {
    workspaceId: args.workspaceId,
    cursor: args.cursor,
    limit: args.limit ?? 500,
    // Values of EntityTypeEnum, which lists exactly the model's entity types.
    types: args.types as EntityType[] | null | undefined,
  };
}

/** Pulling: `changesSince` and, per entity of the model, `<queryField>(id: ID!)`. */
export function registerChanges(
  builder: Builder,
  { EntityTypeEnum }: Enums,
  { SyncEntityUnion, objects }: EntityObjects,
): void {
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
        changesSince(context.services.sql, requireUser(context), changesSinceRequest(args)),
    }),
  }));

  builder.queryFields((t) =>
    Object.fromEntries(
      objects.map(({ entity, object }) => {
        const type = entity.entityType as EntityType;
        const field = t.field({
          type: object,
          nullable: true,
          args: { id: t.arg.id({ required: true }) },
          resolve: (_root, { id }, context) =>
            getEntity(context.services.prisma, requireUser(context), type, id),
        });
        return [entity.queryField, field];
      }),
    ),
  );
}
