import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { localStorageJournal } from '../../client/storage/indexeddb.ts';
import { startTestServer } from '../support/server.ts';
import { createWorkspace, newId, syncClient } from '../support/sync.ts';
import { openClient, serverFixture } from './helpers.ts';

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

  it('keeps edits made in the instant before the process was killed, and applies each once', async () => {
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
