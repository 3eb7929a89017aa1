import { fromStorageAdapter } from './adapter.ts';
import { ENCRYPTION_HEADER_KEY, type EncryptionOptions, encryptStorage } from './encrypted.ts';
import { fileJournal, journalDirectory, type SyncFileSystem } from './file-journal.ts';
import { localStorageJournal } from './local-storage-journal.ts';
import { createMemoryStorage } from './memory.ts';
import {
  isSyncStorage,
  type StorageAdapter,
  StorageError,
  StorageErrorCode,
  type SyncJournal,
  type SyncStorage,
} from './types.ts';

export { fromStorageAdapter } from './adapter.ts';
export { ENCRYPTION_HEADER_KEY, type EncryptionOptions, encryptStorage } from './encrypted.ts';
export { createMemoryStorage } from './memory.ts';
export * from './types.ts';

/** What `createSyncClient({ storage })` accepts. */
export type StorageOption =
  | { file: string }
  | { indexedDB: string }
  | 'memory'
  | StorageAdapter
  | SyncStorage;

/**
 * Opens the storage an option names, encrypted when a key is given. File and IndexedDB
 * adapters are imported on demand so a browser bundle never pulls in node:fs and Node never
 * touches IndexedDB. Storage written encrypted refuses to open without the key.
 */
export async function openStorage(
  option: StorageOption,
  encryptionKey?: string,
  encryption: EncryptionOptions = {},
): Promise<SyncStorage> {
  const base = await baseStorage(option);
  if (encryptionKey !== undefined) return encryptStorage(base, encryptionKey, encryption);
  if ((await base.getItem(ENCRYPTION_HEADER_KEY)) !== undefined) {
    throw new StorageError(
      StorageErrorCode.WRONG_KEY,
      'This storage is encrypted: pass the encryptionKey it was written with',
    );
  }
  return base;
}

async function baseStorage(option: StorageOption): Promise<SyncStorage> {
  if (option === 'memory') return createMemoryStorage();
  if (isSyncStorage(option)) return option;
  if ('file' in option && typeof option.file === 'string') {
    const { createFileStorage } = await import('./file.ts');
    return createFileStorage(option.file);
  }
  if ('indexedDB' in option && typeof option.indexedDB === 'string') {
    const { createIndexedDbStorage } = await import('./indexeddb.ts');
    return createIndexedDbStorage(option.indexedDB);
  }
  if ('readData' in option && 'writeData' in option) return fromStorageAdapter(option);
  throw new StorageError(StorageErrorCode.UNSUPPORTED, 'Unknown storage option');
}

/**
 * The journal of the storage an option names, available at once, before the storage is open:
 * edits made in that moment are journaled here, so they are durable as soon as the call that
 * made them returns. The same journal the opened storage has (same files, same localStorage
 * keys), so opening moves them into the outbox like any other journaled edit. None where the
 * opened storage has none: memory, encrypted storage (it would hold edits in the clear) and
 * plain urql adapters.
 */
export function earlyJournal(
  option: StorageOption,
  encryptionKey: string | undefined,
): SyncJournal | undefined {
  if (encryptionKey !== undefined || option === 'memory') return undefined;
  if (isSyncStorage(option)) return option.journal;
  if ('file' in option && typeof option.file === 'string') {
    const fs = nodeFileSystem();
    return fs ? fileJournal(journalDirectory(option.file), fs) : undefined;
  }
  if ('indexedDB' in option && typeof option.indexedDB === 'string') {
    return localStorageJournal(option.indexedDB);
  }
  return undefined;
}

/** node:fs without importing it (which a browser bundle could not), where there is one. */
function nodeFileSystem(): SyncFileSystem | undefined {
  const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
    .process;
  return process?.getBuiltinModule?.('node:fs') as SyncFileSystem | undefined;
}
