import { useEffect, useState } from 'react';
import type { SyncStatus } from '../../client/index.ts';

/**
 * The browser's own verdict: the client learns it is offline only when a request fails,
 * which with nothing to send can take a while; a browser that knows it is offline is right.
 */
function useBrowserOnline(): boolean {
  const [online, setOnline] = useState(() => navigator.onLine);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    window.addEventListener('online', update);
    window.addEventListener('offline', update);
    return () => {
      window.removeEventListener('online', update);
      window.removeEventListener('offline', update);
    };
  }, []);
  return online;
}

/** Online or offline, and how many local edits the server has not acknowledged yet. */
export function SyncBadge({ status }: { status: SyncStatus }) {
  const online = useBrowserOnline() && status.online;
  const state = online ? 'online' : 'offline';
  return (
    <p className={`badge badge-${state}`} role="status" aria-live="polite" data-state={state}>
      <span className="dot" aria-hidden="true" />
      <span className="badge-state">{online ? 'Online' : 'Offline'}</span>
      <span className="badge-pending">
        {status.pending === 1 ? '1 pending change' : `${status.pending} pending changes`}
      </span>
      {status.rejected > 0 ? (
        <span className="badge-rejected">{status.rejected} rejected</span>
      ) : null}
    </p>
  );
}
