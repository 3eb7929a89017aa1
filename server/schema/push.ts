import type { EntityType } from '../db/generated/prisma/client.ts';
import { observePush, observePushFailure } from '../observability/sync-metrics.ts';
import { publishCommitted } from '../pubsub.ts';
import { encodeCursor } from '../sync/cursor.ts';
import { pushChanges } from '../sync/push.ts';
import type { ChangeRequest, ChangeResult, SyncError } from '../sync/types.ts';
import { builder } from './builder.ts';
import { ConflictObject } from './conflict.ts';
import { requireUser } from './context.ts';
import { ChangeStatusEnum, TaskStatusEnum } from './enums.ts';
import { SyncEntityUnion } from './sync-record.ts';

const ProjectPatch = builder.inputType('ProjectPatch', {
  fields: (t) => ({
    name: t.string(),
    color: t.string(),
    archived: t.boolean(),
  }),
});

const TaskPatch = builder.inputType('TaskPatch', {
  fields: (t) => ({
    projectId: t.id(),
    title: t.string(),
    notes: t.string(),
    status: t.field({ type: TaskStatusEnum }),
    priority: t.int(),
    tagsAdd: t.stringList(),
    tagsRemove: t.stringList(),
    assigneeId: t.id(),
    dueAt: t.field({ type: 'DateTime' }),
    estimateMinutes: t.int(),
    timeSpentDelta: t.int(),
    sortKey: t.string(),
  }),
});

const CommentPatch = builder.inputType('CommentPatch', {
  fields: (t) => ({
    taskId: t.id(),
    body: t.string(),
  }),
});

// The three change inputs differ only in their patch type.
function changeInput<Patch extends typeof ProjectPatch | typeof TaskPatch | typeof CommentPatch>(
  name: string,
  patch: Patch,
) {
  return builder.inputType(name, {
    fields: (t) => ({
      mutationId: t.id({
        required: true,
        description: 'Unique per client: a replay with the same id is answered DUPLICATE.',
      }),
      id: t.id({
        required: true,
        description: 'The entity id, chosen by the client for creates (UUIDv7 or ULID).',
      }),
      baseVersion: t.int({
        description: 'The entity version the client last saw; 0 or null for a create.',
      }),
      hlc: t.string({ description: 'Hybrid logical clock "<unixMillis>:<counter>" of the edit.' }),
      delete: t.boolean(),
      patch: t.field({ type: patch }),
    }),
  });
}

const ProjectChange = changeInput('ProjectChange', ProjectPatch);
const TaskChange = changeInput('TaskChange', TaskPatch);
const CommentChange = changeInput('CommentChange', CommentPatch);

const ChangeInput = builder.inputType('ChangeInput', {
  isOneOf: true,
  fields: (t) => ({
    project: t.field({ type: ProjectChange }),
    task: t.field({ type: TaskChange }),
    comment: t.field({ type: CommentChange }),
  }),
});

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
      resolve: (result) => result.entity as never,
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

type ChangeInputShape = typeof ChangeInput.$inferInput;

function toChangeRequest(input: ChangeInputShape): ChangeRequest {
  const [entityType, change] = input.project
    ? (['PROJECT', input.project] as const)
    : input.task
      ? (['TASK', input.task] as const)
      : (['COMMENT', input.comment] as const);
  if (!change) throw new Error('ChangeInput is @oneOf: graphql-js guarantees one field');
  return {
    entityType: entityType as EntityType,
    mutationId: change.mutationId,
    id: change.id,
    baseVersion: change.baseVersion ?? null,
    hlc: change.hlc ?? null,
    delete: change.delete ?? false,
    patch: (change.patch as Record<string, unknown> | null | undefined) ?? null,
  };
}

builder.mutationFields((t) => ({
  pushChanges: t.field({
    type: PushChangesPayload,
    description:
      'Applies a batch of changes in order, each on its own merits, and reports per change whether it was applied, merged, conflicted, rejected or a duplicate.',
    args: { input: t.arg({ type: PushChangesInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const { prisma, config, pubsub } = context.services;
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
          prisma,
          requireUser(context),
          {
            workspaceId: input.workspaceId,
            clientId: input.clientId,
            changes: input.changes.map(toChangeRequest),
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
