import type { SyncJournal } from './types.ts';

/**
 * Journals: small stores written synchronously (SyncJournal in types.ts). The outbox record is
 * written asynchronously (a lock, a read, a write, an IndexedDB commit); an edit goes into a
 * journal before it shows, so a reload or a crash in that moment cannot lose it.
 */

const JOURNAL_PREFIX = 'converge-journal';

interface WebStorage {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * A journal in the page's localStorage, which is synchronous and survives a reload. Undefined
 * where there is none (workers, Node) or it refuses to be used (some private modes).
 * `namespace` keeps apart the journals of storages with different names.
 */
export function localStorageJournal(
  namespace: string,
  storage: WebStorage | undefined = defaultLocalStorage(),
): SyncJournal | undefined {
  if (!storage) return undefined;
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

function defaultLocalStorage(): WebStorage | undefined {
  try {
    // Reading the property throws in some sandboxed frames; setItem throws when disabled.
    const storage = (globalThis as { localStorage?: WebStorage }).localStorage;
    if (!storage) return undefined;
    storage.setItem(`${JOURNAL_PREFIX}:probe`, '1');
    storage.removeItem(`${JOURNAL_PREFIX}:probe`);
    return storage;
  } catch {
    return undefined;
  }
}

/** The synchronous file calls a file journal needs (node:fs), passed in by file storage. */
export interface SyncFileSystem {
  mkdirSync(path: string, options: { recursive: true }): unknown;
  openSync(path: string, flags: string): number;
  writeSync(fd: number, data: string): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  readdirSync(path: string): string[];
  readFileSync(path: string, encoding: 'utf8'): string;
  unlinkSync(path: string): void;
}

/**
 * A journal in a directory, one file per entry: written to a temporary file, fsynced and
 * renamed, so after `put` returns the entry survives the process being killed (and a power
 * cut), and a crash during `put` leaves no half entry. Files of other processes sharing the
 * directory are listed too: their entries are theirs to finish, and reading them is harmless.
 */
export function fileJournal(directory: string, fs: SyncFileSystem): SyncJournal {
  let created = false;
  const file = (key: string) => `${directory}/${encodeURIComponent(key)}.json`;
  return {
    put(key, value) {
      if (!created) fs.mkdirSync(directory, { recursive: true });
      created = true;
      const temporary = `${file(key)}.${Math.random().toString(36).slice(2)}.tmp`;
      const fd = fs.openSync(temporary, 'w');
      try {
        fs.writeSync(fd, value);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(temporary, file(key));
    },
    remove(keys) {
      for (const key of keys) {
        try {
          fs.unlinkSync(file(key));
        } catch (error) {
          if (errorCode(error) !== 'ENOENT') throw error;
        }
      }
    },
    list(keyPrefix) {
      let names: string[];
      try {
        names = fs.readdirSync(directory);
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return [];
        throw error;
      }
      const found: [string, string][] = [];
      for (const name of names) {
        if (!name.endsWith('.json')) continue;
        const key = decodeURIComponent(name.slice(0, -'.json'.length));
        if (!key.startsWith(keyPrefix)) continue;
        try {
          found.push([key, fs.readFileSync(`${directory}/${name}`, 'utf8')]);
        } catch (error) {
          // Removed by another process between the listing and the read: nothing to recover.
          if (errorCode(error) !== 'ENOENT') throw error;
        }
      }
      return found;
    },
  };
}

function errorCode(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}
