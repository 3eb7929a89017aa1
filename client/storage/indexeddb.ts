import { makeDefaultStorage } from '@urql/exchange-graphcache/default-storage';
import { Mutex } from './mutex.ts';
import {
  type ItemUpdate,
  StorageError,
  StorageErrorCode,
  type SyncJournal,
  type SyncStorage,
} from './types.ts';

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

interface WebStorage {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const JOURNAL_PREFIX = 'converge-journal';

/**
 * The journal (SyncJournal) in the page's localStorage, which is synchronous and survives a
 * reload. Undefined where there is none (workers, Node) or it refuses writes (some private
 * modes). `namespace` keeps apart the journals of storages with different names.
 */
export function localStorageJournal(
  namespace: string,
  storage: WebStorage | undefined = pageLocalStorage(),
): SyncJournal | undefined {
  if (!storage || !accepts(storage)) return undefined;
  const prefix = `${JOURNAL_PREFIX}:${namespace}:`;
  return {
    put: (key, value) => storage.setItem(prefix + key, value),
    remove(keys) {
      for (const key of keys) storage.removeItem(prefix + key);
    },
    list(keyPrefix) {
      const found: [string, string][] = [];
      for (let index = 0; index < storage.length; index++) {
        const stored = storage.key(index);
        if (!stored?.startsWith(prefix + keyPrefix)) continue;
        const value = storage.getItem(stored);
        if (value !== null) found.push([stored.slice(prefix.length), value]);
      }
      return found;
    },
  };
}

function pageLocalStorage(): WebStorage | undefined {
  try {
    // Reading the property itself throws in some sandboxed frames.
    return (globalThis as { localStorage?: WebStorage }).localStorage;
  } catch {
    return undefined;
  }
}

function accepts(storage: WebStorage): boolean {
  try {
    storage.setItem(`${JOURNAL_PREFIX}:probe`, '1');
    storage.removeItem(`${JOURNAL_PREFIX}:probe`);
    return true;
  } catch {
    return false;
  }
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
