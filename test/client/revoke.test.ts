import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createMemoryStorage, type SyncEvents, WorkspaceRevokedError } from '../../client/index.ts';
import { purgeWorkspace } from '../../client/revocation.ts';
import { startTestServer } from '../support/server.ts';
import { addMember, createWorkspace, expectNoErrors, newId, syncClient } from '../support/sync.ts';
import { eventually, Network, openClient, serverFixture } from './helpers.ts';

describe('access revoked', () => {
  // A short recheck: a stream whose removal notice was lost ends within a second.
  const fixture = serverFixture(() =>
    startTestServer('pglite', { MEMBERSHIP_RECHECK_SECONDS: '1' }),
  );

  /** A workspace of ada's with bob in it, and bob's client on a file storage. */
  async function bobInWorkspace(options: { live: boolean; role?: 'EDITOR' | 'VIEWER' }) {
    const { server } = fixture;
    const workspaceId = await createWorkspace(server, 'ada');
    await addMember(server, 'ada', workspaceId, 'bob', options.role ?? 'EDITOR');
    // Something for bob's replica to hold before he is removed.
    const seen = newId();
    await syncClient(server, 'ada', workspaceId).pushOne({
      task: { id: seen, patch: { title: 'Seen by bob' } },
    });
    const directory = await fixture.directory();
    const network = new Network();
    const sync = await openClient({
      server,
      userId: 'bob',
      workspaceId,
      directory,
      network,
      options: { live: options.live },
    });
    fixture.cleanup(() => sync.close());
    const revoked: SyncEvents['revoked'][] = [];
    sync.on('revoked', (event) => revoked.push(event));
    await sync.pull();
    expect(sync.tasks.get(seen)?.title).toBe('Seen by bob');
    return { sync, network, directory, workspaceId, revoked, seen };
  }

  async function removeBob(workspaceId: string) {
    expectNoErrors(
      await fixture.server.graphql(
        'mutation($w: ID!, $u: ID!) { removeMember(workspaceId: $w, userId: $u) }',
        { w: workspaceId, u: 'bob' },
        { as: 'ada' },
      ),
    );
  }

  /** The names of what file storage keeps for `workspaceId`: records and journal entries. */
  async function storedFor(directory: string, workspaceId: string): Promise<string[]> {
    const names = [
      ...(await readdir(directory)),
      ...(await readdir(`${directory}/journal`).catch(() => [])),
    ];
    return names.filter((name) => decodeURIComponent(name).includes(workspaceId));
  }

  /** Requests sent over a span in which a retrying client (20 to 300 ms backoff) sends many. */
  async function requestsWhileWaiting(network: Network): Promise<number> {
    const before = network.requests;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    return network.requests - before;
  }

  it('purges the workspace and reports the edits made offline when the client reconnects', async () => {
    const { sync, network, directory, workspaceId, revoked, seen } = await bobInWorkspace({
      live: false,
    });
    network.goOffline();
    const created = sync.tasks.create({ title: 'Made offline', tags: ['dock-3'] });
    sync.tasks.update(seen, { status: 'IN_PROGRESS', timeSpentDelta: 15 });
    sync.tasks.delete(created);
    await eventually(async () => {
      const stored = (await storedFor(directory, workspaceId)).join();
      // The outbox is one record; the replica a log of entity records (client/storage/file.ts).
      return stored.includes('item-outbox') && stored.includes('records-replica');
    }, 'the outbox and replica records on disk');

    await removeBob(workspaceId);
    network.goOnline();
    await eventually(() => revoked.length > 0, 'the revoked event');
    // Back online, a retried push may have gone out (and been refused) before a catch-up
    // found the removal; nothing goes out after.
    const pushes = network.pushBatches.length;

    expect(revoked).toHaveLength(1);
    const [event] = revoked;
    expect(event?.workspaceId).toBe(workspaceId);
    expect(event?.error.code).toBe('FORBIDDEN');
    expect(event?.unsent.map(({ kind, id, op, patch }) => ({ kind, id, op, patch }))).toEqual([
      {
        kind: 'task',
        id: created,
        op: 'create',
        patch: expect.objectContaining({ title: 'Made offline', tagsAdd: ['dock-3'] }),
      },
      {
        kind: 'task',
        id: seen,
        op: 'update',
        patch: { status: 'IN_PROGRESS', timeSpentDelta: 15 },
      },
      { kind: 'task', id: created, op: 'delete', patch: null },
    ]);
    expect(new Set(event?.unsent.map((entry) => entry.mutationId)).size).toBe(3);
    expect(sync.status).toMatchObject({ revoked: true, pending: 0, cursor: null });
    expect(await storedFor(directory, workspaceId)).toEqual([]);

    // Stopped: nothing more sent, and new edits are refused, not stored.
    expect(await requestsWhileWaiting(network)).toBe(0);
    expect(network.pushBatches).toHaveLength(pushes);
    expect(() => sync.tasks.create({ title: 'After the purge' })).toThrow(WorkspaceRevokedError);
    await expect(sync.flush()).rejects.toMatchObject({ code: 'WORKSPACE_REVOKED' });
    await expect(sync.pull()).rejects.toMatchObject({ code: 'WORKSPACE_REVOKED' });
    expect(await storedFor(directory, workspaceId)).toEqual([]);
    expect(revoked).toHaveLength(1);

    const { entities } = await syncClient(fixture.server, 'ada', workspaceId).pullAll();
    expect(entities.map((entity) => entity.id)).toEqual([seen]);
  });

  it('purges when a push is refused and a catch-up confirms the member is gone', async () => {
    const { sync, network, directory, workspaceId, revoked } = await bobInWorkspace({
      live: false,
    });
    const rejected: SyncEvents['rejected'][] = [];
    sync.on('rejected', (event) => rejected.push(event));
    await removeBob(workspaceId);
    const id = sync.tasks.create({ title: 'Pushed after removal' });
    const flushed = sync.flush();
    await expect(flushed).rejects.toBeInstanceOf(WorkspaceRevokedError);

    expect(revoked.map((event) => event.unsent.map((entry) => entry.id))).toEqual([[id]]);
    expect(rejected).toEqual([]);
    expect(network.pushBatches).toEqual([1]);
    expect(sync.status).toMatchObject({ revoked: true, pending: 0, rejected: 0 });
    expect(await storedFor(directory, workspaceId)).toEqual([]);
    expect(await requestsWhileWaiting(network)).toBe(0);
  });

  it('ends with the live stream when the server rechecks membership', async () => {
    const { sync, network, directory, workspaceId, revoked } = await bobInWorkspace({
      live: true,
    });
    await eventually(() => network.sockets.size > 0, 'the live socket');
    // Straight in the database: no removal notice, only the periodic recheck notices.
    await fixture.server.app.services.prisma.member.delete({
      where: { workspaceId_userId: { workspaceId, userId: 'bob' } },
    });
    await eventually(() => revoked.length > 0, 'the revoked event');

    // Online with nothing to send, the client makes no requests of its own: the stream's end
    // is what found the removal.
    expect(revoked[0]?.unsent).toEqual([]);
    expect(sync.status.revoked).toBe(true);
    expect(await storedFor(directory, workspaceId)).toEqual([]);
    await eventually(() => network.sockets.size === 0, 'the live socket closed');
    expect(await requestsWhileWaiting(network)).toBe(0);
  });

  it('does not purge for a role that may not push, nor for a change refused on its own', async () => {
    const { sync, directory, workspaceId, revoked, seen } = await bobInWorkspace({
      live: false,
      role: 'VIEWER',
    });
    const rejected: SyncEvents['rejected'][] = [];
    sync.on('rejected', (event) => rejected.push(event));
    sync.tasks.update(seen, { title: 'A viewer tries' });
    await sync.flush();
    expect(rejected.map((event) => event.error.code)).toEqual(['FORBIDDEN']);

    // An editor changing someone else's comment: FORBIDDEN inside a successful push.
    expectNoErrors(
      await fixture.server.graphql(
        'mutation($w: ID!, $u: ID!, $r: Role!) { addMember(workspaceId: $w, userId: $u, role: $r) { userId } }',
        { w: workspaceId, u: 'bob', r: 'EDITOR' },
        { as: 'ada' },
      ),
    );
    const comment = newId();
    await syncClient(fixture.server, 'ada', workspaceId).pushOne({
      comment: { id: comment, patch: { taskId: seen, body: 'Ada wrote this' } },
    });
    await sync.pull();
    sync.comments.update(comment, { body: 'Bob rewrites it' });
    await sync.flush();
    expect(rejected.map((event) => event.error.code)).toEqual(['FORBIDDEN', 'FORBIDDEN']);

    expect(revoked).toEqual([]);
    expect(sync.status).toMatchObject({ revoked: false, rejected: 2 });
    expect((await storedFor(directory, workspaceId)).join()).toContain('replica');
  });
});

describe('purging one workspace of a shared storage', () => {
  it("deletes the workspace's cache entries and keeps another workspace's", async () => {
    const storage = createMemoryStorage();
    const [gone, kept] = [crypto.randomUUID(), crypto.randomUUID()];
    const [goneTask, keptTask] = [newId(), newId()];
    await storage.writeData({
      [`Task:${goneTask}.title`]: '"Revoked"',
      [`Query.task({"id":"${goneTask}"})`]: `:"Task:${goneTask}"`,
      [`Query.changesSince({"workspaceId":"${gone}"})`]: '"ChangeBatch"',
      [`Task:${keptTask}.title`]: '"Kept"',
      [`Query.task({"id":"${keptTask}"})`]: `:"Task:${keptTask}"`,
      [`Query.changesSince({"workspaceId":"${kept}"})`]: '"ChangeBatch"',
    });
    await purgeWorkspace({
      workspaceId: gone,
      inMemory: [],
      outbox: undefined,
      replica: undefined,
      cache: { storage, entityKeys: [`Task:${goneTask}`] },
    });
    expect(Object.keys(await storage.readData()).sort()).toEqual(
      [
        `Task:${keptTask}.title`,
        `Query.task({"id":"${keptTask}"})`,
        `Query.changesSince({"workspaceId":"${kept}"})`,
      ].sort(),
    );
  });
});
