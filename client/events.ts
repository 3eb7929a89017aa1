import type { ConflictFieldsFragment, PushChangesMutation } from './generated/graphql.ts';
import type { OutboxEntry } from './outbox.ts';
import type { RevokedEvent } from './revocation.ts';

export type ChangeResult = PushChangesMutation['pushChanges']['results'][number];
export type Conflict = ConflictFieldsFragment;

/** A snapshot of the client's sync state. */
export interface SyncStatus {
  /** The last request or connection reached the server. */
  online: boolean;
  /**
   * Storage is open and the edits stored by earlier runs are loaded. Until then `pending`
   * counts only the edits made in this run, so it is not the whole outbox yet.
   */
  ready: boolean;
  /** Local changes not yet acknowledged by the server. */
  pending: number;
  /** Where the client has caught up to in the workspace's change stream. */
  cursor: string | null;
  /** Open conflicts of the workspace that the client knows of. */
  openConflicts: number;
  /** Local changes the server rejected since this client started. */
  rejected: number;
  /**
   * The server refused the token (UNAUTHENTICATED). With getToken, requests go on, asking it
   * for a token each time; with a static token, nothing is sent until setToken().
   */
  tokenRefused: boolean;
  /**
   * The server no longer lets this user into the workspace: the client has stopped and
   * deleted the workspace's local data (see the `revoked` event).
   */
  revoked: boolean;
}

export interface SyncEvents {
  /** A change of this client opened a conflict; the server kept its value for that field. */
  conflict: { change: OutboxEntry; result: ChangeResult; conflict: Conflict };
  /** The server refused a change of this client; the cache shows the server's state again. */
  rejected: {
    change: OutboxEntry;
    result: ChangeResult;
    error: NonNullable<ChangeResult['error']>;
  };
  /** Every acknowledged change, whatever its status. */
  result: { change: OutboxEntry; result: ChangeResult };
  /** The server refused the token (UNAUTHENTICATED): fired when that starts, not per request. */
  auth: { error: { code: 'UNAUTHENTICATED'; message: string } };
  /**
   * Access to the workspace was revoked: the client stopped, deleted the workspace's stored
   * data, and hands over the edits that were never sent.
   */
  revoked: RevokedEvent;
  /** Something failed in the background (storage, an unexpected server answer). */
  error: { error: unknown };
}

export type SyncEventName = keyof SyncEvents;

type Listener = (event: never) => void;

/**
 * The client's events and status snapshots, for the app: listeners by event name, and
 * status listeners told only when the snapshot differs from the last one they were told.
 */
export class SyncEventBus {
  private readonly listeners = new Map<SyncEventName, Set<Listener>>();
  private readonly statusListeners = new Set<(status: SyncStatus) => void>();
  private lastStatus = '';

  on<Name extends SyncEventName>(
    name: Name,
    listener: (event: SyncEvents[Name]) => void,
  ): () => void {
    const set = this.listeners.get(name) ?? new Set();
    set.add(listener as Listener);
    this.listeners.set(name, set);
    return () => set.delete(listener as Listener);
  }

  emit<Name extends SyncEventName>(name: Name, event: SyncEvents[Name]): void {
    for (const listener of this.listeners.get(name) ?? []) {
      (listener as (event: SyncEvents[Name]) => void)(event);
    }
  }

  onStatus(listener: (status: SyncStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  publishStatus(status: SyncStatus): void {
    const serialized = JSON.stringify(status);
    if (serialized === this.lastStatus) return;
    this.lastStatus = serialized;
    for (const listener of this.statusListeners) listener(status);
  }

  clearStatusListeners(): void {
    this.statusListeners.clear();
  }
}
