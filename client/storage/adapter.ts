import { Mutex } from './mutex.ts';
import type { ItemUpdate, SerializedEntries, StorageAdapter, SyncStorage } from './types.ts';

// Records live among graphcache's entries under keys graphcache never makes (its keys are
// "<entity>.<field>"; these contain no dot after the prefix).
const ITEM_PREFIX = 'converge:';

/**
 * Any urql StorageAdapter as a SyncStorage: Converge's records are kept among its entries
 * and hidden from graphcache. Such an adapter cannot lock, so only one process or tab may
 * use it at a time; Converge's own adapters do not have that limit.
 */
export function fromStorageAdapter(adapter: StorageAdapter): SyncStorage {
  const mutex = new Mutex();
  let items: Promise<Map<string, string>> | undefined;
  const loadItems = () => {
    items ??= adapter.readData().then((entries) => {
      const found = new Map<string, string>();
      for (const [key, value] of Object.entries(entries)) {
        if (key.startsWith(ITEM_PREFIX) && value !== undefined) {
          found.set(key.slice(ITEM_PREFIX.length), value);
        }
      }
      return found;
    });
    return items;
  };

  return {
    async readData() {
      const entries = await adapter.readData();
      const visible: SerializedEntries = {};
      for (const [key, value] of Object.entries(entries)) {
        if (!key.startsWith(ITEM_PREFIX)) visible[key] = value;
      }
      return visible;
    },
    writeData: (delta) => adapter.writeData(delta),
    readMetadata: () => adapter.readMetadata?.() ?? Promise.resolve(null),
    writeMetadata: (json) => adapter.writeMetadata?.(json),
    onOnline: (callback) => adapter.onOnline?.(callback),
    ...(adapter.onCacheHydrated ? { onCacheHydrated: () => adapter.onCacheHydrated?.() } : {}),
    async getItem(key) {
      return (await loadItems()).get(key);
    },
    updateItem(key: string, update: ItemUpdate) {
      return mutex.run(async () => {
        const loaded = await loadItems();
        const next = await update(loaded.get(key));
        if (next === undefined) loaded.delete(key);
        else loaded.set(key, next);
        await adapter.writeData({ [ITEM_PREFIX + key]: next });
        return next;
      });
    },
    async close() {
      await mutex.run(async () => undefined);
    },
  };
}
