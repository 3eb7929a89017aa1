import type { SyncStatus } from '../../client/index.ts';

/**
 * Online or offline, and how many local edits the server has not acknowledged yet. The
 * client follows the browser's online and offline events itself, so its status is the truth.
 */
export function SyncBadge({ status }: { status: SyncStatus }) {
  const state = status.online ? 'online' : 'offline';
  return (
    <p className={`badge badge-${state}`} role="status" aria-live="polite" data-state={state}>
      <span className="dot" aria-hidden="true" />
      <span className="badge-state">{status.online ? 'Online' : 'Offline'}</span>
      <span className="badge-pending">
        {status.pending === 1 ? '1 pending change' : `${status.pending} pending changes`}
      </span>
      {status.rejected > 0 ? (
        <span className="badge-rejected">{status.rejected} rejected</span>
      ) : null}
    </p>
  );
}
