import type { ModelDescription } from '../../model/index.ts';
import { observePush, observePushFailure } from '../observability/sync-metrics.ts';
import { publishCommitted } from '../pubsub.ts';
import { encodeCursor } from '../sync/cursor.ts';
import { pushChanges } from '../sync/push.ts';
import type { ChangeResult, SyncError } from '../sync/types.ts';
import type { Builder } from './builder.ts';
import type { ConflictObjectRef } from './conflict.ts';
import { requireUser } from './context.ts';
import { type ChangeInputShape, registerEntityInputs } from './entity-inputs.ts';
import type { EntityObjects } from './entity-objects.ts';
import type { Enums } from './enums.ts';

/** The push inputs (from the model) and results, and the `pushChanges` mutation. */
export function registerPush(
  builder: Builder,
  model: ModelDescription,
  enums: Enums,
  entities: EntityObjects,
  ConflictObject: ConflictObjectRef,
): void {
  const { ChangeInput, toChangeRequest } = registerEntityInputs(builder, model, enums.modelEnums);
  const { ChangeStatusEnum } = enums;
  const { SyncEntityUnion } = entities;

  const PushChangesInput = builder.inputType('PushChangesInput', {
    fields: (t) => ({
      workspaceId: t.id({ required: true }),
      clientId: t.id({ required: true }),
      changes: t.field({ type: [ChangeInput], required: true }),
    }),
  });

  const SyncErrorObject = builder.objectRef<SyncError>('SyncError').implement({
    fields: (t) => ({
      code: t.exposeString('code'),
      message: t.exposeString('message'),
      field: t.exposeString('field', { nullable: true }),
    }),
  });

  const ChangeResultObject = builder.objectRef<ChangeResult>('ChangeResult').implement({
    fields: (t) => ({
      mutationId: t.exposeID('mutationId'),
      status: t.expose('status', { type: ChangeStatusEnum }),
      entity: t.field({
        type: SyncEntityUnion,
        nullable: true,
        resolve: (result) => result.entity,
      }),
      conflict: t.expose('conflict', { type: ConflictObject, nullable: true }),
      error: t.expose('error', { type: SyncErrorObject, nullable: true }),
      mergedFields: t.exposeStringList('mergedFields'),
    }),
  });

  const PushChangesPayload = builder
    .objectRef<{ results: ChangeResult[]; cursor: string }>('PushChangesPayload')
    .implement({
      fields: (t) => ({
        results: t.expose('results', { type: [ChangeResultObject] }),
        cursor: t.expose('cursor', {
          type: 'Cursor',
          description: 'The workspace cursor after this push.',
        }),
      }),
    });

  builder.mutationFields((t) => ({
    pushChanges: t.field({
      type: PushChangesPayload,
      description:
        'Applies a batch of changes in order, each on its own merits, and reports per change whether it was applied, merged, conflicted, rejected or a duplicate.',
      args: { input: t.arg({ type: PushChangesInput, required: true }) },
      resolve: async (_root, { input }, context) => {
        const { sql, config, pubsub } = context.services;
        const started = performance.now();
        const observation = () => ({
          requestId: context.requestId,
          userId: context.user?.userId ?? null,
          workspaceId: input.workspaceId,
          clientId: input.clientId,
          changes: input.changes.length,
          durationMs: performance.now() - started,
        });
        let result: Awaited<ReturnType<typeof pushChanges>>;
        try {
          result = await pushChanges(
            sql,
            requireUser(context),
            {
              workspaceId: input.workspaceId,
              clientId: input.clientId,
              changes: input.changes.map((change) => toChangeRequest(change as ChangeInputShape)),
            },
            { maxBatch: config.maxBatch },
          );
        } catch (error) {
          observePushFailure(context.services, observation(), error);
          throw error;
        }
        // Logged as soon as the transaction committed: the line's time is the commit time.
        observePush(context.services, observation(), result);
        publishCommitted(pubsub, result.committed, result.openedConflicts);
        return { results: result.results, cursor: encodeCursor(result.seq) };
      },
    }),
  }));
}
