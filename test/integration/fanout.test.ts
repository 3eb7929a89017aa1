import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import {
  ENTITY_CHANGED,
  type Received,
  type SubscriptionResult,
  subscribeSse,
  subscribeWs,
} from '../support/subscriptions.ts';
import {
  addMember,
  createWorkspace,
  newId,
  type SyncClient,
  syncClient,
  workspaceCursor,
} from '../support/sync.ts';

interface EntityChange {
  entityChanged: { cursor: string; entity: { id: string; title?: string; notes?: string } };
}

/** The selection depends on $withNotes: subscribers with other values must not share. */
const WITH_OPTIONAL_NOTES = `
  subscription Optional($workspaceId: ID!, $after: Cursor, $withNotes: Boolean!) {
    entityChanged(workspaceId: $workspaceId, after: $after) {
      cursor
      entity { ... on Task { id title notes @include(if: $withNotes) } }
    }
  }`;

/** Longer than the 1 s settle re-read a stream makes after it starts (schema/subscriptions.ts). */
const SETTLE_MS = 1_500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function seriesValue(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/**
 * Fan-out multiplexing (server/transport/fanout.ts): counted by the
 * converge_subscription_results_total series, executed or shared.
 */
describe.each(testDatabaseKinds())('fan-out of one event to many subscribers on %s', (kind) => {
  let server: TestServer;
  const open: Received<unknown>[] = [];

  beforeAll(async () => {
    server = await startTestServer(kind);
  });
  afterAll(async () => {
    for (const subscription of open) subscription.stop();
    await server?.stop();
  });

  async function results() {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const series = (result: string) => `converge_subscription_results_total{result="${result}"}`;
    return {
      executed: seriesValue(text, series('executed')),
      shared: seriesValue(text, series('shared')),
    };
  }

  function track<T>(subscription: Received<T>): Received<T> {
    open.push(subscription as Received<unknown>);
    return subscription;
  }

  /** A workspace of its own for each test, so that no other test's subscriber counts. */
  async function workspaceWithViewers() {
    const workspaceId = await createWorkspace(server, 'alice');
    for (const user of ['bob', 'carol', 'dave', 'erin']) {
      await addMember(server, 'alice', workspaceId, user, 'VIEWER');
    }
    return { workspaceId, alice: syncClient(server, 'alice', workspaceId, 'alice-client') };
  }

  /** Pushes a task and waits until every subscription has it: they are all live then. */
  async function pushAndWait(alice: SyncClient, subscriptions: Received<unknown>[], title: string) {
    const id = newId();
    const before = subscriptions.map((subscription) => subscription.results.length);
    await alice.pushOne({ task: { id, patch: { title } } });
    await Promise.all(
      subscriptions.map((subscription, index) => subscription.waitFor((before[index] ?? 0) + 1)),
    );
    return id;
  }

  it('executes the selection once per event for every subscriber of the same document, over WebSocket and SSE', async () => {
    const { workspaceId, alice } = await workspaceWithViewers();
    // Every stream starts from this cursor, so the probe reaches each however late it starts.
    const after = await workspaceCursor(server, 'alice', workspaceId);
    const variables = { workspaceId, after };
    const subscriptions = [
      subscribeWs<EntityChange>(server.url, await server.token('bob'), ENTITY_CHANGED, variables),
      // Root arguments shape only the subscriber's own stream: these still share.
      subscribeWs<EntityChange>(server.url, await server.token('carol'), ENTITY_CHANGED, {
        ...variables,
        types: ['TASK'],
      }),
      subscribeWs<EntityChange>(server.url, await server.token('dave'), ENTITY_CHANGED, variables),
      subscribeSse<EntityChange>(server.url, await server.token('erin'), ENTITY_CHANGED, variables),
    ].map(track);
    // A subscriber of other types does not get the event at all.
    const projects = track(
      subscribeWs<EntityChange>(server.url, await server.token('bob'), ENTITY_CHANGED, {
        ...variables,
        types: ['PROJECT'],
      }),
    );
    await pushAndWait(alice, subscriptions, 'probe');
    await sleep(SETTLE_MS);

    const before = await results();
    const id = await pushAndWait(alice, subscriptions, 'shared');
    const counted = await results();
    expect(counted.executed - before.executed).toBe(1);
    expect(counted.shared - before.shared).toBe(subscriptions.length - 1);

    const delivered = subscriptions.map((subscription) => subscription.results.at(-1));
    for (const result of delivered) {
      expect(result).toEqual(delivered[0]);
      expect(result?.data?.entityChanged.entity).toMatchObject({ id, title: 'shared' });
    }
    expect(projects.results).toEqual([]);
  });

  it('does not share results between subscribers whose selection variables differ', async () => {
    const { workspaceId, alice } = await workspaceWithViewers();
    const after = await workspaceCursor(server, 'alice', workspaceId);
    const subscribe = async (user: string, withNotes: boolean) =>
      track(
        subscribeWs<EntityChange>(server.url, await server.token(user), WITH_OPTIONAL_NOTES, {
          workspaceId,
          after,
          withNotes,
        }),
      );
    const subscriptions = [
      await subscribe('bob', true),
      await subscribe('carol', true),
      await subscribe('dave', false),
    ];
    await pushAndWait(alice, subscriptions, 'probe');
    await sleep(SETTLE_MS);

    const before = await results();
    await pushAndWait(alice, subscriptions, 'split');
    const counted = await results();
    // One execution with notes, shared by two, and one without.
    expect(counted.executed - before.executed).toBe(2);
    expect(counted.shared - before.shared).toBe(1);
    const entities = subscriptions.map(
      (subscription) =>
        (subscription.results.at(-1) as SubscriptionResult<EntityChange>).data?.entityChanged
          .entity,
    );
    expect(entities[0]).toHaveProperty('notes');
    expect(entities[1]).toEqual(entities[0]);
    expect(entities[2]).not.toHaveProperty('notes');
    expect(entities[2]).toMatchObject({ title: 'split' });
  });
});
