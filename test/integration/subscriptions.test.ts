import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import {
  CONFLICT_CHANGED,
  ENTITY_CHANGED,
  type Received,
  subscribeSse,
  subscribeWs,
} from '../support/subscriptions.ts';
import {
  addMember,
  createWorkspace,
  expectNoErrors,
  newId,
  type SyncClient,
  syncClient,
  workspaceCursor,
} from '../support/sync.ts';

interface EntityChange {
  entityChanged: {
    cursor: string;
    op: string;
    changedFields: string[];
    actorId: string;
    clientId: string;
    entity: { __typename: string; id: string; version: number; [field: string]: unknown };
  };
}

describe.each(testDatabaseKinds())('entityChanged and conflictChanged over SSE on %s', (kind) => {
  let server: TestServer;
  let workspaceId: string;
  let alice: SyncClient;
  const open: Received<unknown>[] = [];

  beforeAll(async () => {
    server = await startTestServer(kind);
    workspaceId = await createWorkspace(server, 'alice');
    await addMember(server, 'alice', workspaceId, 'bob', 'EDITOR');
    alice = syncClient(server, 'alice', workspaceId, 'alice-client');
  });
  afterAll(async () => {
    for (const subscription of open) subscription.stop();
    await server?.stop();
  });

  async function subscribe(
    as: string,
    variables: Record<string, unknown> = {},
    query = ENTITY_CHANGED,
  ) {
    const subscription = subscribeSse<EntityChange>(server.url, await server.token(as), query, {
      workspaceId,
      ...variables,
    });
    open.push(subscription as Received<unknown>);
    return subscription;
  }

  /** The cursor now: subscriptions opened with it see exactly what follows. */
  const cursorNow = () => workspaceCursor(server, 'alice', workspaceId);

  it('delivers one event per applied change, in order, with op, fields, actor and client', async () => {
    const subscription = await subscribe('bob', { after: await cursorNow() });
    const id = newId();
    await alice.push(
      { task: { id, patch: { title: 'Live' } } },
      { task: { id, baseVersion: 1, patch: { status: 'DONE', priority: 2 } } },
    );
    await alice.pushOne({ task: { id, baseVersion: 2, delete: true } });
    const results = await subscription.waitFor(3);
    const events = results.map((result) => (result.data as EntityChange).entityChanged);
    expect(events.map((event) => [event.op, event.entity.version])).toEqual([
      ['CREATE', 1],
      ['UPDATE', 2],
      ['DELETE', 3],
    ]);
    expect(events[1]).toMatchObject({
      actorId: 'alice',
      clientId: 'alice-client',
      entity: { status: 'DONE' },
    });
    expect([...(events[1]?.changedFields ?? [])].sort()).toEqual(['priority', 'status']);
    expect(events[2]?.entity.deleted).toBe(true);
    subscription.stop();
  });

  it('filters by type and emits nothing for rejected changes', async () => {
    const subscription = await subscribe('bob', { after: await cursorNow(), types: ['PROJECT'] });
    await alice.push(
      { task: { id: newId(), patch: { title: 'not a project' } } },
      { project: { id: newId(), patch: {} } }, // rejected: no name
      { project: { id: newId(), patch: { name: 'P' } } },
    );
    const results = await subscription.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(
      results.map((result) => (result.data as EntityChange).entityChanged.entity.__typename),
    ).toEqual(['Project']);
    subscription.stop();
  });

  it('resumes with after while another client writes: exactly the change log, no gap, no duplicate', async () => {
    const start = await cursorNow();
    const writes = 60;
    const ids: string[] = [];
    const writer = (async () => {
      for (let index = 0; index < writes; index++) {
        const id = newId();
        ids.push(id);
        await alice.pushOne({ task: { id, patch: { title: `w${index}` } } });
      }
    })();
    // Subscribe mid-stream, from the cursor before the first write.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const subscription = await subscribe('bob', { after: start });
    await writer;
    const results = await subscription.waitFor(writes);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const received = results.map((result) => (result.data as EntityChange).entityChanged.entity.id);
    expect(received).toEqual(ids);
    const cursors = results.map((result) => (result.data as EntityChange).entityChanged.cursor);
    expect(new Set(cursors).size).toBe(cursors.length);
    subscription.stop();
  });

  it('refuses non-members, bad tokens and unknown workspaces', async () => {
    const outsider = await subscribe('mallory');
    const [refused] = await outsider.waitFor(1);
    expect(refused?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = subscribeSse(server.url, null, ENTITY_CHANGED, { workspaceId });
    const [unauthenticated] = await anonymous.waitFor(1);
    expect(unauthenticated?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const badToken = subscribeSse(server.url, 'not-a-token', ENTITY_CHANGED, { workspaceId });
    const [bad] = await badToken.waitFor(1);
    expect(bad?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('stops delivering to a user removed from the workspace', async () => {
    await addMember(server, 'alice', workspaceId, 'temp', 'VIEWER');
    const subscription = await subscribe('temp', { after: await cursorNow() });
    await alice.pushOne({ task: { id: newId(), patch: { title: 'seen' } } });
    await subscription.waitFor(1);
    expectNoErrors(
      await server.graphql(
        'mutation($w: ID!, $u: ID!) { removeMember(workspaceId: $w, userId: $u) }',
        { w: workspaceId, u: 'temp' },
        { as: 'alice' },
      ),
    );
    const results = await subscription.waitFor(2);
    expect(results[1]?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await alice.pushOne({ task: { id: newId(), patch: { title: 'unseen' } } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(subscription.results).toHaveLength(2);
  });

  it('emits conflictChanged when a conflict opens and when it is resolved', async () => {
    const subscription = await subscribe('alice', {}, CONFLICT_CHANGED);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const bob = syncClient(server, 'bob', workspaceId);
    const id = newId();
    await alice.pushOne({ task: { id, patch: { title: 'x', estimateMinutes: 10 } } });
    await alice.pushOne({ task: { id, baseVersion: 1, patch: { estimateMinutes: 20 } } });
    const opened = await bob.pushOne({
      task: { id, baseVersion: 1, patch: { estimateMinutes: 30 } },
    });
    const conflictId = (opened.conflict as { id: string }).id;
    expectNoErrors(
      await server.graphql(
        'mutation($id: ID!) { resolveConflict(id: $id, choice: LOCAL) { id } }',
        { id: conflictId },
        { as: 'alice' },
      ),
    );
    const results = await subscription.waitFor(2);
    expect(results.map((result) => result.data)).toEqual([
      {
        conflictChanged: {
          id: conflictId,
          field: 'estimateMinutes',
          status: 'OPEN',
          entityId: id,
          resolution: null,
        },
      },
      {
        conflictChanged: {
          id: conflictId,
          field: 'estimateMinutes',
          status: 'RESOLVED',
          entityId: id,
          resolution: 30,
        },
      },
    ]);
    subscription.stop();
  });

  it('delivers the same events over SSE and WebSocket', async () => {
    const after = await cursorNow();
    const token = await server.token('bob');
    const overSse = subscribeSse<EntityChange>(server.url, token, ENTITY_CHANGED, {
      workspaceId,
      after,
    });
    const overWs = subscribeWs<EntityChange>(server.url, token, ENTITY_CHANGED, {
      workspaceId,
      after,
    });
    open.push(overSse as Received<unknown>, overWs as Received<unknown>);
    const id = newId();
    await alice.pushOne({ task: { id, patch: { title: 'both ways', tagsAdd: ['x'] } } });
    await alice.pushOne({ task: { id, baseVersion: 1, patch: { notes: 'more' } } });
    await alice.pushOne({ comment: { id: newId(), patch: { taskId: id, body: 'hi' } } });
    const [sse, ws] = await Promise.all([overSse.waitFor(3), overWs.waitFor(3)]);
    expect(ws).toHaveLength(3);
    expect(ws).toEqual(sse);
    overSse.stop();
    overWs.stop();
  });

  it('refuses a WebSocket subscription into a workspace the user is not in', async () => {
    const outsider = subscribeWs(server.url, await server.token('mallory'), ENTITY_CHANGED, {
      workspaceId,
    });
    open.push(outsider as Received<unknown>);
    const [refused] = await outsider.waitFor(1);
    expect(refused?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('replays each change with the entity as it was right after that change', async () => {
    const start = await cursorNow();
    const id = newId();
    await alice.pushOne({
      task: { id, patch: { title: 'first', dueAt: '2027-01-01T00:00:00.000Z' } },
    });
    await alice.pushOne({
      task: { id, baseVersion: 1, patch: { title: 'second', tagsAdd: ['a'] } },
    });
    await alice.pushOne({
      task: { id, baseVersion: 2, patch: { dueAt: null, timeSpentDelta: 5 } },
    });
    const replay = await subscribe('bob', { after: start });
    const events = (await replay.waitFor(3)).map(
      (result) => (result.data as EntityChange).entityChanged,
    );
    expect(
      events.map((event) => [
        event.op,
        event.entity.version,
        event.entity.title,
        event.entity.dueAt,
        event.entity.tags,
        event.entity.timeSpentMinutes,
      ]),
    ).toEqual([
      ['CREATE', 1, 'first', '2027-01-01T00:00:00.000Z', [], 0],
      ['UPDATE', 2, 'second', '2027-01-01T00:00:00.000Z', ['a'], 0],
      ['UPDATE', 3, 'second', null, ['a'], 5],
    ]);
    expect(events.map((event) => event.changedFields)).toEqual([
      expect.arrayContaining(['title', 'dueAt']),
      ['tags', 'title'],
      ['dueAt', 'timeSpentMinutes'],
    ]);
    replay.stop();
  });
});
