import type { SerializedRequest } from '@urql/exchange-graphcache';
import { Mutex } from './mutex.ts';
import {
  type ItemUpdate,
  type KeyedRecord,
  type RecordStore,
  type SerializedEntries,
  StorageError,
  StorageErrorCode,
  type SyncStorage,
} from './types.ts';

export interface EncryptionOptions {
  /** PBKDF2-SHA256 iterations for a new storage; an existing one keeps what it was made with. */
  iterations?: number;
}

const defaults: Required<EncryptionOptions> = { iterations: 210_000 };

/** Stored in the clear: how to derive the key, and a sealed marker that proves the key right. */
export const ENCRYPTION_HEADER_KEY = 'converge-encryption';
const CHECK_PLAINTEXT = 'converge storage key check';
const SEALED_PREFIX = 'e1:';

interface Header {
  v: 1;
  kdf: 'PBKDF2-SHA256';
  iterations: number;
  salt: string;
  check: string;
}

interface Keys {
  aes: CryptoKey;
  hmac: CryptoKey;
}

/**
 * AES-256-GCM over any SyncStorage with WebCrypto (`globalThis.crypto.subtle`, in Node and
 * browsers). The key comes from `encryptionKey` through PBKDF2 with a random salt stored in
 * the clear, then HKDF into an encryption key and a MAC key. Record values and graphcache
 * entries are sealed with a fresh IV each, bound to their key as additional data so values
 * cannot be swapped; graphcache's entry keys (which contain entity ids) are replaced by their
 * HMAC. A wrong key fails with STORAGE_WRONG_KEY before anything is read, never with garbage.
 */
export function encryptStorage(
  inner: SyncStorage,
  encryptionKey: string,
  options: EncryptionOptions = {},
): SyncStorage {
  if (!encryptionKey) {
    throw new StorageError(StorageErrorCode.WRONG_KEY, 'encryptionKey must not be empty');
  }
  const settings = { ...defaults, ...options };
  let keys: Promise<Keys> | undefined;
  const ready = () => {
    keys ??= openKeys(inner, encryptionKey, settings.iterations);
    return keys;
  };
  // Deltas must reach the inner storage in the order graphcache made them.
  const writes = new Mutex();
  let pending: Promise<unknown> = Promise.resolve();
  const track = <T>(promise: Promise<T>) => {
    pending = Promise.all([pending, promise.catch(() => undefined)]);
    return promise;
  };

  return {
    async readData() {
      const { aes } = await ready();
      const stored = await inner.readData();
      const entries: SerializedEntries = {};
      for (const [hashed, sealed] of Object.entries(stored)) {
        if (sealed === undefined) continue;
        const [key, value] = JSON.parse(await open(aes, sealed, `entry:${hashed}`)) as [
          string,
          string,
        ];
        entries[key] = value;
      }
      return entries;
    },
    writeData(delta) {
      return track(
        writes.run(async () => {
          const { aes, hmac } = await ready();
          const sealedDelta: SerializedEntries = {};
          for (const [key, value] of Object.entries(delta)) {
            const hashed = await hashKey(hmac, key);
            sealedDelta[hashed] =
              value === undefined
                ? undefined
                : await seal(aes, JSON.stringify([key, value]), `entry:${hashed}`);
          }
          await inner.writeData(sealedDelta);
        }),
      );
    },
    async readMetadata() {
      const { aes } = await ready();
      const stored = (await inner.readMetadata?.()) ?? null;
      const sealed = stored?.[0]?.variables as { sealed?: string } | undefined;
      if (!sealed?.sealed) return null;
      return JSON.parse(await open(aes, sealed.sealed, 'metadata')) as SerializedRequest[];
    },
    writeMetadata(json) {
      void track(
        writes.run(async () => {
          const { aes } = await ready();
          const sealed = await seal(aes, JSON.stringify(json), 'metadata');
          inner.writeMetadata?.([{ query: '', variables: { sealed } }]);
        }),
      ).catch(() => undefined);
    },
    onOnline(callback) {
      inner.onOnline?.(callback);
    },
    ...(inner.onCacheHydrated ? { onCacheHydrated: () => inner.onCacheHydrated?.() } : {}),
    records: inner.records ? encryptRecords(inner.records, ready) : undefined,
    async getItem(key) {
      const { aes } = await ready();
      const sealed = await inner.getItem(key);
      return sealed === undefined ? undefined : open(aes, sealed, `item:${key}`);
    },
    async updateItem(key: string, update: ItemUpdate) {
      const { aes } = await ready();
      let plain: string | undefined;
      await inner.updateItem(key, async (sealed) => {
        const current = sealed === undefined ? undefined : await open(aes, sealed, `item:${key}`);
        plain = await update(current);
        return plain === undefined ? undefined : seal(aes, plain, `item:${key}`);
      });
      return plain;
    },
    async close() {
      await pending;
      await inner.close();
    },
  };
}

// Records are opened this many at a time: WebCrypto works on a thread pool, and a load of
// 100,000 records one after another would wait for each.
const OPEN_CONCURRENCY = 256;

/**
 * Each record sealed on its own (so an edit still writes one record), bound to its
 * collection and key; the key itself, an entity id, is stored as its HMAC. Versions stay in
 * the clear: the inner store needs them to keep the newer of two copies.
 */
function encryptRecords(inner: RecordStore, ready: () => Promise<Keys>): RecordStore {
  const recordContext = (collection: string, hashed: string) => `record:${collection}:${hashed}`;
  const cursorContext = (collection: string) => `cursor:${collection}`;
  return {
    async read(collection) {
      const { aes } = await ready();
      const stored = await inner.read(collection);
      if (!stored) return undefined;
      const records: KeyedRecord[] = [];
      for (let start = 0; start < stored.records.length; start += OPEN_CONCURRENCY) {
        const slice = stored.records.slice(start, start + OPEN_CONCURRENCY);
        const opened = await Promise.all(
          slice.map(async (record) => {
            const sealed = typeof record.value === 'string' ? record.value : '';
            const plain = await open(aes, sealed, recordContext(collection, record.key));
            const [key, value] = JSON.parse(plain) as [string, unknown];
            return { key, version: record.version, value };
          }),
        );
        records.push(...opened);
      }
      const cursor =
        stored.cursor === null ? null : await open(aes, stored.cursor, cursorContext(collection));
      return { records, cursor };
    },
    async write(collection, changes) {
      const { aes, hmac } = await ready();
      const put = await Promise.all(
        (changes.put ?? []).map(async (record) => {
          const hashed = await hashKey(hmac, record.key);
          const value = await seal(
            aes,
            JSON.stringify([record.key, record.value]),
            recordContext(collection, hashed),
          );
          return { key: hashed, version: record.version, value };
        }),
      );
      const remove = await Promise.all((changes.remove ?? []).map((key) => hashKey(hmac, key)));
      const cursor =
        changes.cursor === undefined || changes.cursor === null
          ? changes.cursor
          : await seal(aes, changes.cursor, cursorContext(collection));
      await inner.write(collection, {
        put,
        remove,
        ...(cursor === undefined ? {} : { cursor }),
      });
    },
    async purge(collection) {
      await ready();
      await inner.purge(collection);
    },
  };
}

/** Reads (or on first use creates) the header, derives the keys, and proves them right. */
async function openKeys(inner: SyncStorage, passphrase: string, iterations: number): Promise<Keys> {
  let derived: Keys | undefined;
  const text = await inner.updateItem(ENCRYPTION_HEADER_KEY, async (current) => {
    if (current !== undefined) return current;
    const salt = toBase64(crypto.getRandomValues(new Uint8Array(16)));
    derived = await deriveKeys(passphrase, salt, iterations);
    const check = await seal(derived.aes, CHECK_PLAINTEXT, 'check');
    const header: Header = { v: 1, kdf: 'PBKDF2-SHA256', iterations, salt, check };
    return JSON.stringify(header);
  });
  const header = parseHeader(text);
  const keys = derived ?? (await deriveKeys(passphrase, header.salt, header.iterations));
  const check = await open(keys.aes, header.check, 'check').catch((cause: unknown) => {
    throw new StorageError(
      StorageErrorCode.WRONG_KEY,
      'The encryptionKey does not match the key this storage was written with',
      { cause },
    );
  });
  if (check !== CHECK_PLAINTEXT) {
    throw new StorageError(StorageErrorCode.WRONG_KEY, 'The storage key check does not match');
  }
  return keys;
}

function parseHeader(text: string | undefined): Header {
  try {
    const header = JSON.parse(text ?? '') as Header;
    if (header.v === 1 && header.kdf === 'PBKDF2-SHA256' && header.salt && header.check) {
      return header;
    }
  } catch {
    // Reported below.
  }
  throw new StorageError(StorageErrorCode.CORRUPT, 'The storage encryption header is unreadable');
}

async function deriveKeys(passphrase: string, salt: string, iterations: number): Promise<Keys> {
  const subtle = globalThis.crypto.subtle;
  const password = await subtle.importKey(
    'raw',
    new TextEncoder().encode(passphrase),
    'PBKDF2',
    false,
    ['deriveBits'],
  );
  const master = await subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: fromBase64(salt), iterations },
    password,
    256,
  );
  const hkdf = await subtle.importKey('raw', master, 'HKDF', false, ['deriveKey']);
  const info = (label: string) => ({
    name: 'HKDF',
    hash: 'SHA-256',
    salt: new Uint8Array(0),
    info: new TextEncoder().encode(label),
  });
  const aes = await subtle.deriveKey(
    info('converge aes-256-gcm'),
    hkdf,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
  const hmac = await subtle.deriveKey(
    info('converge hmac-sha-256'),
    hkdf,
    { name: 'HMAC', hash: 'SHA-256', length: 256 },
    false,
    ['sign'],
  );
  return { aes, hmac };
}

async function seal(key: CryptoKey, plaintext: string, context: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(context) },
    key,
    new TextEncoder().encode(plaintext),
  );
  const sealed = new Uint8Array(iv.length + ciphertext.byteLength);
  sealed.set(iv);
  sealed.set(new Uint8Array(ciphertext), iv.length);
  return SEALED_PREFIX + toBase64(sealed);
}

async function open(key: CryptoKey, sealed: string, context: string): Promise<string> {
  try {
    if (!sealed.startsWith(SEALED_PREFIX)) throw new Error('not sealed by Converge');
    const bytes = fromBase64(sealed.slice(SEALED_PREFIX.length));
    const plaintext = await crypto.subtle.decrypt(
      {
        name: 'AES-GCM',
        iv: bytes.subarray(0, 12),
        additionalData: new TextEncoder().encode(context),
      },
      key,
      bytes.subarray(12),
    );
    return new TextDecoder().decode(plaintext);
  } catch (cause) {
    if (context === 'check') throw cause;
    throw new StorageError(
      StorageErrorCode.CORRUPT,
      `A stored value (${context.split(':')[0]}) failed to decrypt: it was altered or damaged`,
      { cause },
    );
  }
}

async function hashKey(key: CryptoKey, name: string): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(name));
  return `h:${toBase64(new Uint8Array(mac)).replace(/=+$/, '')}`;
}

// btoa/atob exist in browsers and Node alike, unlike Buffer.
function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let offset = 0; offset < bytes.length; offset += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(offset, offset + 0x8000));
  }
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}
