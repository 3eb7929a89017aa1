import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileStorage } from '../../client/storage/file.ts';
import {
  createMemoryStorage,
  encryptStorage,
  openStorage,
  StorageErrorCode,
  type SyncStorage,
} from '../../client/storage/index.ts';
import { FAST_KDF, storageKinds } from './storage-kinds.ts';

const temporary: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'converge-storage-'));
  temporary.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(temporary.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const kinds = storageKinds({ tempDir });

describe.each(kinds)('$name storage', (kind) => {
  it('round-trips graphcache entries, deltas that delete, and metadata', async () => {
    const open = await kind.open();
    const first = open();
    await first.writeData({ 'Task:1.title': '"Count pallets"', 'Task:1.tags': '["a"]' });
    await first.writeData({ 'Task:1.tags': undefined, 'Query.me': '"ada"' });
    first.writeMetadata?.([{ query: 'mutation { x }', variables: { a: 1 } }]);
    await first.close();

    const second = open();
    expect(await second.readData()).toEqual({
      'Task:1.title': '"Count pallets"',
      'Query.me': '"ada"',
    });
    expect(await second.readMetadata?.()).toEqual([
      { query: 'mutation { x }', variables: { a: 1 } },
    ]);
    await second.close();
  });

  it('keeps records and updates them atomically', async () => {
    const open = await kind.open();
    const storage = open();
    expect(await storage.getItem('outbox')).toBeUndefined();
    const appends = Array.from({ length: 20 }, (_, index) =>
      storage.updateItem('outbox', (current) =>
        JSON.stringify([...(JSON.parse(current ?? '[]') as number[]), index]),
      ),
    );
    await Promise.all(appends);
    expect(JSON.parse((await storage.getItem('outbox')) ?? '')).toEqual(
      Array.from({ length: 20 }, (_, index) => index),
    );
    await storage.updateItem('outbox', () => undefined);
    expect(await storage.getItem('outbox')).toBeUndefined();
    await storage.close();
  });
});

describe('file storage', () => {
  it('writes atomically and leaves no temporary files', async () => {
    const dir = await tempDir();
    const storage = createFileStorage(dir);
    await storage.updateItem('client-id', () => 'abc');
    await storage.writeData({ 'Task:1.title': '"x"' });
    await storage.close();
    const files = await readdir(dir);
    expect(files.filter((file) => file.endsWith('.tmp'))).toEqual([]);
    expect(files).not.toContain('.lock');
    expect(JSON.parse(await readFile(join(dir, 'graphcache.json'), 'utf8'))).toEqual({
      'Task:1.title': '"x"',
    });
  });

  it('merges the appends of two handles in one process', async () => {
    const dir = await tempDir();
    const [a, b] = [createFileStorage(dir), createFileStorage(dir)];
    const append = (storage: SyncStorage, value: string) =>
      storage.updateItem('outbox', (current) =>
        JSON.stringify([...(JSON.parse(current ?? '[]') as string[]), value]),
      );
    await Promise.all(
      Array.from({ length: 15 }, (_, index) => [
        append(a, `a${index}`),
        append(b, `b${index}`),
      ]).flat(),
    );
    const stored = JSON.parse((await a.getItem('outbox')) ?? '[]') as string[];
    expect(stored).toHaveLength(30);
    expect(stored.filter((value) => value.startsWith('a'))).toEqual(
      Array.from({ length: 15 }, (_, index) => `a${index}`),
    );
    await Promise.all([a.close(), b.close()]);
  });

  it('merges the appends of several processes sharing one directory (urql #2881)', async () => {
    const dir = await tempDir();
    const script = join(dir, 'append.mts');
    const storageModule = resolve('client/storage/file.ts');
    await writeFile(
      script,
      `import { createFileStorage } from ${JSON.stringify(storageModule)};
const [dir, name] = process.argv.slice(2);
const storage = createFileStorage(dir);
for (let i = 0; i < 25; i++) {
  await storage.updateItem('outbox', (current) => JSON.stringify([...JSON.parse(current ?? '[]'), name + i]));
}
await storage.close();
`,
    );
    const run = (name: string) =>
      new Promise<void>((done, fail) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script, dir, name], {
          stdio: 'inherit',
        });
        child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`exit ${code}`))));
      });
    await Promise.all([run('p'), run('q'), run('r')]);
    const stored = JSON.parse(await readFile(join(dir, `item-outbox.json`), 'utf8')) as string[];
    expect(stored).toHaveLength(75);
    for (const name of ['p', 'q', 'r']) {
      expect(stored.filter((value) => value.startsWith(name))).toEqual(
        Array.from({ length: 25 }, (_, index) => `${name}${index}`),
      );
    }
  }, 60_000);

  it('takes over a lock left by a process that died', async () => {
    const dir = await tempDir();
    // A pid that cannot exist (above pid_max) stands for a crashed holder.
    await writeFile(join(dir, '.lock'), '2147483646 0 dead');
    const storage = createFileStorage(dir, { lockTimeoutMs: 2_000 });
    await storage.updateItem('k', () => 'v');
    expect(await storage.getItem('k')).toBe('v');
    await storage.close();
  });

  it('fails with a code when another live process keeps the lock', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, '.lock'), `${process.pid} ${Date.now()} busy`);
    const storage = createFileStorage(dir, { lockTimeoutMs: 200 });
    await expect(storage.updateItem('k', () => 'v')).rejects.toMatchObject({
      code: StorageErrorCode.LOCK_TIMEOUT,
    });
    await rm(join(dir, '.lock'));
    await storage.close();
  });

  it('refuses a path that is a regular file', async () => {
    const dir = await tempDir();
    const file = join(dir, 'not-a-directory');
    await writeFile(file, '');
    await expect(createFileStorage(file).getItem('x')).rejects.toMatchObject({
      code: StorageErrorCode.UNSUPPORTED,
    });
  });
});

describe('encrypted storage', () => {
  const secret = 'Count pallets at dock 3';

  async function written(dir: string, key: string) {
    const storage = encryptStorage(createFileStorage(dir), key, FAST_KDF);
    await storage.updateItem('replica', () => JSON.stringify({ title: secret }));
    await storage.writeData({ 'Task:0192-secret-id.title': JSON.stringify(secret) });
    await storage.close();
  }

  it('stores nothing in the clear, not even entity ids', async () => {
    const dir = await tempDir();
    await written(dir, 'k1');
    for (const file of await readdir(dir)) {
      const content = await readFile(join(dir, file), 'utf8');
      expect(content).not.toContain('pallets');
      expect(content).not.toContain('secret-id');
    }
    const reopened = encryptStorage(createFileStorage(dir), 'k1', FAST_KDF);
    expect(JSON.parse((await reopened.getItem('replica')) ?? '')).toEqual({ title: secret });
    expect(await reopened.readData()).toEqual({
      'Task:0192-secret-id.title': JSON.stringify(secret),
    });
    await reopened.close();
  });

  it('refuses a wrong key with STORAGE_WRONG_KEY, never garbage', async () => {
    const dir = await tempDir();
    await written(dir, 'k1');
    const wrong = encryptStorage(createFileStorage(dir), 'k2', FAST_KDF);
    await expect(wrong.getItem('replica')).rejects.toMatchObject({
      code: StorageErrorCode.WRONG_KEY,
      message: expect.stringMatching(/encryptionKey does not match/),
    });
    await expect(wrong.readData()).rejects.toMatchObject({ code: StorageErrorCode.WRONG_KEY });
  });

  it('refuses to open encrypted storage without a key, and with the key it works', async () => {
    const dir = await tempDir();
    await written(dir, 'k1');
    await expect(openStorage({ file: dir })).rejects.toMatchObject({
      code: StorageErrorCode.WRONG_KEY,
    });
    const storage = await openStorage({ file: dir }, 'k1', FAST_KDF);
    expect(await storage.getItem('replica')).toContain('pallets');
    await storage.close();
  });

  it('detects a tampered value with STORAGE_CORRUPT', async () => {
    const dir = await tempDir();
    await written(dir, 'k1');
    const file = join(dir, 'item-replica.json');
    const sealed = await readFile(file, 'utf8');
    const flipped = sealed.slice(0, -6) + (sealed.at(-6) === 'A' ? 'B' : 'A') + sealed.slice(-5);
    await writeFile(file, flipped);
    const storage = encryptStorage(createFileStorage(dir), 'k1', FAST_KDF);
    await expect(storage.getItem('replica')).rejects.toMatchObject({
      code: StorageErrorCode.CORRUPT,
    });
  });

  it('derives its key with the default PBKDF2 cost in reasonable time', async () => {
    const started = performance.now();
    const storage = encryptStorage(createMemoryStorage(), 'k');
    await storage.updateItem('x', () => 'y');
    expect(await storage.getItem('x')).toBe('y');
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
