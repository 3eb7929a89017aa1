import type { SyncStatus } from '../../client/index.ts';

/**
 * Online or offline, and how many local edits the server has not acknowledged yet. The
 * client follows the browser's online and offline events itself, so its status is the truth.
 */
/** Before `ready` the stored outbox is not read yet: the count then is only this run's edits. */
function pendingText(status: SyncStatus): string {
  const count = status.pending === 1 ? '1 pending change' : `${status.pending} pending changes`;
  if (status.ready) return count;
  return status.pending === 0 ? 'loading pending changes' : `${count}, loading stored ones`;
}

export function SyncBadge({ status }: { status: SyncStatus }) {
  const state = status.online ? 'online' : 'offline';
  return (
    <p className={`badge badge-${state}`} role="status" aria-live="polite" data-state={state}>
      <span className="dot" aria-hidden="true" />
      <span className="badge-state">{status.online ? 'Online' : 'Offline'}</span>
      <span className="badge-pending">{pendingText(status)}</span>
      {status.rejected > 0 ? (
        <span className="badge-rejected">{status.rejected} rejected</span>
      ) : null}
    </p>
  );
}
