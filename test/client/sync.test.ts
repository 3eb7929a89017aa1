import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pipe, subscribe } from 'wonka';
import { EntityChangedDocument } from '../../client/generated/graphql.ts';
import type { SyncClient } from '../../client/index.ts';
import { testDatabaseKinds } from '../support/database.ts';
import { seededRandom } from '../support/random.ts';
import { addMember, createWorkspace, type Entity, syncClient } from '../support/sync.ts';
import {
  eventually,
  Network,
  openClient,
  serverFixture,
  startClient,
  startRestartableServer,
  watchTitles,
} from './helpers.ts';

describe.each(testDatabaseKinds())('sync client against %s', (kind) => {
  const fixture = serverFixture(() => startRestartableServer(kind));
  const { directory } = fixture;

  async function client(
    userId: string,
    workspaceId: string,
    dir: string,
    network = new Network(),
    options: Parameters<typeof openClient>[0]['options'] = {},
  ): Promise<SyncClient> {
    const opened = await openClient({
      server: fixture.server,
      userId,
      workspaceId,
      directory: dir,
      network,
      options,
    });
    fixture.cleanup(() => opened.close());
    return opened;
  }

  async function serverState(userId: string, workspaceId: string): Promise<Map<string, Entity>> {
    const { entities } = await syncClient(fixture.server, userId, workspaceId).pullAll();
    return new Map(entities.map((entity) => [entity.id, entity]));
  }

  it('keeps offline edits through a restart of the client and of the server, and applies each once, in order', async () => {
    const workspaceId = await createWorkspace(fixture.server, 'ada');
    const dir = await directory();
    const network = new Network();
    let ada = await client('ada', workspaceId, dir, network);
    const projectId = ada.projects.create({ name: 'Inbound' });
    const doomed = ada.tasks.create({ title: 'Old task', projectId });
    await ada.flush();

    network.goOffline();
    const created = ada.tasks.create({ title: 'Count pallets', projectId, tags: ['dock-3'] });
    ada.tasks.update(created, { title: 'Count all pallets', timeSpentDelta: 15 });
    ada.tasks.delete(doomed);
    // Local at once, whatever the network.
    expect(ada.tasks.get(created)).toMatchObject({
      title: 'Count all pallets',
      tags: ['dock-3'],
      timeSpentMinutes: 15,
    });
    expect(ada.tasks.get(doomed)?.deleted).toBe(true);
    expect(ada.status.pending).toBe(3);
    await eventually(() => !ada.status.online, 'the client to notice it is offline');

    // The process ends while offline and starts again from its storage, still offline.
    await ada.close();
    ada = await client('ada', workspaceId, dir, network);
    expect(ada.status.pending).toBe(3);
    expect(ada.status.online).toBe(false);
    expect(ada.tasks.get(created)).toMatchObject({
      title: 'Count all pallets',
      timeSpentMinutes: 15,
    });
    expect(ada.tasks.get(doomed)?.deleted).toBe(true);
    expect(ada.projects.get(projectId)?.name).toBe('Inbound');

    await fixture.server.restart();
    network.goOnline();
    await ada.flush();

    expect(ada.status).toMatchObject({ pending: 0, online: true, rejected: 0 });
    const state = await serverState('ada', workspaceId);
    // Version 2 and 15 minutes: the create and the update each applied exactly once, the
    // create first (an update before it would have been rejected).
    expect(state.get(created)).toMatchObject({
      title: 'Count all pallets',
      tags: ['dock-3'],
      timeSpentMinutes: 15,
      version: 2,
      deleted: false,
    });
    expect(state.get(doomed)).toMatchObject({ deleted: true, version: 2 });
    await ada.pull();
    expect(ada.tasks.get(created)).toEqual(state.get(created));
  });

  it('lists an entity created offline through failed pushes and a restart, until the server has it', async () => {
    const workspaceId = await createWorkspace(fixture.server, 'ada');
    const dir = await directory();
    const network = new Network();
    let ada = await client('ada', workspaceId, dir, network);
    ada.tasks.create({ title: 'Existing' });
    await ada.flush();
    const titles = watchTitles(ada, workspaceId);
    await eventually(() => titles.latest()?.length === 1, 'the list from the server');

    network.goOffline();
    // One edit alone: its batch of one has the same variables as its optimistic mutation.
    ada.tasks.create({ title: 'Made offline' });
    // Pushes and catch-ups that fail: the engine keeps trying while offline.
    const failedRequests = async (count: number) => {
      const from = network.requests;
      await eventually(() => network.requests >= from + count, 'failed requests while offline');
    };
    await failedRequests(5);
    expect(titles.latest()).toEqual(['Existing', 'Made offline']);
    titles.stop();

    await ada.close();
    // The app's list is asked for before the client has loaded its storage, as a page does.
    ada = startClient({
      server: fixture.server,
      userId: 'ada',
      workspaceId,
      directory: dir,
      network,
    });
    fixture.cleanup(() => ada.close());
    const reopened = watchTitles(ada, workspaceId);
    await ada.ready;
    await failedRequests(5);
    // Empty until storage is loaded; from then on every answer has it, not only the first.
    const all = reopened.all();
    const answers = all.slice(all.findIndex((answer) => answer.length > 0));
    expect(answers.length).toBeGreaterThan(0);
    for (const answer of answers) expect(answer).toEqual(['Existing', 'Made offline']);
    reopened.stop();

    network.goOnline();
    await ada.flush();
    const state = await serverState('ada', workspaceId);
    expect([...state.values()].map((entity) => entity.title).sort()).toEqual([
      'Existing',
      'Made offline',
    ]);
  });

  it('replays a batch whose response was lost and applies it once (DUPLICATE is success)', async () => {
    const workspaceId = await createWorkspace(fixture.server, 'ada');
    const network = new Network();
    const ada = await client('ada', workspaceId, await directory(), network);
    const statuses: string[] = [];
    ada.on('result', ({ result }) => statuses.push(result.status));

    network.dropPushResponses = 1;
    const id = ada.tasks.create({ title: 'Cycle count', timeSpentMinutes: 10 });
    ada.tasks.update(id, { timeSpentDelta: 5 });
    await ada.flush();

    expect(network.pushBatches.length).toBeGreaterThanOrEqual(3);
    expect(statuses).toEqual(['DUPLICATE', 'APPLIED']);
    const state = await serverState('ada', workspaceId);
    expect(state.get(id)).toMatchObject({ timeSpentMinutes: 15, version: 2 });
    expect(ada.tasks.get(id)).toMatchObject({ timeSpentMinutes: 15, version: 2 });
  });

  it('two clients editing the same tasks, one offline for a while, both end with the server state', async () => {
    const workspaceId = await createWorkspace(fixture.server, 'ada');
    await addMember(fixture.server, 'ada', workspaceId, 'bob', 'EDITOR');
    const bobNetwork = new Network();
    const ada = await client('ada', workspaceId, await directory());
    const bob = await client('bob', workspaceId, await directory(), bobNetwork);
    const tasks = [1, 2, 3, 4].map((n) =>
      ada.tasks.create({ title: `Task ${n}`, notes: 'one two three' }),
    );
    await ada.flush();
    await bob.pull();
    expect(bob.tasks.get(tasks[0] ?? '')?.title).toBe('Task 1');

    bobNetwork.goOffline();
    const [t1 = '', t2 = '', t3 = '', t4 = ''] = tasks;
    ada.tasks.update(t1, { status: 'DONE', priority: 2 });
    bob.tasks.update(t1, { status: 'IN_PROGRESS', timeSpentDelta: 7 });
    ada.tasks.update(t2, { title: 'Task two', tagsAdd: ['a'] });
    bob.tasks.update(t2, { notes: 'one two three four', tagsAdd: ['b'] });
    ada.tasks.update(t3, { timeSpentDelta: 3 });
    bob.tasks.update(t3, { timeSpentDelta: 4 });
    bob.tasks.delete(t4);
    ada.tasks.update(t4, { priority: 5 });
    await ada.flush();
    bob.tasks.update(t3, { sortKey: 'b' });

    bobNetwork.goOnline();
    await bob.flush();
    await Promise.all([ada.pull(), bob.pull()]);

    const state = await serverState('ada', workspaceId);
    expect(state.get(t3)).toMatchObject({ timeSpentMinutes: 7, sortKey: 'b' });
    expect(state.get(t2)).toMatchObject({ title: 'Task two', notes: 'one two three four' });
    expect(state.get(t2)?.tags).toEqual(expect.arrayContaining(['a', 'b']));
    expect(state.get(t4)?.deleted).toBe(true);
    for (const id of tasks) {
      expect(ada.tasks.get(id), `ada's ${id}`).toEqual(state.get(id));
      expect(bob.tasks.get(id), `bob's ${id}`).toEqual(state.get(id));
    }
    expect(ada.status.cursor).toBe(bob.status.cursor);
  });

  it('surfaces rejected changes and conflicts through status and events, never silently', async () => {
    const workspaceId = await createWorkspace(fixture.server, 'ada');
    await addMember(fixture.server, 'ada', workspaceId, 'bob', 'EDITOR');
    const bobNetwork = new Network();
    const ada = await client('ada', workspaceId, await directory());
    const bob = await client('bob', workspaceId, await directory(), bobNetwork);
    const rejections: string[] = [];
    const conflicts: string[] = [];
    ada.on('rejected', ({ error }) => rejections.push(`${error.code}:${error.field}`));
    bob.on('conflict', ({ conflict }) => conflicts.push(conflict.field));

    const bad = ada.tasks.create({ title: 'x'.repeat(201) });
    expect(ada.tasks.get(bad)).not.toBeNull();
    const id = ada.tasks.create({ title: 'Estimate', estimateMinutes: 10 });
    await ada.flush();
    expect(rejections).toEqual(['VALIDATION:title']);
    expect(ada.status.rejected).toBe(1);
    // The rejected create leaves the cache: it shows the server's state again.
    await eventually(() => ada.tasks.get(bad) === null, 'the rejected task to leave the cache');

    await bob.pull();
    bobNetwork.goOffline();
    bob.tasks.update(id, { estimateMinutes: 30 });
    ada.tasks.update(id, { estimateMinutes: 60 });
    await ada.flush();
    bobNetwork.goOnline();
    await bob.flush();
    expect(conflicts).toEqual(['estimateMinutes']);
    expect(bob.status.openConflicts).toBe(1);
    await bob.pull();
    expect(bob.tasks.get(id)?.estimateMinutes).toBe(60);
  });

  it('sends edits made together in one batch, at most 100 changes per pushChanges', async () => {
    const workspaceId = await createWorkspace(fixture.server, 'ada');
    const network = new Network();
    const ada = await client('ada', workspaceId, await directory(), network);
    const ids = Array.from({ length: 250 }, (_, n) => ada.tasks.create({ title: `Bin ${n}` }));
    await ada.flush();
    expect(network.pushBatches).toEqual([100, 100, 50]);
    const state = await serverState('ada', workspaceId);
    expect(ids.every((id) => state.get(id)?.version === 1)).toBe(true);
  });

  it('keeps the queues of two processes that share one storage (urql #2881)', async () => {
    const workspaceId = await createWorkspace(fixture.server, 'ada');
    const dir = await directory();
    const network = new Network();
    network.goOffline();
    const first = await client('ada', workspaceId, dir, network);
    const second = await client('ada', workspaceId, dir, network);
    const a = first.tasks.create({ title: 'From the first' });
    const b = second.tasks.create({ title: 'From the second' });
    await eventually(() => first.status.pending === 1 && second.status.pending === 1, 'edits');
    await Promise.all([first.close(), second.close()]);

    network.goOnline();
    const reopened = await client('ada', workspaceId, dir, network);
    expect(reopened.status.pending).toBe(2);
    await reopened.flush();
    const state = await serverState('ada', workspaceId);
    expect(state.get(a)?.title).toBe('From the first');
    expect(state.get(b)?.title).toBe('From the second');
  });

  it('encrypts its storage and refuses a wrong key', async () => {
    const workspaceId = await createWorkspace(fixture.server, 'ada');
    const dir = await directory();
    const network = new Network();
    network.goOffline();
    const options = { encryptionKey: 'field device 7', encryption: { iterations: 1_000 } };
    const first = await client('ada', workspaceId, dir, network, options);
    const id = first.tasks.create({ title: 'Secret pallets' });
    // Not in the clear anywhere, not even in a journal written before the edit showed.
    expect(await filesContaining(dir, 'Secret pallets')).toEqual([]);
    await first.close();
    expect(await filesContaining(dir, 'Secret pallets')).toEqual([]);

    await expect(
      client('ada', workspaceId, dir, network, { ...options, encryptionKey: 'wrong' }),
    ).rejects.toMatchObject({ code: 'STORAGE_WRONG_KEY' });
    await expect(client('ada', workspaceId, dir, network, {})).rejects.toMatchObject({
      code: 'STORAGE_WRONG_KEY',
    });

    network.goOnline();
    const reopened = await client('ada', workspaceId, dir, network, options);
    expect(reopened.status.pending).toBe(1);
    await reopened.flush();
    expect((await serverState('ada', workspaceId)).get(id)?.title).toBe('Secret pallets');
  });

  it('converges: random edits on three clients with random offline periods end in the server state', async () => {
    const workspaceId = await createWorkspace(fixture.server, 'ada');
    await addMember(fixture.server, 'ada', workspaceId, 'bob', 'EDITOR');
    await addMember(fixture.server, 'ada', workspaceId, 'cy', 'EDITOR');
    // CLIENT_SEED replays a schedule; the default one runs in CI.
    const seed = Number(process.env.CLIENT_SEED ?? 20261122);
    const random = seededRandom(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const peers = await Promise.all(
      ['ada', 'bob', 'cy'].map(async (userId) => {
        const network = new Network();
        const sync = await client(userId, workspaceId, await directory(), network);
        return { sync, network };
      }),
    );
    const ids: string[] = [];
    for (let step = 0; step < 80; step++) {
      const { sync, network } = pick(peers);
      const roll = random();
      if (roll < 0.1) {
        if (network.offline) network.goOnline();
        else network.goOffline();
      } else if (roll < 0.25 || ids.length === 0) {
        ids.push(sync.tasks.create({ title: `Task ${step}`, notes: 'alpha beta gamma' }));
      } else if (roll < 0.3) {
        sync.tasks.delete(pick(ids));
      } else if (roll < 0.35 && !network.offline) {
        await sync.flush();
      } else {
        const patch = pick([
          { status: pick(['TODO', 'IN_PROGRESS', 'DONE'] as const) },
          { priority: Math.floor(random() * 6) },
          { tagsAdd: [pick(['a', 'b', 'c'])] },
          { tagsRemove: [pick(['a', 'b', 'c'])] },
          { timeSpentDelta: Math.floor(random() * 10) },
          { title: `Renamed ${step}` },
        ]);
        sync.tasks.update(pick(ids), patch);
      }
      if (random() < 0.2) await new Promise((resolve) => setTimeout(resolve, 30));
    }
    for (const { network } of peers) network.goOnline();
    await Promise.all(peers.map(({ sync }) => sync.flush()));
    await Promise.all(peers.map(({ sync }) => sync.pull()));

    const state = await serverState('ada', workspaceId);
    for (const { sync } of peers) {
      expect(sync.status.pending).toBe(0);
      for (const id of new Set(ids)) {
        const local = sync.tasks.get(id);
        expect(local, `${id} on a client, seed ${seed}`).toEqual(state.get(id) ?? null);
      }
    }
  });

  it("keeps an app's own entityChanged subscription and the client's live stream apart", async () => {
    const workspaceId = await createWorkspace(fixture.server, 'ada');
    const ada = await client('ada', workspaceId, await directory());
    const bob = await client('ada', workspaceId, await directory());
    await bob.pull();
    // The app subscribes with the very variables the client's own stream uses.
    const seen: (string | undefined)[] = [];
    const appStream = pipe(
      bob.client.subscription(EntityChangedDocument, { workspaceId }),
      subscribe((result) => seen.push(result.data?.entityChanged.entity.id)),
    );

    const first = ada.tasks.create({ title: 'Seen by the app' });
    await ada.flush();
    // The app gets the event's data (the client's stream hands graphcache none of its own).
    await eventually(() => seen.includes(first), 'the app to get the event');
    await eventually(() => bob.tasks.get(first)?.title === 'Seen by the app', 'the cache');

    // The app leaving does not end the client's stream.
    appStream.unsubscribe();
    const second = ada.tasks.create({ title: 'After the app left' });
    await ada.flush();
    await eventually(() => bob.tasks.get(second)?.title === 'After the app left', 'live update');
    expect(seen).not.toContain(undefined);
  });

  it('follows live changes over WebSocket and resumes from its cursor after a drop', async () => {
    const workspaceId = await createWorkspace(fixture.server, 'ada');
    await addMember(fixture.server, 'ada', workspaceId, 'bob', 'EDITOR');
    const bobNetwork = new Network();
    const ada = await client('ada', workspaceId, await directory());
    const bob = await client('bob', workspaceId, await directory(), bobNetwork);
    const dashboard = await client('ada', workspaceId, await directory());
    await Promise.all([bob.pull(), dashboard.pull()]);

    const id = ada.tasks.create({ title: 'Live task', estimateMinutes: 10 });
    await ada.flush();
    await eventually(() => bob.tasks.get(id)?.title === 'Live task', 'bob to see the task live');

    // Dropped: the changes made meanwhile arrive after the reconnect, none lost.
    bobNetwork.goOffline();
    bob.tasks.update(id, { estimateMinutes: 30 });
    ada.tasks.update(id, { estimateMinutes: 60, title: 'Live task, renamed' });
    await ada.flush();
    bobNetwork.goOnline();
    await bob.flush();
    await eventually(
      () => bob.tasks.get(id)?.title === 'Live task, renamed',
      'bob to catch up after reconnecting',
    );
    await eventually(() => dashboard.status.openConflicts === 1, 'the conflict to show live');

    const { cursor } = await syncClient(fixture.server, 'ada', workspaceId).pullAll();
    await eventually(() => bob.status.cursor === cursor, 'bob to reach the server cursor');
    await eventually(() => dashboard.tasks.get(id)?.estimateMinutes === 60, 'dashboard to follow');
  });
});

/** Every answer of the workspace's full task list, as watched by an app's query. */
/** Files under `dir` (at any depth) whose content includes `text`. */
async function filesContaining(dir: string, text: string): Promise<string[]> {
  const names = await readdir(dir, { recursive: true });
  const found: string[] = [];
  for (const name of names) {
    const content = await readFile(join(dir, name)).catch(() => null);
    if (content?.includes(text)) found.push(name);
  }
  return found;
}
