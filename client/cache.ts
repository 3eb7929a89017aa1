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
  entityOfKind,
  fieldsReadBy,
  optimisticCreate,
  type SyncEntity,
  type Typename,
  typenameOf,
} from './entities.ts';
import type { GraphCacheConfig } from './generated/graphcache.ts';
import type { ChangeInput, PushChangesInput } from './generated/graphql.ts';
import introspection from './generated/introspection.json' with { type: 'json' };
import { clientModel, entityDocuments } from './generated/model.ts';

export interface CacheContext {
  /** The signed-in user, when the token says (optimistic creates show them as author). */
  userId(): string | null;
  now(): number;
  /** The newest server copy of an entity the client has seen (the replica). */
  latest(typename: string, id: string): SyncEntity | undefined;
  /**
   * While the engine hydrates a workspace's full list (see hydrationOf): the keys of the stored
   * entities that belong in it; otherwise undefined.
   */
  hydration(workspaceId: string): readonly string[] | undefined;
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
      Query: entityQueryResolvers(context),
      // Undefined (no list cached) is a cache miss, as without a resolver.
      ChangeBatch: {
        entities: (_parent, _args, cache, info) => listEntries(cache, info, context) as never,
      },
    },
    optimistic: {
      pushChanges: (args, cache) => optimisticPayload(args.input, cache, context),
    },
    updates: {
      Mutation: {
        pushChanges: (result, _args, cache, info) => {
          const entities = (result.pushChanges?.results ?? []).map((change) => change?.entity);
          written(cache, info, entities, context);
        },
      },
      Subscription: {
        entityChanged: (result, _args, cache, info) => {
          written(cache, info, [result.entityChanged?.entity], context);
        },
      },
      Query: {
        changesSince: (result, args, cache, info) => {
          const batch = result.changesSince;
          if (batch && batch.entities === undefined) linkHydration(cache, args, context);
          else written(cache, info, batch?.entities ?? [], context);
        },
      },
    },
  };
}

type QueryResolvers = NonNullable<NonNullable<GraphCacheConfig['resolvers']>['Query']>;

/** `<queryField>(id:)` of every entity type, e.g. `task(id:)`, answered by entityOrStored. */
function entityQueryResolvers(context: CacheContext): QueryResolvers {
  return Object.fromEntries(
    clientModel.entities.map((entity) => [
      entity.queryField,
      (_parent: unknown, args: { id: string | number }, cache: Cache, info: ResolveInfo) =>
        entityOrStored(cache, info, context, entity.name as Typename, String(args.id)),
    ]),
  ) as QueryResolvers;
}

// An entity already in the cache answers by key; one only stored answers with the stored copy
// (see Lazy hydration below); otherwise whatever the server said for the field (null for an
// unknown id), so a missing entity is fetched instead of looping.
function entityOrStored(
  cache: Cache,
  info: ResolveInfo,
  context: CacheContext,
  typename: Typename,
  id: string,
): DataFields | string {
  const key = entityKey(typename, id);
  if (cache.resolve(key, 'id') != null) return key;
  const stored = context.latest(typename, id);
  if (stored) return stored as unknown as DataFields;
  // The generated typings leave out null, which graphcache takes for a nullable field.
  return cache.resolve(info.parentKey, info.fieldName, info.variables as Variables) as string;
}

/*
 * Lazy hydration. A restart used to write every stored entity into graphcache before `ready`:
 * seconds for 100,000 entities, most of them never shown. Now the engine only links the keys
 * of the stored entities into the workspace's full list (one write, whatever the count), and
 * reads fall back to the stored copy of an entity graphcache does not hold yet: list entries
 * here, `task(id)` in entityOrStored, the base of an optimistic update in optimisticEntity.
 * An entity the cache holds (written by a pull, a live event, a push result or an optimistic
 * edit) answers from the cache, as before. Graphcache records a dependency on every field it
 * reads, stored copies included, so a later write of the entity updates the app's queries.
 */

/** The engine's hydration write: a full-list answer without entities (see hydrationOf). */
function linkHydration(cache: Cache, args: Variables, context: CacheContext): void {
  const keys = typeof args.workspaceId === 'string' && context.hydration(args.workspaceId);
  if (!keys || args.cursor != null) return;
  const batch = cache.resolve('Query', 'changesSince', args);
  if (typeof batch === 'string') cache.link(batch, 'entities', [...keys]);
}

/** A list's entries: keys of cached entities, stored copies of the others. */
function listEntries(
  cache: Cache,
  info: ResolveInfo,
  context: CacheContext,
): (string | DataFields)[] | undefined {
  const keys = cache.resolve(info.parentKey, info.fieldName);
  if (!Array.isArray(keys)) return undefined;
  const entries: (string | DataFields)[] = [];
  for (const key of keys as (string | null)[]) {
    if (typeof key !== 'string') continue;
    if (cache.resolve(key, 'id') != null) {
      entries.push(key);
      continue;
    }
    const split = key.indexOf(':');
    const stored = context.latest(key.slice(0, split), key.slice(split + 1));
    if (stored) entries.push(stored as unknown as DataFields);
  }
  return entries;
}

function optimisticPayload(input: PushChangesInput, cache: Cache, context: CacheContext) {
  const now = new Date(context.now()).toISOString();
  return {
    __typename: 'PushChangesPayload' as const,
    cursor: '',
    results: input.changes.map((change) => {
      const [kind, body] = changeEntry(change);
      const entity = optimisticEntity(cache, context, kind, body, {
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
  const entry = Object.entries(change).find(([kind, body]) => body && entityOfKind(kind));
  if (!entry) {
    const kinds = clientModel.entities.map((entity) => entity.changeInputKey).join(', ');
    throw new Error(`A ChangeInput names exactly one of ${kinds}`);
  }
  return entry as [EntityKind, ChangeBody];
}

function optimisticEntity(
  cache: Cache,
  context: CacheContext,
  kind: EntityKind,
  body: ChangeBody,
  author: { userId: string | null; workspaceId: string; now: string },
) {
  const typename = typenameOf[kind];
  const key = entityKey(typename, body.id);
  const known = cache.resolve(key, 'id') != null;
  const patch = body.patch ?? {};
  // Only stored (lazy hydration): the whole entity goes into the cache, edited, so that
  // reading it from the cache finds every field.
  const stored = known
    ? undefined
    : (context.latest(typename, body.id) as Record<string, unknown> | undefined);
  if (body.delete) return { ...stored, __typename: typename, id: body.id, deleted: true } as never;
  if (!known && body.baseVersion === 0) {
    return optimisticCreate(typename, body.id, patch, author) as never;
  }
  if (stored) return { ...stored, ...applyPatch(typename, stored, patch) } as never;
  // An update writes only the fields it changes; the rest of the entity stays as cached.
  const current: Record<string, unknown> = {};
  for (const field of fieldsReadBy(typename, patch)) current[field] = cache.resolve(key, field);
  return { __typename: typename, id: body.id, ...applyPatch(typename, current, patch) } as never;
}

/**
 * After graphcache wrote entities: if the client has meanwhile seen a newer version of one,
 * write that one over it. Graphcache holds a mutation's result back until every optimistic
 * mutation in flight has its own, then applies it above what arrived in between (a live event
 * with a later version, say): without this, that older copy would win. Then the lists are
 * reconciled once for all of them: a page of a catch-up or a hydration holds up to every
 * stored entity, and a pass per entity over every list would be quadratic.
 */
function written(
  cache: Cache,
  info: ResolveInfo,
  data: readonly unknown[],
  context: CacheContext,
): void {
  const entities: DataFields[] = [];
  for (const item of data) {
    if (item) entities.push(newestOf(cache, info, item as DataFields, context));
  }
  if (entities.length > 0) reconcileLists(cache, entities);
}

function newestOf(
  cache: Cache,
  info: ResolveInfo,
  entity: DataFields,
  context: CacheContext,
): DataFields {
  if (info.optimistic || typeof entity.id !== 'string' || typeof entity.version !== 'number') {
    return entity;
  }
  const typename = String(entity.__typename) as Typename;
  const newer = context.latest(typename, entity.id);
  const fragment = entityDocuments[typename]?.fragment;
  if (!newer || newer.version <= entity.version || !fragment) return entity;
  cache.writeFragment(fragment, newer as never);
  return newer as unknown as DataFields;
}

/** Where an entity belongs in the cached lists: its key, and whether it is a tombstone. */
interface ListEntry {
  key: string;
  typename: string;
  deleted: boolean;
  workspaceId: unknown;
}

/**
 * Keeps every cached `changesSince` list right for the entities just written: a tombstone
 * leaves all of them; a live entity joins the full lists (no cursor) of its workspace whose
 * `types` admit it. Incremental pages (with a cursor) are left as the server sent them, minus
 * tombstones. Each list is read and linked at most once, whatever the number of entities.
 */
function reconcileLists(cache: Cache, entities: readonly DataFields[]): void {
  // The last copy of an entity decides, as if they had been written one after the other.
  const entries = new Map<string, ListEntry>();
  for (const entity of entities) {
    const key = cache.keyOfEntity(entity as never);
    if (!key) continue;
    entries.set(key, {
      key,
      typename: String(entity.__typename),
      deleted: (entity.deleted ?? cache.resolve(key, 'deleted')) === true,
      workspaceId: entity.workspaceId ?? cache.resolve(key, 'workspaceId'),
    });
  }
  if (entries.size === 0) return;
  for (const field of cache.inspectFields('Query')) {
    if (field.fieldName !== 'changesSince') continue;
    const batch = cache.resolve('Query', field.fieldKey);
    if (typeof batch !== 'string') continue;
    const list = cache.resolve(batch, 'entities');
    if (!Array.isArray(list)) continue;
    const keys = list as (string | null)[];
    const next = reconciledList(keys, entries.values(), field.arguments);
    if (next) cache.link(batch, 'entities', next);
  }
}

/** The list with the entries applied, or null when it stays as it is. */
function reconciledList(
  keys: readonly (string | null)[],
  entries: Iterable<ListEntry>,
  args: Variables | null,
): (string | null)[] | null {
  const present = new Set(keys);
  const removed = new Set<string>();
  const added: string[] = [];
  for (const entry of entries) {
    if (entry.deleted) {
      if (present.has(entry.key)) removed.add(entry.key);
    } else if (!present.has(entry.key) && isFullList(args, entry.typename, entry.workspaceId)) {
      present.add(entry.key);
      added.push(entry.key);
    }
  }
  if (removed.size === 0 && added.length === 0) return null;
  const kept = removed.size === 0 ? [...keys] : keys.filter((key) => !key || !removed.has(key));
  return [...kept, ...added];
}

const entityTypeOf = new Map<string, string>(
  clientModel.entities.map((entity) => [entity.name, entity.entityType]),
);

function isFullList(args: Variables | null, typename: string, workspaceId: unknown): boolean {
  if (!args || args.cursor != null) return false;
  if (workspaceId != null && args.workspaceId !== workspaceId) return false;
  const types = args.types as string[] | null | undefined;
  return !types || types.includes(entityTypeOf.get(typename) ?? '');
}
