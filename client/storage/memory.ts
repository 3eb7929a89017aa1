import type { SerializedRequest } from '@urql/exchange-graphcache';
import { Mutex } from './mutex.ts';
import {
  applyDelta,
  type ItemUpdate,
  type KeyedRecord,
  keepsStored,
  type RecordStore,
  type SerializedEntries,
  type SyncStorage,
} from './types.ts';

/**
 * Storage in memory: for tests and for clients that must leave nothing behind. One instance
 * may be handed to several clients in turn (a "restart" in a test) since close() keeps data.
 */
export function createMemoryStorage(): SyncStorage {
  const entries: SerializedEntries = {};
  const items = new Map<string, string>();
  let metadata: SerializedRequest[] | null = null;
  const mutex = new Mutex();
  return {
    records: memoryRecords(),
    async readData() {
      return { ...entries };
    },
    async writeData(delta: SerializedEntries) {
      applyDelta(entries, delta);
    },
    async readMetadata() {
      return metadata ? structuredClone(metadata) : null;
    },
    writeMetadata(json: SerializedRequest[]) {
      metadata = structuredClone(json);
    },
    onOnline() {
      // Memory has no notion of connectivity; the sync client reports it.
    },
    async getItem(key: string) {
      return items.get(key);
    },
    updateItem(key: string, update: ItemUpdate) {
      return mutex.run(async () => {
        const next = await update(items.get(key));
        if (next === undefined) items.delete(key);
        else items.set(key, next);
        return next;
      });
    },
    async close() {
      // Reusable after close: a test "restarts" a client over the same memory.
      await mutex.run(async () => undefined);
    },
  };
}

interface MemoryCollection {
  records: Map<string, KeyedRecord>;
  cursor: string | null;
}

function memoryRecords(): RecordStore {
  const collections = new Map<string, MemoryCollection>();
  return {
    async read(name) {
      const collection = collections.get(name);
      if (!collection) return undefined;
      return { records: [...collection.records.values()], cursor: collection.cursor };
    },
    async write(name, changes) {
      let collection = collections.get(name);
      if (!collection) {
        collection = { records: new Map(), cursor: null };
        collections.set(name, collection);
      }
      for (const record of changes.put ?? []) {
        if (!keepsStored(collection.records.get(record.key), record)) {
          collection.records.set(record.key, structuredClone(record));
        }
      }
      for (const key of changes.remove ?? []) collection.records.delete(key);
      if (changes.cursor !== undefined) collection.cursor = changes.cursor;
    },
    async purge(name) {
      collections.delete(name);
    },
  };
}
