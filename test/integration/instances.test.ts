import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { redisSuitesEnabled, startRedis } from '../support/redis.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import {
  CONFLICT_CHANGED,
  ENTITY_CHANGED,
  type Received,
  type SubscriptionResult,
  subscribeSse,
  subscribeWs,
} from '../support/subscriptions.ts';
import {
  addMember,
  createWorkspace,
  expectNoErrors,
  newId,
  syncClient,
  workspaceCursor,
} from '../support/sync.ts';

type Change = { entityChanged: { cursor: string; entity: { id: string } } };

/**
 * docs/operations.md, Several instances, PostgreSQL and Redis: several instances over one
 * PostgreSQL share events through Redis, and a Redis outage loses nothing for subscribers, because
 * streams recover from the change log. Needs the real PostgreSQL (DATABASE_URL) and a redis-server
 * binary; CI has both.
 */
describe.runIf(process.env.DATABASE_URL && redisSuitesEnabled)(
  'two instances with PostgreSQL and Redis',
  () => {
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
      // The first instance re-reads memberships only when it resyncs; the second also every 2 s.
      first = await startTestServer(
        'postgres',
        { REDIS_URL: redis.url, MEMBERSHIP_RECHECK_SECONDS: '3600' },
        { database, secret },
      );
      second = await startTestServer(
        'postgres',
        { REDIS_URL: redis.url, MEMBERSHIP_RECHECK_SECONDS: '2' },
        { database, secret },
      );
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

    const cursorOn = (server: TestServer) => workspaceCursor(server, 'bob', workspaceId);

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

    /** Every stream of `userId` on `server`: entityChanged and conflictChanged, SSE and WebSocket. */
    async function allStreamsOf(server: TestServer, userId: string) {
      const token = await server.token(userId);
      const after = await cursorOn(server);
      const streams = [
        subscribeSse(server.url, token, ENTITY_CHANGED, { workspaceId, after }),
        subscribeWs(server.url, token, ENTITY_CHANGED, { workspaceId, after }),
        subscribeSse(server.url, token, CONFLICT_CHANGED, { workspaceId }),
        subscribeWs(server.url, token, CONFLICT_CHANGED, { workspaceId }),
      ];
      open.push(...(streams as Received<unknown>[]));
      // Past the start-up resync, so what ends them later is what the test does.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      return streams;
    }

    async function removeMember(server: TestServer, userId: string) {
      const data = expectNoErrors(
        await server.graphql<{ removeMember: boolean }>(
          'mutation($w: ID!, $u: ID!) { removeMember(workspaceId: $w, userId: $u) }',
          { w: workspaceId, u: userId },
          { as: 'alice' },
        ),
      );
      expect(data.removeMember).toBe(true);
    }

    const codesOf = (results: SubscriptionResult[]) =>
      results.map((result) => result.errors?.[0]?.extensions?.code ?? 'data');

    it('ends a removed member’s streams when Redis returns, though the removal notice was lost', async () => {
      await addMember(first, 'alice', workspaceId, 'carol', 'VIEWER');
      const streams = await allStreamsOf(first, 'carol');
      await redis.stop();
      try {
        await removeMember(second, 'carol'); // its notice is published into the void
      } finally {
        await redis.start();
      }
      // A change and a conflict after the removal, which the catch-up would otherwise deliver.
      const writer = syncClient(second, 'alice', workspaceId);
      const id = newId();
      await writer.pushOne({
        task: { id, patch: { title: 'after carol left', estimateMinutes: 1 } },
      });
      await writer.pushOne({ task: { id, baseVersion: 1, patch: { estimateMinutes: 2 } } });
      await writer.pushOne({ task: { id, baseVersion: 1, patch: { estimateMinutes: 3 } } });

      for (const stream of streams) {
        expect(codesOf(await stream.waitFor(1, 30_000))).toEqual(['FORBIDDEN']);
        await stream.ended;
      }
    });

    it('ends a removed member’s streams within MEMBERSHIP_RECHECK_SECONDS while Redis stays down', async () => {
      await addMember(first, 'alice', workspaceId, 'dave', 'VIEWER');
      const streams = await allStreamsOf(second, 'dave');
      await redis.stop();
      try {
        await removeMember(first, 'dave');
        await syncClient(first, 'alice', workspaceId).pushOne({
          task: { id: newId(), patch: { title: 'after dave left' } },
        });
        // Liveness bound, not a speed assertion: the recheck runs every 2 s on this instance.
        for (const stream of streams) {
          expect(codesOf(await stream.waitFor(1, 15_000))).toEqual(['FORBIDDEN']);
          await stream.ended;
        }
      } finally {
        await redis.start();
      }
    });
  },
);
