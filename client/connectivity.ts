/**
 * What the device itself says about its network. Without it the client learns it is offline
 * only when a request fails (with nothing to send, that can take a while) and learns it is
 * back only when a backoff timer runs out (up to `retry.maxMs` later). Browsers know both at
 * once: `navigator.onLine` and the window's `offline` / `online` events.
 */
export interface Connectivity {
  /** False when the device knows it has no network; true or undefined is only a hint. */
  online(): boolean | undefined;
  /** Calls `listener` when the device goes offline or comes back; returns an unsubscribe. */
  subscribe(listener: (online: boolean) => void): () => void;
}

interface BrowserGlobals {
  navigator?: { onLine?: unknown };
  addEventListener?: (type: string, listener: () => void) => void;
  removeEventListener?: (type: string, listener: () => void) => void;
}

/** The browser's verdict, where there is one (undefined in Node). */
export function browserConnectivity(
  globals: BrowserGlobals = globalThis as BrowserGlobals,
): Connectivity | undefined {
  const { addEventListener, removeEventListener } = globals;
  if (typeof globals.navigator?.onLine !== 'boolean') return undefined;
  if (typeof addEventListener !== 'function' || typeof removeEventListener !== 'function') {
    return undefined;
  }
  return {
    online: () => globals.navigator?.onLine === true,
    subscribe(listener) {
      const online = () => listener(true);
      const offline = () => listener(false);
      addEventListener.call(globals, 'online', online);
      addEventListener.call(globals, 'offline', offline);
      return () => {
        removeEventListener.call(globals, 'online', online);
        removeEventListener.call(globals, 'offline', offline);
      };
    },
  };
}
