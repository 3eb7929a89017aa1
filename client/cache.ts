import type {
  Cache,
  CacheExchangeOpts,
  DataFields,
  ResolveInfo,
  Variables,
} from '@urql/exchange-graphcache';
import {
  applyPatch,
  type EntityKind,
  entityKey,
  fieldsReadBy,
  optimisticCreate,
  type SyncEntity,
  type Typename,
  typenameOf,
} from './entities.ts';
import type { GraphCacheConfig } from './generated/graphcache.ts';
import {
  type ChangeInput,
  CommentFieldsFragmentDoc,
  ProjectFieldsFragmentDoc,
  type PushChangesInput,
  TaskFieldsFragmentDoc,
} from './generated/graphql.ts';
import introspection from './generated/introspection.json' with { type: 'json' };

export interface CacheContext {
  /** The signed-in user, when the token says (optimistic creates show them as author). */
  userId(): string | null;
  now(): number;
  /** The newest server copy of an entity the client has seen (the replica). */
  latest(typename: string, id: string): SyncEntity | undefined;
}

/** Types without an id live inside their parent's record. */
const embedded = (): null => null;

type ChangeBody = {
  mutationId: string;
  id: string;
  baseVersion?: number | null;
  delete?: boolean | null;
  patch?: Record<string, unknown> | null;
};

/**
 * Graphcache's configuration: schema-aware from the generated introspection, typed by the
 * generated GraphCacheConfig. Keyless types are embedded in their parents. `task(id)` and its
 * siblings read entities that pulls put in the cache without asking the network. Optimistic
 * results for pushChanges make every watching query show a local edit at once; the updaters
 * keep lists right: a tombstone leaves every list, a new entity joins every full list.
 */
export function createCacheConfig(context: CacheContext): GraphCacheConfig {
  return {
    // JSON modules type `kind` as string, not the literal unions of the introspection types.
    schema: introspection as unknown as NonNullable<CacheExchangeOpts['schema']>,
    keys: {
      ChangeBatch: embedded,
      ChangeResult: embedded,
      EntityChange: embedded,
      Member: embedded,
      PushChangesPayload: embedded,
      SyncError: embedded,
    },
    resolvers: {
      Query: {
        project: (_parent, args, cache, info) => entityOrStored(cache, info, 'Project', args.id),
        task: (_parent, args, cache, info) => entityOrStored(cache, info, 'Task', args.id),
        comment: (_parent, args, cache, info) => entityOrStored(cache, info, 'Comment', args.id),
      },
    },
    optimistic: {
      pushChanges: (args, cache) => optimisticPayload(args.input, cache, context),
    },
    updates: {
      Mutation: {
        pushChanges: (result, _args, cache, info) => {
          for (const change of result.pushChanges?.results ?? []) {
            if (change?.entity) written(cache, info, change.entity, context);
          }
        },
      },
      Subscription: {
        entityChanged: (result, _args, cache, info) => {
          const entity = result.entityChanged?.entity;
          if (entity) written(cache, info, entity, context);
        },
      },
      Query: {
        changesSince: (result, _args, cache, info) => {
          for (const entity of result.changesSince?.entities ?? []) {
            written(cache, info, entity, context);
          }
        },
      },
    },
  };
}

// An entity already in the cache answers by key; otherwise whatever the server said for the
// field (null for an unknown id), so a missing entity is fetched instead of looping.
function entityOrStored(
  cache: Cache,
  info: ResolveInfo,
  typename: Typename,
  id: string | number,
): string {
  const key = entityKey(typename, String(id));
  if (cache.resolve(key, 'id') != null) return key;
  // The generated typings leave out null, which graphcache takes for a nullable field.
  return cache.resolve(info.parentKey, info.fieldName, info.variables as Variables) as string;
}

function optimisticPayload(input: PushChangesInput, cache: Cache, context: CacheContext) {
  const now = new Date(context.now()).toISOString();
  return {
    __typename: 'PushChangesPayload' as const,
    cursor: '',
    results: input.changes.map((change) => {
      const [kind, body] = changeEntry(change);
      const entity = optimisticEntity(cache, kind, body, {
        userId: context.userId(),
        workspaceId: String(input.workspaceId),
        now,
      });
      return {
        __typename: 'ChangeResult' as const,
        mutationId: body.mutationId,
        status: 'APPLIED' as const,
        mergedFields: [],
        entity,
        conflict: null,
        error: null,
      };
    }),
  };
}

function changeEntry(change: ChangeInput): [EntityKind, ChangeBody] {
  const entry = Object.entries(change).find(([, body]) => body);
  if (!entry) throw new Error('A ChangeInput names exactly one of project, task, comment');
  return entry as [EntityKind, ChangeBody];
}

function optimisticEntity(
  cache: Cache,
  kind: EntityKind,
  body: ChangeBody,
  author: { userId: string | null; workspaceId: string; now: string },
) {
  const typename = typenameOf[kind];
  const key = entityKey(typename, body.id);
  const known = cache.resolve(key, 'id') != null;
  const patch = body.patch ?? {};
  if (body.delete) return { __typename: typename, id: body.id, deleted: true } as never;
  if (!known && body.baseVersion === 0) {
    return optimisticCreate(typename, body.id, patch, author) as never;
  }
  // An update writes only the fields it changes; the rest of the entity stays as cached.
  const current: Record<string, unknown> = {};
  for (const field of fieldsReadBy(patch)) current[field] = cache.resolve(key, field);
  return { __typename: typename, id: body.id, ...applyPatch(current, patch) } as never;
}

const fragments = {
  Project: ProjectFieldsFragmentDoc,
  Task: TaskFieldsFragmentDoc,
  Comment: CommentFieldsFragmentDoc,
} as const;

/**
 * After graphcache wrote an entity: if the client has meanwhile seen a newer version, write
 * that one over it. Graphcache holds a mutation's result back until every optimistic mutation
 * in flight has its own, then applies it above what arrived in between (a live event with a
 * later version, say): without this, that older copy would win.
 */
function written(cache: Cache, info: ResolveInfo, data: unknown, context: CacheContext): void {
  const entity = data as DataFields;
  if (!info.optimistic && typeof entity.id === 'string' && typeof entity.version === 'number') {
    const typename = String(entity.__typename) as Typename;
    const newer = context.latest(typename, entity.id);
    const fragment = fragments[typename];
    if (newer && newer.version > entity.version && fragment) {
      cache.writeFragment(fragment, newer as never);
      reconcileLists(cache, newer as unknown as DataFields);
      return;
    }
  }
  reconcileLists(cache, entity);
}

/**
 * Keeps every cached `changesSince` list right for one entity: a tombstone leaves all of
 * them; a live entity joins the full lists (no cursor) of its workspace whose `types` admit
 * it. Incremental pages (with a cursor) are left as the server sent them, minus tombstones.
 */
function reconcileLists(cache: Cache, entity: DataFields): void {
  const key = cache.keyOfEntity(entity as never);
  if (!key) return;
  const typename = String(entity.__typename);
  const deleted = (entity.deleted ?? cache.resolve(key, 'deleted')) === true;
  const workspaceId = entity.workspaceId ?? cache.resolve(key, 'workspaceId');
  for (const field of cache.inspectFields('Query')) {
    if (field.fieldName !== 'changesSince') continue;
    const batch = cache.resolve('Query', field.fieldKey);
    if (typeof batch !== 'string') continue;
    const list = cache.resolve(batch, 'entities');
    if (!Array.isArray(list)) continue;
    const keys = list as (string | null)[];
    const present = keys.includes(key);
    if (deleted && present) {
      cache.link(
        batch,
        'entities',
        keys.filter((other) => other !== key),
      );
    } else if (!deleted && !present && isFullList(field.arguments, typename, workspaceId)) {
      cache.link(batch, 'entities', [...keys, key]);
    }
  }
}

const entityTypeOf: Record<string, string> = {
  Project: 'PROJECT',
  Task: 'TASK',
  Comment: 'COMMENT',
};

function isFullList(args: Variables | null, typename: string, workspaceId: unknown): boolean {
  if (!args || args.cursor != null) return false;
  if (workspaceId != null && args.workspaceId !== workspaceId) return false;
  const types = args.types as string[] | null | undefined;
  return !types || types.includes(entityTypeOf[typename] ?? '');
}
