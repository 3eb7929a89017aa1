/**
 * Stands in for the Node-only modules the client imports on demand (file storage, the `ws`
 * package), which a browser never reaches: the client takes them only without IndexedDB or
 * a global WebSocket. Keeps node:fs out of the bundle.
 */
export const WebSocket = undefined;

export function createFileStorage(): never {
  throw new Error('File storage is not available in a browser; use { indexedDB: name }');
}
