import { describe, expect, it } from 'vitest';

// The browser adapter needs an IndexedDB; Node has none, fake-indexeddb provides one.
import 'fake-indexeddb/auto';

describe('IndexedDB storage', async () => {
  const { createIndexedDbStorage } = await import('../../client/storage/indexeddb.ts');
  const { encryptStorage } = await import('../../client/storage/encrypted.ts');

  it('keeps graphcache entries (urql makeDefaultStorage) and records across reopen', async () => {
    const name = `converge-${crypto.randomUUID()}`;
    const first = createIndexedDbStorage(name);
    await first.writeData({ 'Task:1.title': '"Count"', 'Task:1.notes': '""' });
    await first.writeData({ 'Task:1.notes': undefined });
    await first.updateItem('outbox:w', () => '[1]');
    await first.close();

    const second = createIndexedDbStorage(name);
    expect(await second.readData()).toMatchObject({ 'Task:1.title': '"Count"' });
    expect(await second.getItem('outbox:w')).toBe('[1]');
    await second.updateItem('outbox:w', () => undefined);
    expect(await second.getItem('outbox:w')).toBeUndefined();
    await second.close();
  });

  it('serialises updates of two handles on one database', async () => {
    const name = `converge-${crypto.randomUUID()}`;
    const [a, b] = [createIndexedDbStorage(name), createIndexedDbStorage(name)];
    const append = (storage: typeof a, value: string) =>
      storage.updateItem('outbox', (current) =>
        JSON.stringify([...(JSON.parse(current ?? '[]') as string[]), value]),
      );
    await Promise.all(
      Array.from({ length: 10 }, (_, n) => [append(a, `a${n}`), append(b, `b${n}`)]).flat(),
    );
    expect(JSON.parse((await a.getItem('outbox')) ?? '[]')).toHaveLength(20);
    await Promise.all([a.close(), b.close()]);
  });

  it('encrypts over IndexedDB and refuses a wrong key', async () => {
    const name = `converge-${crypto.randomUUID()}`;
    const sealed = encryptStorage(createIndexedDbStorage(name), 'k1', { iterations: 1_000 });
    await sealed.updateItem('replica:w', () => 'secret');
    await sealed.close();
    const wrong = encryptStorage(createIndexedDbStorage(name), 'k2', { iterations: 1_000 });
    await expect(wrong.getItem('replica:w')).rejects.toMatchObject({ code: 'STORAGE_WRONG_KEY' });
  });
});
