import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SyncEntity } from '../../client/entities.ts';
import { Replica } from '../../client/replica.ts';
import { createFileStorage, type FileStorageOptions } from '../../client/storage/file.ts';
import {
  createMemoryStorage,
  encryptStorage,
  type RecordChanges,
  type SyncStorage,
} from '../../client/storage/index.ts';

import 'fake-indexeddb/auto';
import { FAST_KDF, storageKinds } from './storage-kinds.ts';

const { createIndexedDbStorage } = await import('../../client/storage/indexeddb.ts');

const temporary: string[] = [];
const KEY = 'replica:w1';

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'converge-replica-'));
  temporary.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(temporary.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function task(id: string, version: number, title = `task ${id} v${version}`): SyncEntity {
  return { __typename: 'Task', id, version, title } as unknown as SyncEntity;
}

function replicaOn(storage: SyncStorage): Replica {
  return new Replica(storage, { key: KEY, writeDelayMs: 1_000_000, setTimeout, clearTimeout });
}

async function loaded(storage: SyncStorage): Promise<Replica> {
  const replica = replicaOn(storage);
  await replica.load();
  return replica;
}

const kinds = storageKinds({ tempDir, indexedDb: createIndexedDbStorage });

describe.each(kinds)('replica on $name storage', (kind) => {
  it('keeps entities and the cursor across a restart', async () => {
    const open = await kind.open();
    const first = open();
    const replica = await loaded(first);
    replica.absorb(task('a', 1));
    replica.absorb(task('b', 3));
    replica.setCursor('c1');
    await replica.persist();
    replica.absorb(task('a', 2));
    await replica.persist();
    await first.close();

    const second = open();
    const again = await loaded(second);
    expect(again.cursor).toBe('c1');
    expect(again.get('Task', 'a')).toEqual(task('a', 2));
    expect(again.get('Task', 'b')).toEqual(task('b', 3));
    expect(again.size).toBe(2);
    await second.close();
  });

  it('purges the stored entities and cursor', async () => {
    const open = await kind.open();
    const storage = open();
    const replica = await loaded(storage);
    replica.absorb(task('a', 1));
    replica.setCursor('c1');
    await replica.persist();
    await replica.purge();
    expect(replica.size).toBe(0);
    expect(replica.cursor).toBeNull();
    const again = await loaded(storage);
    expect(again.size).toBe(0);
    expect(again.cursor).toBeNull();
    await storage.close();
  });
});

// A plain urql adapter cannot lock, so one handle at a time uses it (docs/client.md).
const sharedKinds = kinds.filter((kind) => !kind.name.startsWith('urql'));

describe.each(sharedKinds)('replica shared by two handles on $name storage', (kind) => {
  it('never replaces a stored newer version with an older one written by another handle', async () => {
    const open = await kind.open();
    const [one, other] = [open(), open()];
    const fresh = await loaded(one);
    const stale = await loaded(other);
    fresh.absorb(task('a', 5, 'newest'));
    await fresh.persist();
    stale.absorb(task('a', 4, 'older'));
    stale.absorb(task('b', 1));
    await stale.persist();
    await Promise.all([one.close(), other.close()]);

    const storage = open();
    const reopened = await loaded(storage);
    expect(reopened.get('Task', 'a')).toEqual(task('a', 5, 'newest'));
    expect(reopened.get('Task', 'b')).toEqual(task('b', 1));
    await storage.close();
  });
});

/** Records what reaches the record store, to see how much one edit writes. */
function countingWrites(storage: SyncStorage): { storage: SyncStorage; writes: RecordChanges[] } {
  const records = storage.records;
  if (!records) throw new Error('this storage has no record store');
  const writes: RecordChanges[] = [];
  return {
    writes,
    storage: {
      ...storage,
      records: {
        read: (collection) => records.read(collection),
        write: (collection, changes) => {
          writes.push(changes);
          return records.write(collection, changes);
        },
        purge: (collection) => records.purge(collection),
      },
    },
  };
}

describe('replica writes', () => {
  it('store one record per edit, however many entities are stored', async () => {
    const { storage, writes } = countingWrites(createMemoryStorage());
    const replica = await loaded(storage);
    for (let n = 0; n < 2_000; n++) replica.absorb(task(`t${n}`, 1));
    await replica.persist();
    replica.absorb(task('t7', 2));
    await replica.persist();
    expect(writes.map((write) => write.put?.length)).toEqual([2_000, 1]);
    expect(writes[1]?.put?.[0]).toMatchObject({ key: 'Task:t7', version: 2 });
  });

  it('append one short line to the file log, however many entities are stored', async () => {
    const dir = await tempDir();
    const storage = createFileStorage(dir);
    const replica = await loaded(storage);
    for (let n = 0; n < 2_000; n++) replica.absorb(task(`t${n}`, 1));
    replica.setCursor('c1');
    await replica.persist();
    const log = join(dir, (await readdir(dir)).find((file) => file.startsWith('records-')) ?? '');
    const before = (await stat(log)).size;
    replica.absorb(task('t7', 2));
    await replica.persist();
    const appended = (await stat(log)).size - before;
    expect(before).toBeGreaterThan(2_000 * 30);
    expect(appended).toBeLessThan(200);
    await storage.close();
  });
});

describe('file record log', () => {
  async function logFile(dir: string): Promise<string> {
    const name = (await readdir(dir)).find((file) => file.startsWith('records-'));
    if (!name) throw new Error('no record log');
    return join(dir, name);
  }

  it('skips a line torn by a crash, with the cursor it carried, and goes on appending', async () => {
    const dir = await tempDir();
    const storage = createFileStorage(dir);
    const replica = await loaded(storage);
    replica.absorb(task('a', 1));
    replica.setCursor('c1');
    await replica.persist();
    // The start of a write that never finished: entity b and cursor c2.
    await appendFile(await logFile(dir), '\n{"p":[["Task:b",1,"{\\"__typename\\":\\"Task');

    const reopened = createFileStorage(dir);
    const after = await loaded(reopened);
    expect(after.cursor).toBe('c1');
    expect(after.get('Task', 'b')).toBeUndefined();
    after.absorb(task('c', 1));
    after.setCursor('c3');
    await after.persist();
    const last = await loaded(createFileStorage(dir));
    expect(last.cursor).toBe('c3');
    expect(last.all().map((entity) => entity.id)).toEqual(['a', 'c']);
  });

  it('compacts a long log into one line that keeps the newest copies and the cursor', async () => {
    const dir = await tempDir();
    const options: FileStorageOptions = { compactAfterLines: 10 };
    const storage = createFileStorage(dir, options);
    const replica = await loaded(storage);
    for (let round = 1; round <= 25; round++) {
      replica.absorb(task('a', round));
      replica.absorb(task(`t${round}`, 1));
      replica.setCursor(`c${round}`);
      await replica.persist();
    }
    const lines = (await readFile(await logFile(dir), 'utf8')).split('\n').filter(Boolean);
    expect(lines.length).toBeLessThanOrEqual(11);
    const reopened = await loaded(createFileStorage(dir, options));
    expect(reopened.cursor).toBe('c25');
    expect(reopened.get('Task', 'a')).toEqual(task('a', 25));
    expect(reopened.size).toBe(26);
  });

  it('keeps the records of several processes writing and compacting one log', async () => {
    const dir = await tempDir();
    const script = join(dir, 'write.mts');
    await writeFile(
      script,
      `import { createFileStorage } from ${JSON.stringify(resolve('client/storage/file.ts'))};
const [dir, name] = process.argv.slice(2);
const storage = createFileStorage(dir, { compactAfterLines: 7 });
for (let i = 0; i < 30; i++) {
  const entity = { __typename: 'Task', id: name + i, version: 1 };
  await storage.records.write('replica:w1', {
    put: [{ key: 'Task:' + name + i, version: 1, value: entity }],
  });
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
    const replica = await loaded(createFileStorage(dir));
    expect(replica.size).toBe(90);
    for (const name of ['p', 'q', 'r']) {
      for (let i = 0; i < 30; i++) expect(replica.get('Task', `${name}${i}`)).toBeDefined();
    }
  }, 60_000);
});

describe('replicas of the previous release (one JSON record)', () => {
  const legacy = JSON.stringify({
    cursor: 'c9',
    entities: { 'Task:a': task('a', 2), 'Task:b': task('b', 1) },
  });

  it.each([
    { name: 'file', open: async () => createFileStorage(await tempDir()) },
    {
      name: 'encrypted file',
      open: async () => encryptStorage(createFileStorage(await tempDir()), 'k', FAST_KDF),
    },
    { name: 'IndexedDB', open: async () => createIndexedDbStorage(`c-${crypto.randomUUID()}`) },
  ])('are read and moved into records on first load ($name)', async ({ open }) => {
    const storage = await open();
    await storage.updateItem(KEY, () => legacy);
    const replica = await loaded(storage);
    expect(replica.cursor).toBe('c9');
    expect(replica.get('Task', 'a')).toEqual(task('a', 2));
    expect(replica.size).toBe(2);
    expect(await storage.getItem(KEY)).toBeUndefined();
    const stored = await storage.records?.read(KEY);
    expect(stored?.cursor).toBe('c9');
    expect(stored?.records.map((record) => record.key).sort()).toEqual(['Task:a', 'Task:b']);
    // Later edits go to records, and a restart sees both.
    replica.absorb(task('b', 2));
    await replica.persist();
    const again = await loaded(storage);
    expect(again.get('Task', 'b')).toEqual(task('b', 2));
    expect(again.get('Task', 'a')).toEqual(task('a', 2));
    await storage.close();
  });

  it('keep a newer cursor and newer versions when a migration is repeated', async () => {
    const storage = createMemoryStorage();
    await storage.records?.write(KEY, {
      put: [{ key: 'Task:a', version: 3, value: task('a', 3) }],
      cursor: 'c12',
    });
    await storage.updateItem(KEY, () => legacy);
    const replica = await loaded(storage);
    expect(replica.cursor).toBe('c12');
    expect(replica.get('Task', 'a')).toEqual(task('a', 3));
    expect(replica.get('Task', 'b')).toEqual(task('b', 1));
  });

  it('fail with STORAGE_CORRUPT when the old record is not JSON', async () => {
    const storage = createMemoryStorage();
    await storage.updateItem(KEY, () => '{"cursor":');
    await expect(loaded(storage)).rejects.toMatchObject({ code: 'STORAGE_CORRUPT' });
  });
});

describe('encrypted records', () => {
  it('hold no entity id or field in the clear, and refuse a wrong key', async () => {
    const dir = await tempDir();
    const storage = encryptStorage(createFileStorage(dir), 'k1', FAST_KDF);
    const replica = await loaded(storage);
    replica.absorb(task('0192-secret-id', 1, 'Count pallets'));
    replica.setCursor('cursor-42');
    await replica.persist();
    await storage.close();
    for (const file of await readdir(dir)) {
      const content = await readFile(join(dir, file), 'utf8');
      expect(content).not.toContain('pallets');
      expect(content).not.toContain('secret-id');
      expect(content).not.toContain('cursor-42');
    }
    const wrong = encryptStorage(createFileStorage(dir), 'k2', FAST_KDF);
    await expect(loaded(wrong)).rejects.toMatchObject({ code: 'STORAGE_WRONG_KEY' });
    const right = await loaded(encryptStorage(createFileStorage(dir), 'k1', FAST_KDF));
    expect(right.get('Task', '0192-secret-id')).toEqual(task('0192-secret-id', 1, 'Count pallets'));
    expect(right.cursor).toBe('cursor-42');
  });

  it('detect a record moved to another key with STORAGE_CORRUPT', async () => {
    const inner = createMemoryStorage();
    const storage = encryptStorage(inner, 'k1', FAST_KDF);
    const replica = await loaded(storage);
    replica.absorb(task('a', 1));
    replica.absorb(task('b', 1));
    await replica.persist();
    const stored = await inner.records?.read(KEY);
    const [first, second] = stored?.records ?? [];
    if (!first || !second) throw new Error('two records expected');
    await inner.records?.write(KEY, { put: [{ ...first, value: second.value, version: 9 }] });
    await expect(loaded(storage)).rejects.toMatchObject({ code: 'STORAGE_CORRUPT' });
  });
});
