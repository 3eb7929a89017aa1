import type { SerializedEntries, StorageAdapter } from '@urql/exchange-graphcache';

export type { SerializedEntries, StorageAdapter };

/** Computes a record's next value from its current one; `undefined` removes it. */
export type ItemUpdate = (
  current: string | undefined,
) => string | undefined | Promise<string | undefined>;

/**
 * A small store written synchronously: what `put` stores survives a reload or a crash right
 * after it returns. The outbox record is written asynchronously (a lock, a read, a write), so
 * each edit is journaled before it shows and dropped from the journal once the outbox has it.
 */
export interface SyncJournal {
  put(key: string, value: string): void;
  remove(keys: readonly string[]): void;
  /** Every entry whose key starts with `prefix`, in no particular order. */
  list(prefix: string): [key: string, value: string][];
}

/**
 * One stored record of a keyed collection: `version` decides which of two copies is kept.
 * `value` is JSON data (objects, arrays, strings, numbers, booleans, null), kept as such where
 * the store can (IndexedDB structured clone, one JSON line in a file): no string inside a
 * string to encode and decode again, which is most of the cost of loading 100,000 records.
 * Stores hand out what they hold: callers treat values as read-only.
 */
export interface KeyedRecord {
  key: string;
  version: number;
  value: unknown;
}

/** What one write changes in a collection; applied all together or not at all. */
export interface RecordChanges {
  put?: readonly KeyedRecord[];
  remove?: readonly string[];
  /** Stored with the records, so a stored cursor never claims records that were not stored. */
  cursor?: string | null;
}

export interface StoredCollection {
  records: KeyedRecord[];
  cursor: string | null;
}

/**
 * Collections of keyed records (the replica's entities, one collection per workspace) written
 * a few records at a time: one edit costs O(1) storage, not a rewrite of the collection. A put
 * never replaces a stored record of a higher version (another process or tab may have stored
 * a newer copy), and the cursor is written atomically with the records beside it.
 */
export interface RecordStore {
  /** Every record of the collection and its cursor; undefined when nothing is stored. */
  read(collection: string): Promise<StoredCollection | undefined>;
  write(collection: string, changes: RecordChanges): Promise<void>;
  /** Deletes the collection's records and cursor. */
  purge(collection: string): Promise<void>;
}

/**
 * urql's StorageAdapter (graphcache's entries and metadata) plus the named records that
 * Converge keeps beside them: client id, clock, outbox, replica. `updateItem` is the one
 * write primitive for those records and is atomic against every process or tab sharing the
 * storage, so two of them appending to one outbox never overwrite each other (urql #2881).
 */
export interface SyncStorage extends StorageAdapter {
  getItem(key: string): Promise<string | undefined>;
  /** Read-modify-write under the storage's lock; resolves with the value written. */
  updateItem(key: string, update: ItemUpdate): Promise<string | undefined>;
  /**
   * Where there is one (files, browser pages): edits are journaled here synchronously. None for
   * memory (nothing survives anyway) and for encrypted storage (it would hold them in the clear).
   */
  journal?: SyncJournal | undefined;
  /**
   * Keyed collections written record by record (Converge's storages have one). Without it,
   * for instance on a plain urql StorageAdapter, a collection is kept as one record.
   */
  records?: RecordStore | undefined;
  /** Waits for buffered writes and releases files, handles and timers. */
  close(): Promise<void>;
}

export const StorageErrorCode = {
  /** The encryptionKey differs from the one the storage was written with. */
  WRONG_KEY: 'STORAGE_WRONG_KEY',
  /** A stored value fails to decrypt or parse under the right key: tampered or damaged. */
  CORRUPT: 'STORAGE_CORRUPT',
  /** Another process held the storage lock for longer than lockTimeoutMs. */
  LOCK_TIMEOUT: 'STORAGE_LOCK_TIMEOUT',
  /** The storage option names something that cannot be used here. */
  UNSUPPORTED: 'STORAGE_UNSUPPORTED',
  CLOSED: 'STORAGE_CLOSED',
} as const;

export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode];

export class StorageError extends Error {
  readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
    this.code = code;
  }
}

export function isSyncStorage(value: unknown): value is SyncStorage {
  const candidate = value as Partial<SyncStorage> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.getItem === 'function' &&
    typeof candidate.updateItem === 'function' &&
    typeof candidate.readData === 'function' &&
    typeof candidate.writeData === 'function'
  );
}

/** Applies a graphcache delta: `undefined` values delete their key. */
export function applyDelta(entries: SerializedEntries, delta: SerializedEntries): void {
  for (const [key, value] of Object.entries(delta)) {
    if (value === undefined) delete entries[key];
    else entries[key] = value;
  }
}

/** Which of two copies of a record a store keeps: the higher version, the newer on a tie. */
export function keepsStored(stored: KeyedRecord | undefined, incoming: KeyedRecord): boolean {
  return stored !== undefined && stored.version > incoming.version;
}
