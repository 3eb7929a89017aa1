import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { redisSuitesEnabled, startRedis } from '../support/redis.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { ENTITY_CHANGED, type Received, subscribeSse } from '../support/subscriptions.ts';
import {
  addMember,
  CHANGES_SINCE,
  type ChangeResult,
  createWorkspace,
  type Entity,
  PUSH_CHANGES,
  syncClient,
} from '../support/sync.ts';

/**
 * Issue 7, soak: simulated clients go offline and online at random, edit while offline, and
 * replay their outboxes through either of two instances (PostgreSQL, Redis); some responses
 * are "lost", so batches are sent again. At the end every client has converged to the
 * server's state, every counter equals the sum of the deltas made, and a live subscriber on
 * the other instance saw the same state. SOAK_SECONDS sets the length (default 30).
 */
const soakMs = Number(process.env.SOAK_SECONDS ?? 30) * 1000;
const CLIENTS = 10;
const USERS = ['ana', 'ben', 'cho'];

type Change = { task: Record<string, unknown> } | { comment: Record<string, unknown> };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;
const chance = (p: number) => Math.random() < p;
const key = (entity: Entity) => `${entity.__typename}:${entity.id}`;

/** One field edit of a task, covering every merge strategy. */
function randomPatch(task: Entity, clientId: string): Record<string, unknown> {
  const [add, remove] = ['red', 'green', 'blue'].sort(() => Math.random() - 0.5);
  return pick([
    () => ({ title: `${String(task.title)} ${clientId}`.slice(-150) }),
    () => ({ status: pick(['TODO', 'IN_PROGRESS', 'DONE']) }),
    () => ({ priority: Math.floor(Math.random() * 6) }),
    () => (chance(0.5) ? { tagsAdd: [add] } : { tagsAdd: [add], tagsRemove: [remove] }),
    () => ({ estimateMinutes: 10 * Math.floor(Math.random() * 10) }),
    () => ({ notes: `${clientId} was here` }),
  ])();
}

describe.runIf(process.env.DATABASE_URL && redisSuitesEnabled)(
  'soak: offline clients against two instances',
  () => {
    let database: TestDatabase;
    let redis: Awaited<ReturnType<typeof startRedis>>;
    let instances: TestServer[];
    let workspaceId: string;
    let follower: Received<{ entityChanged: { cursor: string; entity: Entity } }>;
    const counterTasks: string[] = Array.from({ length: 3 }, () => randomUUID());
    const deltaTotals = new Map(counterTasks.map((id) => [id, 0]));

    beforeAll(async () => {
      database = await createTestDatabase('postgres');
      redis = await startRedis();
      const secret = 'soak-secret-of-at-least-32-characters-long';
      instances = [
        await startTestServer('postgres', { REDIS_URL: redis.url }, { database, secret }),
        await startTestServer('postgres', { REDIS_URL: redis.url }, { database, secret }),
      ];
      const [first, second] = instances as [TestServer, TestServer];
      workspaceId = await createWorkspace(first, 'ana');
      for (const user of USERS.slice(1)) await addMember(first, 'ana', workspaceId, user, 'EDITOR');
      await syncClient(first, 'ana', workspaceId).push(
        ...counterTasks.map((id) => ({ task: { id, patch: { title: 'counter' } } })),
      );
      follower = subscribeSse(second.url, await second.token('ana'), ENTITY_CHANGED, {
        workspaceId,
        after: null,
      });
    });
    afterAll(async () => {
      follower?.stop();
      for (const instance of instances ?? []) await instance.stop();
      await database?.drop();
      await redis?.stop();
    });

    /** One device: a local copy built from pulls, an outbox of edits, online or not. */
    function device(index: number) {
      const userId = USERS[index % USERS.length] as string;
      const clientId = `device-${index}`;
      const local = new Map<string, Entity>();
      const outbox: Change[] = [];
      let cursor: string | null = null;
      let online = chance(0.5);
      let server = pick(instances);

      function edit(): void {
        const tasks = [...local.values()].filter((e) => e.__typename === 'Task' && !e.deleted);
        const target = tasks.length > 0 && chance(0.8) ? pick(tasks) : null;
        const mutationId = randomUUID();
        if (chance(0.3)) {
          // Counter tasks are never deleted: every delta made must end up in their total.
          const id = pick(counterTasks);
          const delta = 1 + Math.floor(Math.random() * 20);
          deltaTotals.set(id, (deltaTotals.get(id) ?? 0) + delta);
          const version = local.get(`Task:${id}`)?.version ?? 1;
          outbox.push({
            task: { mutationId, id, baseVersion: version, patch: { timeSpentDelta: delta } },
          });
        } else if (!target) {
          outbox.push({
            task: {
              mutationId,
              id: randomUUID(),
              patch: { title: `made by ${clientId}`, tagsAdd: [userId] },
            },
          });
        } else if (counterTasks.includes(target.id) || !chance(0.05)) {
          const patch = randomPatch(target, clientId);
          outbox.push({ task: { mutationId, id: target.id, baseVersion: target.version, patch } });
        } else {
          outbox.push({
            task: { mutationId, id: target.id, baseVersion: target.version, delete: true },
          });
        }
        if (chance(0.2) && target && !target.deleted) {
          outbox.push({
            comment: {
              mutationId: randomUUID(),
              id: randomUUID(),
              patch: { taskId: target.id, body: `note from ${clientId}` },
            },
          });
        }
      }

      /** Sends the outbox in order; a lost answer leaves the batch queued, to be sent again. */
      async function flush(loseAnswers: boolean): Promise<void> {
        while (outbox.length > 0) {
          const batch = outbox.slice(0, 25);
          const response = await server
            .graphql<{ pushChanges: { results: ChangeResult[] } }>(
              PUSH_CHANGES,
              { input: { workspaceId, clientId, changes: batch } },
              { as: userId },
            )
            .catch(() => null);
          if (!response?.data) throw new Error(`push failed: ${JSON.stringify(response?.errors)}`);
          const results = response.data.pushChanges.results;
          results.forEach((result, position) => {
            const change = batch[position] as Change;
            if ('task' in change && counterTasks.includes(change.task.id as string)) {
              expect(result.status, JSON.stringify(result.error)).not.toBe('REJECTED');
            }
          });
          if (loseAnswers && chance(0.1)) return;
          outbox.splice(0, batch.length);
        }
      }

      async function pull(): Promise<void> {
        for (;;) {
          const response = await server.graphql<{
            changesSince: { cursor: string; hasMore: boolean; entities: Entity[] };
          }>(CHANGES_SINCE, { workspaceId, cursor, limit: 200 }, { as: userId });
          if (!response.data) throw new Error(`pull failed: ${JSON.stringify(response.errors)}`);
          for (const entity of response.data.changesSince.entities) local.set(key(entity), entity);
          cursor = response.data.changesSince.cursor;
          if (!response.data.changesSince.hasMore) return;
        }
      }

      return {
        clientId,
        local,
        outbox,
        async run(until: number): Promise<void> {
          while (Date.now() < until) {
            if (online) {
              await flush(true);
              await pull();
              if (chance(0.15)) online = false;
            } else {
              edit();
              if (chance(0.25)) {
                online = true;
                server = pick(instances); // reconnects land on either instance
              }
            }
            await sleep(40 + Math.random() * 200);
          }
        },
        async settle(): Promise<void> {
          online = true;
          await flush(false);
          await pull();
        },
      };
    }

    it(
      'ends with every client converged to the server and nothing lost',
      async () => {
        const devices = Array.from({ length: CLIENTS }, (_, index) => device(index));
        const until = Date.now() + soakMs;
        await Promise.all(devices.map((each) => each.run(until)));
        for (const each of devices) await each.settle();
        // A second round: pulls now see the other devices' last pushes too.
        for (const each of devices) await each.settle();

        const [first] = instances as [TestServer];
        const truth = await syncClient(first, 'ana', workspaceId).pullAll(null, 1000);
        const state = new Map(truth.entities.map((entity) => [key(entity), entity]));
        expect(state.size).toBeGreaterThan(CLIENTS);
        for (const each of devices) {
          expect(each.outbox, each.clientId).toEqual([]);
          expect(new Map([...each.local].sort()), each.clientId).toEqual(
            new Map([...state].sort()),
          );
        }
        for (const [id, total] of deltaTotals) {
          expect(state.get(`Task:${id}`)?.timeSpentMinutes, id).toBe(total);
        }

        // The live subscriber on the second instance saw everything, through Redis.
        const deadline = Date.now() + 20_000;
        while (
          follower.results.at(-1)?.data?.entityChanged.cursor !== truth.cursor &&
          Date.now() < deadline
        ) {
          await sleep(100);
        }
        const streamed = new Map<string, Entity>();
        for (const result of follower.results) {
          const entity = result.data?.entityChanged.entity;
          if (entity) streamed.set(key(entity), entity);
        }
        expect(new Map([...streamed].sort())).toEqual(new Map([...state].sort()));
      },
      soakMs + 180_000,
    );
  },
);
