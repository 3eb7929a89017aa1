import type { CombinedError } from '@urql/core';
import { compareStamps } from './hlc.ts';
import type { OutboxEntry, OutboxStore } from './outbox.ts';
import type { Replica } from './replica.ts';
import type { SerializedEntries, SyncStorage } from './storage/types.ts';

/**
 * The server no longer lets this user into the workspace (the member was removed, or the
 * workspace is gone): the client has stopped and deleted what it stored for the workspace.
 */
export interface RevokedEvent {
  workspaceId: string;
  error: { code: 'FORBIDDEN'; message: string };
  /**
   * The edits the server never acknowledged, in the order made: kept nowhere else any more
   * (neither on disk nor in the client), so this is the app's one chance to show or export them.
   */
  unsent: OutboxEntry[];
}

/**
 * Thrown by edits, flush() and pull() of a client whose access to its workspace was revoked.
 * An edit refused this way was never stored and is not in any `revoked` event.
 */
export class WorkspaceRevokedError extends Error {
  readonly code = 'WORKSPACE_REVOKED';

  constructor(workspaceId: string) {
    super(`Access to workspace ${workspaceId} was revoked; its local data was deleted`);
    this.name = 'WorkspaceRevokedError';
  }
}

/**
 * The request-level FORBIDDEN of an answer, if it has one. Per-change refusals (a FORBIDDEN
 * ChangeResult inside a successful pushChanges) are data, not errors, and never show here.
 */
export function forbiddenError(error: CombinedError | undefined): { message: string } | undefined {
  return error?.graphQLErrors.find((candidate) => candidate.extensions?.code === 'FORBIDDEN');
}

/**
 * What a FORBIDDEN catch-up means: every role may read its workspace, so a refused
 * changesSince says the user is no longer a member (or the workspace is gone). A refused push
 * alone does not: a VIEWER may not push and stays a member.
 */
export type Access = 'member' | 'revoked' | 'unknown';

export function accessFromCatchUp(answered: boolean, error: CombinedError | undefined): Access {
  if (answered) return 'member';
  return forbiddenError(error) ? 'revoked' : 'unknown';
}

/**
 * Deletes the workspace's outbox (record and journal) and replica (entities and cursor), and
 * returns every edit that was still unsent: the ones this client holds in memory and the ones
 * only storage had (another process sharing it, a journal entry not yet moved), each once.
 */
export async function purgeWorkspace(parts: {
  workspaceId: string;
  inMemory: readonly OutboxEntry[];
  outbox: OutboxStore | undefined;
  replica: Replica | undefined;
  /** Graphcache's persisted entries, and the cache keys of the workspace's entities. */
  cache: { storage: SyncStorage | undefined; entityKeys: readonly string[] };
}): Promise<OutboxEntry[]> {
  const stored = (await parts.outbox?.purge()) ?? [];
  await parts.replica?.purge();
  if (parts.cache.storage) {
    await purgeCacheEntries(parts.cache.storage, parts.workspaceId, parts.cache.entityKeys);
  }
  const unsent = new Map<string, OutboxEntry>();
  for (const entry of [...stored, ...parts.inMemory]) unsent.set(entry.mutationId, entry);
  return [...unsent.values()].sort((a, b) => compareStamps(a.hlc, b.hlc));
}

/**
 * Deletes graphcache's persisted entries of the workspace: every field of its entities (keys
 * "<Type>:<id>.<field>") and every root field naming the workspace or one of its entities
 * (`Query.changesSince({"workspaceId":...})`, `Query.task({"id":...})`). Other workspaces
 * sharing the storage keep theirs.
 */
async function purgeCacheEntries(
  storage: SyncStorage,
  workspaceId: string,
  entityKeys: readonly string[],
): Promise<void> {
  const entities = new Set(entityKeys);
  const ids = new Set([workspaceId, ...entityKeys.map((key) => key.slice(key.indexOf(':') + 1))]);
  const delta: SerializedEntries = {};
  for (const key of Object.keys(await storage.readData())) {
    const owner = key.slice(0, key.indexOf('.'));
    const named = key.match(/[\w-]{16,}/g) ?? [];
    if (entities.has(owner) || named.some((word) => ids.has(word))) delta[key] = undefined;
  }
  if (Object.keys(delta).length > 0) await storage.writeData(delta);
}
