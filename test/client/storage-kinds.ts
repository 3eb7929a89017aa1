import type { SerializedEntries, SerializedRequest } from '@urql/exchange-graphcache';
import { createFileStorage } from '../../client/storage/file.ts';
import {
  createMemoryStorage,
  encryptStorage,
  fromStorageAdapter,
  type SyncStorage,
} from '../../client/storage/index.ts';
import type { createIndexedDbStorage } from '../../client/storage/indexeddb.ts';

/** Opens handles on one underlying store, as two processes (or a restart) would have. */
export interface StorageKind {
  name: string;
  open(): Promise<() => SyncStorage>;
}

export const FAST_KDF = { iterations: 1_000 };

export interface StorageKindOptions {
  /** A fresh directory for file storages, removed by the suite. */
  tempDir: () => Promise<string>;
  /** IndexedDB kinds too, when the suite has an IndexedDB (fake-indexeddb in Node). */
  indexedDb?: typeof createIndexedDbStorage;
}

/** Every storage the client ships, and a user's plain urql StorageAdapter wrapped as one. */
export function storageKinds({ tempDir, indexedDb }: StorageKindOptions): StorageKind[] {
  const kinds: StorageKind[] = [
    {
      name: 'memory',
      async open() {
        const shared = createMemoryStorage();
        return () => shared;
      },
    },
    {
      name: 'file',
      async open() {
        const dir = await tempDir();
        return () => createFileStorage(dir);
      },
    },
    {
      name: 'encrypted file',
      async open() {
        const dir = await tempDir();
        return () =>
          encryptStorage(createFileStorage(dir), 'correct horse battery staple', FAST_KDF);
      },
    },
    {
      name: 'urql StorageAdapter (one record)',
      async open() {
        const shared = createMemoryStorage();
        const plain = {
          readData: () => shared.readData(),
          writeData: (delta: SerializedEntries) => shared.writeData(delta),
          readMetadata: async () => (await shared.readMetadata?.()) ?? null,
          writeMetadata: (json: SerializedRequest[]) => shared.writeMetadata?.(json),
        };
        return () => fromStorageAdapter(plain);
      },
    },
  ];
  if (!indexedDb) return kinds;
  return [
    ...kinds,
    {
      name: 'IndexedDB',
      async open() {
        const name = `converge-${crypto.randomUUID()}`;
        return () => indexedDb(name);
      },
    },
    {
      name: 'encrypted IndexedDB',
      async open() {
        const name = `converge-${crypto.randomUUID()}`;
        return () => encryptStorage(indexedDb(name), 'battery staple', FAST_KDF);
      },
    },
  ];
}
