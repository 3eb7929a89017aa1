import { gql, type TypedDocumentNode } from '@urql/core';
import { entityKey, typenameOf } from './entities.ts';
import type { OutboxEntry } from './outbox.ts';
import type { Replica } from './replica.ts';

/**
 * A restart's hydration (see "Lazy hydration" in cache.ts): the workspace's full
 * `changesSince` list without its entities, answered by the engine from the replica. The
 * field and its arguments are those of the generated ChangesSince query, so an app's list
 * query reads what this writes; leaving `entities` out is what tells the cache's updater to
 * link the stored keys instead of writing every stored entity.
 */
export const HydrationDocument: TypedDocumentNode<
  {
    __typename: 'Query';
    changesSince: { __typename: 'ChangeBatch'; cursor: string; hasMore: boolean };
  },
  { workspaceId: string }
> = gql`
  query ConvergeHydration($workspaceId: ID!, $cursor: Cursor, $limit: Int, $types: [EntityType!]) {
    changesSince(workspaceId: $workspaceId, cursor: $cursor, limit: $limit, types: $types) {
      __typename
      cursor
      hasMore
    }
  }
`;

/**
 * The keys of the full list after a restart: the stored entities, then those the pending
 * edits create, less the tombstones and what the pending edits delete. The edits' optimistic
 * results are in the cache by then; linking them here is what reconciling the list would have
 * done had it existed when they were written.
 */
export function hydrationKeys(replica: Replica, pending: readonly OutboxEntry[]): string[] {
  const keyOf = (entry: OutboxEntry) => entityKey(typenameOf[entry.kind], entry.id);
  const deleted = new Set(pending.filter((entry) => entry.op === 'delete').map(keyOf));
  const keys = new Set<string>();
  for (const entity of replica.all()) {
    const key = entityKey(entity.__typename, entity.id);
    if (!entity.deleted && !deleted.has(key)) keys.add(key);
  }
  for (const entry of pending) {
    if (entry.op === 'create' && !deleted.has(keyOf(entry))) keys.add(keyOf(entry));
  }
  return [...keys];
}
