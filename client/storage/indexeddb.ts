import { makeDefaultStorage } from '@urql/exchange-graphcache/default-storage';
import { localStorageJournal } from './local-storage-journal.ts';
import { Mutex } from './mutex.ts';

export { localStorageJournal } from './local-storage-journal.ts';

import { type ItemUpdate, StorageError, StorageErrorCode, type SyncStorage } from './types.ts';

export interface IndexedDbStorageOptions {
  /** Days graphcache keeps unread entries; Converge's own replica never expires. */
  maxAgeDays?: number;
}

const defaults: Required<IndexedDbStorageOptions> = { maxAgeDays: 365 };
const ITEMS_STORE = 'items';

/**
 * Storage for browsers: graphcache's entries in urql's own IndexedDB storage
 * (`makeDefaultStorage`), Converge's records in a second database beside it. Each record
 * update runs under a Web Lock named after the database, so tabs sharing it take turns
 * instead of overwriting each other's outbox (urql #2881); without the Web Locks API the
 * updates of one tab are still serialised.
 */
export function createIndexedDbStorage(
  name: string,
  options: IndexedDbStorageOptions = {},
): SyncStorage {
  if (typeof indexedDB === 'undefined') {
    throw new StorageError(StorageErrorCode.UNSUPPORTED, 'IndexedDB is not available here');
  }
  const settings = { ...defaults, ...options };
  const graphcache = makeDefaultStorage({ idbName: name, maxAge: settings.maxAgeDays });
  const database = openItemsDatabase(`${name}:converge`);
  const lockName = `converge-storage:${name}`;
  const mutex = mutexFor(lockName);

  const withTabLock = <T>(section: () => Promise<T>): Promise<T> => {
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    return mutex.run(() => (locks ? (locks.request(lockName, section) as Promise<T>) : section()));
  };

  return {
    readData: () => graphcache.readData(),
    writeData: (delta) => graphcache.writeData(delta),
    readMetadata: () => graphcache.readMetadata?.() ?? Promise.resolve(null),
    writeMetadata: (json) => graphcache.writeMetadata?.(json),
    onOnline: (callback) => {
      if (typeof window !== 'undefined') graphcache.onOnline?.(callback);
    },
    // Per database name: pages of one origin share the journal as they share the database.
    journal: localStorageJournal(name),
    async getItem(key) {
      const db = await database;
      return request<string | undefined>(
        db.transaction(ITEMS_STORE).objectStore(ITEMS_STORE).get(key),
      );
    },
    updateItem(key: string, update: ItemUpdate) {
      return withTabLock(async () => {
        const db = await database;
        const current = await request<string | undefined>(
          db.transaction(ITEMS_STORE).objectStore(ITEMS_STORE).get(key),
        );
        // The update may await (encryption), and an IndexedDB transaction does not survive
        // that: read and write are two transactions, made atomic by the lock around them.
        const next = await update(current);
        const transaction = db.transaction(ITEMS_STORE, 'readwrite');
        const store = transaction.objectStore(ITEMS_STORE);
        if (next === undefined) store.delete(key);
        else store.put(next, key);
        // Done means committed, not merely accepted: a journaled edit is dropped from the
        // journal once this resolves, and a reload may come right after.
        await committed(transaction);
        return next;
      });
    },
    async close() {
      await mutex.run(async () => undefined);
      (await database).close();
    },
  };
}

// One per database name and page: handles opened twice in one page still take turns.
const mutexes = new Map<string, Mutex>();
function mutexFor(name: string): Mutex {
  let mutex = mutexes.get(name);
  if (!mutex) {
    mutex = new Mutex();
    mutexes.set(name, mutex);
  }
  return mutex;
}

function openItemsDatabase(name: string): Promise<IDBDatabase> {
  const opening = indexedDB.open(name, 1);
  opening.onupgradeneeded = () => {
    opening.result.createObjectStore(ITEMS_STORE);
  };
  return request(opening);
}

function committed(transaction: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB write aborted'));
  });
}

function request<T>(req: IDBRequest): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result as T);
    req.onerror = () => reject(req.error);
  });
}
