import { makeDefaultStorage } from '@urql/exchange-graphcache/default-storage';
import { localStorageJournal } from './local-storage-journal.ts';
import { Mutex } from './mutex.ts';

export { localStorageJournal } from './local-storage-journal.ts';

import {
  type ItemUpdate,
  type KeyedRecord,
  keepsStored,
  type RecordStore,
  StorageError,
  StorageErrorCode,
  type SyncStorage,
} from './types.ts';

export interface IndexedDbStorageOptions {
  /** Days graphcache keeps unread entries; Converge's own replica never expires. */
  maxAgeDays?: number;
}

const defaults: Required<IndexedDbStorageOptions> = { maxAgeDays: 365 };
const ITEMS_STORE = 'items';
/** Records keyed by [collection, record key]; the value is the KeyedRecord itself. */
const RECORDS_STORE = 'records';
/** Each collection's cursor, keyed by collection, written in the records' transaction. */
const CURSORS_STORE = 'cursors';

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
    records: indexedDbRecords(database),
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
  // Version 2 added the record stores; a database of version 1 keeps its items.
  const opening = indexedDB.open(name, 2);
  opening.onupgradeneeded = () => {
    const db = opening.result;
    for (const store of [ITEMS_STORE, RECORDS_STORE, CURSORS_STORE]) {
      if (!db.objectStoreNames.contains(store)) db.createObjectStore(store);
    }
  };
  return request(opening);
}

/**
 * Collections in an object store keyed by [collection, key]: a write is one transaction over
 * the records and the cursor, so the cursor is stored with its records or not at all. Inside
 * it each put reads the stored copy first and keeps the higher version; transactions on the
 * same stores run one after another, across tabs too, so no lock is needed.
 */
function indexedDbRecords(database: Promise<IDBDatabase>): RecordStore {
  const range = (collection: string) => IDBKeyRange.bound([collection], [collection, []]);
  return {
    async read(collection) {
      const db = await database;
      const transaction = db.transaction([RECORDS_STORE, CURSORS_STORE]);
      const [records, cursor] = await Promise.all([
        request<KeyedRecord[]>(transaction.objectStore(RECORDS_STORE).getAll(range(collection))),
        request<string | null | undefined>(transaction.objectStore(CURSORS_STORE).get(collection)),
      ]);
      if (records.length === 0 && cursor === undefined) return undefined;
      return { records, cursor: cursor ?? null };
    },
    async write(collection, changes) {
      const db = await database;
      const transaction = db.transaction([RECORDS_STORE, CURSORS_STORE], 'readwrite');
      const records = transaction.objectStore(RECORDS_STORE);
      for (const record of changes.put ?? []) {
        const key = [collection, record.key];
        const reading = records.get(key);
        reading.onsuccess = () => {
          const stored = reading.result as KeyedRecord | undefined;
          if (!keepsStored(stored, record)) records.put({ ...record }, key);
        };
      }
      for (const key of changes.remove ?? []) records.delete([collection, key]);
      if (changes.cursor !== undefined) {
        transaction.objectStore(CURSORS_STORE).put(changes.cursor, collection);
      }
      await committed(transaction);
    },
    async purge(collection) {
      const db = await database;
      const transaction = db.transaction([RECORDS_STORE, CURSORS_STORE], 'readwrite');
      transaction.objectStore(RECORDS_STORE).delete(range(collection));
      transaction.objectStore(CURSORS_STORE).delete(collection);
      await committed(transaction);
    },
  };
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
