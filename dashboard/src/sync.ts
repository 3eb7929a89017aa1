import { useEffect, useState } from 'react';
import { createSyncClient, type SyncClient, type SyncStatus } from '../../client/index.ts';
import { graphqlUrl } from './session.ts';

// Bound to window: the client calls timers as methods of an options object, which browsers
// refuse ("Illegal invocation") for the unbound globals. Remove once client/index.ts binds
// its default timers itself.
const timers = {
  setTimeout: globalThis.setTimeout.bind(globalThis),
  clearTimeout: globalThis.clearTimeout.bind(globalThis),
} as { setTimeout: typeof setTimeout; clearTimeout: typeof clearTimeout };

/** One IndexedDB database for the page: the client keeps each workspace's records apart. */
const STORAGE = { indexedDB: 'converge-dashboard' };

/**
 * The workspace's sync client, for as long as the component using it is mounted: closing it
 * on unmount persists the outbox and releases its socket before another one opens.
 */
export function useSyncClient(token: string, workspaceId: string): SyncClient | null {
  const [sync, setSync] = useState<SyncClient | null>(null);
  useEffect(() => {
    const client = createSyncClient({
      url: graphqlUrl(),
      getToken: () => token,
      workspaceId,
      storage: STORAGE,
      timers,
    });
    setSync(client);
    return () => {
      setSync(null);
      void client.close();
    };
  }, [token, workspaceId]);
  return sync;
}

/** The client's status, re-rendered on every change. */
export function useSyncStatus(sync: SyncClient): SyncStatus {
  const [status, setStatus] = useState(() => sync.status);
  useEffect(() => {
    setStatus(sync.status);
    return sync.onStatus(setStatus);
  }, [sync]);
  return status;
}
