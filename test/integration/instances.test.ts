import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startRedis } from '../support/redis.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { ENTITY_CHANGED, type Received, subscribeSse } from '../support/subscriptions.ts';
import { addMember, createWorkspace, expectNoErrors, newId, syncClient } from '../support/sync.ts';

type Change = { entityChanged: { cursor: string; entity: { id: string } } };

/**
 * docs/operations.md, Several instances, PostgreSQL and Redis: several instances over one
 * PostgreSQL share events through Redis, and a Redis outage loses nothing for subscribers, because
 * streams recover from the change log. Needs the real PostgreSQL (DATABASE_URL) and a redis-server
 * binary; CI has both.
 */
describe.runIf(process.env.DATABASE_URL)('two instances with PostgreSQL and Redis', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let database: TestDatabase;
  let first: TestServer;
  let second: TestServer;
  let workspaceId: string;
  const open: Received<unknown>[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    database = await createTestDatabase('postgres');
    const secret = 'a-shared-secret-of-at-least-32-characters';
    first = await startTestServer('postgres', { REDIS_URL: redis.url }, { database, secret });
    second = await startTestServer('postgres', { REDIS_URL: redis.url }, { database, secret });
    workspaceId = await createWorkspace(first, 'alice');
    await addMember(first, 'alice', workspaceId, 'bob', 'VIEWER');
  });
  afterAll(async () => {
    for (const subscription of open) subscription.stop();
    await first?.stop();
    await second?.stop();
    await database?.drop();
    await redis?.stop();
  });

  async function cursorOn(server: TestServer): Promise<string> {
    const data = expectNoErrors(
      await server.graphql<{ workspaces: { id: string; cursor: string }[] }>(
        '{ workspaces { id cursor } }',
        {},
        { as: 'bob' },
      ),
    );
    return data.workspaces.find((workspace) => workspace.id === workspaceId)?.cursor as string;
  }

  async function subscribeOn(server: TestServer, after: string) {
    const subscription = subscribeSse<Change>(
      server.url,
      await server.token('bob'),
      ENTITY_CHANGED,
      { workspaceId, after },
    );
    open.push(subscription as Received<unknown>);
    return subscription;
  }

  const idsOf = (results: { data?: Change }[]) =>
    results.map((result) => result.data?.entityChanged.entity.id);

  it('delivers a push on one instance to a subscriber on the other', async () => {
    const subscription = await subscribeOn(second, await cursorOn(second));
    // Let the second instance's Redis SUBSCRIBE settle, so delivery is live, not a catch-up.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const id = newId();
    await syncClient(first, 'alice', workspaceId).pushOne({
      task: { id, patch: { title: 'across instances' } },
    });
    expect(idsOf(await subscription.waitFor(1))).toEqual([id]);
    subscription.stop();
  });

  it('loses nothing while Redis restarts: live subscribers and resuming clients get every change', async () => {
    const before = await cursorOn(second);
    const live = await subscribeOn(second, before);
    const writer = syncClient(first, 'alice', workspaceId);
    const ids: string[] = [];
    const push = async (count: number) => {
      for (let index = 0; index < count; index++) {
        const id = newId();
        ids.push(id);
        await writer.pushOne({ task: { id, patch: { title: `change ${ids.length}` } } });
      }
    };

    await push(5);
    await live.waitFor(5);
    await redis.stop();
    await push(5); // published into the void: Redis is down, pushes still succeed
    await redis.start();
    await push(5);

    expect(idsOf(await live.waitFor(15, 30_000))).toEqual(ids);
    const resumed = await subscribeOn(second, before);
    expect(idsOf(await resumed.waitFor(15))).toEqual(ids);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(live.results).toHaveLength(15);
    expect(resumed.results).toHaveLength(15);
  });
});
