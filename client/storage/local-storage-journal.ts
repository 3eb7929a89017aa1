import type { SyncJournal } from './types.ts';

export interface WebStorage {
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
