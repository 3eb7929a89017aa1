import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { localStorageJournal } from '../../client/storage/indexeddb.ts';
import { startTestServer } from '../support/server.ts';
import { createWorkspace, newId, syncClient } from '../support/sync.ts';
import { openClient, serverFixture, startClient } from './helpers.ts';

const crashingClient = new URL('./fixtures/edit-then-crash.ts', import.meta.url).pathname;

/** Runs the fixture to its SIGKILL; resolves with the signal that ended it. */
function runUntilKilled(env: Record<string, string>): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', crashingClient],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (error) => {
        if (child.signalCode) resolve(child.signalCode);
        else reject(error ?? new Error('the client exited instead of being killed'));
      },
    );
  });
}

describe('outbox journal', () => {
  const fixture = serverFixture(() => startTestServer('pglite'));

  it.each([
    ['after ready', '0'],
    ['before ready (storage not even open)', '1'],
  ])(
    'keeps edits made %s in the instant before the process was killed, and applies each once',
    async (_when, beforeReady) => {
      const workspaceId = await createWorkspace(fixture.server, 'ada');
      const directory = await fixture.directory();
      const projectId = newId();
      const taskIds = [newId(), newId(), newId()];

      const signal = await runUntilKilled({
        CONVERGE_URL: fixture.server.url,
        CONVERGE_TOKEN: await fixture.server.token('ada'),
        CONVERGE_WORKSPACE: workspaceId,
        CONVERGE_DIR: directory,
        CONVERGE_IDS: [projectId, ...taskIds].join(','),
        CONVERGE_BEFORE_READY: beforeReady,
      });
      expect(signal).toBe('SIGKILL');

      const ada = await openClient({
        server: fixture.server,
        userId: 'ada',
        workspaceId,
        directory,
      });
      fixture.cleanup(() => ada.close());
      // The project, three tasks and the rename, all of them, before anything was sent.
      expect(ada.status.pending).toBe(5);
      expect(ada.tasks.get(taskIds[2] ?? '')?.title).toBe('Renamed before the crash');
      await ada.flush();
      expect(ada.status).toMatchObject({ pending: 0, rejected: 0 });

      const { entities } = await syncClient(fixture.server, 'ada', workspaceId).pullAll();
      // In order (the tasks after their project, else INVALID_REFERENCE) and once each: the
      // renamed task is at version 2, create then update.
      expect(entities.map((entity) => [entity.id, entity.version])).toEqual([
        [projectId, 1],
        [taskIds[0], 1],
        [taskIds[1], 1],
        [taskIds[2], 2],
      ]);
    },
  );
});

describe('edits made before ready', () => {
  const fixture = serverFixture(() => startTestServer('pglite'));

  /** A project, a task, a counter delta on the task: made before ready, closed at once. */
  async function editBeforeReadyAndClose(options: { encryptionKey?: string }) {
    const workspaceId = await createWorkspace(fixture.server, 'ada');
    const directory = await fixture.directory();
    const setup = { server: fixture.server, userId: 'ada', workspaceId, directory, options };
    const early = startClient(setup);
    const projectId = early.projects.create({ name: 'Early' });
    const taskId = early.tasks.create({
      projectId,
      title: 'Made before ready',
      timeSpentMinutes: 10,
    });
    early.tasks.update(taskId, { timeSpentDelta: 5 });
    // Counted at once, not once storage has opened; `ready` says the count is not the whole
    // outbox yet.
    expect(early.status).toMatchObject({ pending: 3, ready: false });
    await early.close();

    const restarted = startClient(setup);
    fixture.cleanup(() => restarted.close());
    // This run made no edit: before ready it knows of none, once ready of the three stored.
    expect(restarted.status).toMatchObject({ pending: 0, ready: false });
    await restarted.ready;
    expect(restarted.status).toMatchObject({ pending: 3, ready: true });
    await restarted.flush();
    expect(restarted.status).toMatchObject({ pending: 0, rejected: 0 });
    const { entities } = await syncClient(fixture.server, 'ada', workspaceId).pullAll();
    // In order (the task after its project) and once: the delta counted once, at version 2.
    expect(entities.map((entity) => [entity.id, entity.version])).toEqual([
      [projectId, 1],
      [taskId, 2],
    ]);
    expect(entities[1]).toMatchObject({ timeSpentMinutes: 15 });
  }

  it('survive an immediate close() and arrive once, in order (journaled storage)', async () => {
    await editBeforeReadyAndClose({});
  });

  it('survive an immediate close() without a journal (encrypted storage): close() stores them', async () => {
    await editBeforeReadyAndClose({ encryptionKey: 'early-edits-key' });
  });

  it('count in pending at once and are sent once storage is open', async () => {
    const workspaceId = await createWorkspace(fixture.server, 'ada');
    const directory = await fixture.directory();
    const ada = startClient({ server: fixture.server, userId: 'ada', workspaceId, directory });
    fixture.cleanup(() => ada.close());
    const id = ada.tasks.create({ title: 'Early' });
    expect(ada.status.pending).toBe(1);
    await ada.flush();
    expect(ada.status.pending).toBe(0);
    const { entities } = await syncClient(fixture.server, 'ada', workspaceId).pullAll();
    expect(entities.map((entity) => entity.id)).toEqual([id]);
  });
});

describe('localStorage journal', () => {
  /** The Web Storage API over a Map, as a page's localStorage behaves. */
  function webStorage() {
    const map = new Map<string, string>();
    return {
      get length() {
        return map.size;
      },
      key: (index: number) => [...map.keys()][index] ?? null,
      getItem: (key: string) => map.get(key) ?? null,
      setItem: (key: string, value: string) => void map.set(key, value),
      removeItem: (key: string) => void map.delete(key),
    };
  }

  it('keeps the journals of different storages and prefixes apart', () => {
    const storage = webStorage();
    const converge = localStorageJournal('converge', storage);
    const other = localStorageJournal('other', storage);
    if (!converge || !other) throw new Error('expected journals');
    converge.put('outbox:w1:a', '1');
    converge.put('outbox:w2:b', '2');
    other.put('outbox:w1:c', '3');
    storage.setItem('unrelated', 'x');
    expect(converge.list('outbox:w1:')).toEqual([['outbox:w1:a', '1']]);
    converge.remove(['outbox:w1:a', 'outbox:w1:missing']);
    expect(converge.list('outbox:')).toEqual([['outbox:w2:b', '2']]);
    expect(other.list('outbox:')).toEqual([['outbox:w1:c', '3']]);
    expect(storage.getItem('unrelated')).toBe('x');
  });

  it('is absent where localStorage refuses writes (private modes) or does not exist (Node)', () => {
    const refusing = {
      ...webStorage(),
      setItem: () => {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      },
    };
    expect(localStorageJournal('converge', refusing)).toBeUndefined();
    expect(localStorageJournal('converge')).toBeUndefined();
  });
});
