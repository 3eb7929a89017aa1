/**
 * Lazy hydration (client/cache.ts, client/hydration.ts): a start with stored entities links
 * their keys into the workspace's list instead of writing every entity into graphcache, and
 * reads fall back to the stored copies. These tests run without a server (every request
 * fails, as offline) and check what an app sees: the list, single reads, and local edits of
 * entities that were only stored, across a restart with pending edits.
 */

import { afterEach, describe, expect, it } from 'vitest';
import type { SyncEntity } from '../../client/entities.ts';
import { createSyncClient, type SyncClient } from '../../client/index.ts';
import { createMemoryStorage, type SyncStorage } from '../../client/storage/index.ts';
import { eventually, watchTitles } from './helpers.ts';

const WORKSPACE = '00000000-0000-7000-8000-00000000c001';
const USER = '00000000-0000-7000-8000-0000000000a1';
const id = (n: number) => `01900000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;

function storedTask(n: number, fields: Partial<SyncEntity> = {}): SyncEntity {
  return {
    __typename: 'Task',
    id: id(n),
    workspaceId: WORKSPACE,
    version: 3,
    updatedAt: new Date(1_750_000_000_000 + n).toISOString(),
    updatedBy: USER,
    deleted: false,
    projectId: null,
    title: `Stored ${n}`,
    notes: 'kept on disk',
    status: 'TODO',
    priority: 1,
    tags: ['dock'],
    assigneeId: null,
    dueAt: null,
    estimateMinutes: 30,
    timeSpentMinutes: 10,
    sortKey: `a${n}`,
    ...fields,
  } as SyncEntity;
}

/** A replica as a catch-up leaves it: records and a cursor. */
async function seededStorage(entities: SyncEntity[]): Promise<SyncStorage> {
  const storage = createMemoryStorage();
  await storage.records?.write(`replica:${WORKSPACE}`, {
    put: entities.map((entity) => ({
      key: `${entity.__typename}:${entity.id}`,
      version: entity.version,
      value: entity,
    })),
    cursor: 'stored-cursor',
  });
  return storage;
}

const opened: SyncClient[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((client) => client.close()));
});

function offlineClient(storage: SyncStorage): SyncClient {
  const client = createSyncClient({
    url: 'http://127.0.0.1:9/graphql',
    token: 'offline',
    workspaceId: WORKSPACE,
    storage,
    fetch: async () => {
      throw new TypeError('offline (test)');
    },
    live: false,
    retry: { baseMs: 60_000, maxMs: 60_000 },
  });
  opened.push(client);
  return client;
}

describe('lazy hydration', () => {
  it('lists stored entities and reads them whole, without tombstones', async () => {
    const storage = await seededStorage([
      storedTask(1),
      storedTask(2),
      storedTask(3, { deleted: true, title: 'Gone' }),
    ]);
    const sync = offlineClient(storage);
    const list = watchTitles(sync, WORKSPACE);
    await sync.ready;
    await eventually(() => list.latest() !== undefined, 'an answer from the cache');
    expect(list.latest()).toEqual(['Stored 1', 'Stored 2']);
    expect(sync.tasks.get(id(2))).toEqual(storedTask(2));
    expect(sync.tasks.get(id(3))?.deleted).toBe(true);
    expect(sync.tasks.get(id(99))).toBeNull();
    list.stop();
  });

  it('applies local edits to entities that were only stored, with every field kept', async () => {
    const sync = offlineClient(await seededStorage([storedTask(1), storedTask(2)]));
    const list = watchTitles(sync, WORKSPACE);
    await sync.ready;

    sync.tasks.update(id(1), { title: 'Edited', timeSpentDelta: 5, tagsAdd: ['cold'] });
    expect(sync.tasks.get(id(1))).toEqual({
      ...storedTask(1),
      title: 'Edited',
      timeSpentMinutes: 15,
      tags: ['dock', 'cold'],
    });
    sync.tasks.delete(id(2));
    expect(sync.tasks.get(id(2))).toMatchObject({ title: 'Stored 2', deleted: true });
    const created = sync.tasks.create({ title: 'New' });
    await eventually(() => list.latest()?.length === 2, 'the new task in the list');
    expect(list.latest()).toEqual(['Edited', 'New']);
    expect(sync.tasks.get(created)?.title).toBe('New');
    list.stop();
  });

  it('shows pending edits in every answer after a restart, from the first one with data', async () => {
    const storage = await seededStorage([storedTask(1), storedTask(2), storedTask(4)]);
    const first = offlineClient(storage);
    await first.ready;
    first.tasks.update(id(1), { timeSpentDelta: 5 });
    first.tasks.delete(id(2));
    const created = first.tasks.create({ title: 'Made offline' });
    first.tasks.update(created, { title: 'Made offline, edited' });
    await first.close();

    // The app asks for its list before the client has opened storage, as a page does.
    const second = offlineClient(storage);
    const list = watchTitles(second, WORKSPACE);
    await second.ready;
    await eventually(() => list.all().some((answer) => answer.length > 0), 'the stored list');
    expect(second.status.pending).toBe(4);
    const answers = list.all();
    const withData = answers.slice(answers.findIndex((answer) => answer.length > 0));
    expect(withData.length).toBeGreaterThan(0);
    for (const answer of withData) {
      expect(answer).toEqual(['Stored 1', 'Stored 4', 'Made offline, edited']);
    }
    expect(second.tasks.get(id(1))?.timeSpentMinutes).toBe(15);
    expect(second.tasks.get(id(2))?.deleted).toBe(true);
    list.stop();
  });
});
