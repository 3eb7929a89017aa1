import type { CombinedError } from '@urql/core';
import { compareStamps } from './hlc.ts';
import type { OutboxEntry, OutboxStore } from './outbox.ts';
import type { Replica } from './replica.ts';

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
  inMemory: readonly OutboxEntry[];
  outbox: OutboxStore | undefined;
  replica: Replica | undefined;
}): Promise<OutboxEntry[]> {
  const stored = (await parts.outbox?.purge()) ?? [];
  await parts.replica?.purge();
  const unsent = new Map<string, OutboxEntry>();
  for (const entry of [...stored, ...parts.inMemory]) unsent.set(entry.mutationId, entry);
  return [...unsent.values()].sort((a, b) => compareStamps(a.hlc, b.hlc));
}
