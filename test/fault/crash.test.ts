import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '../support/database.ts';
import { startTestServer } from '../support/server.ts';
import { createWorkspace, expectNoErrors, newId, syncClient } from '../support/sync.ts';
import {
  graphqlAt,
  type ServerProcess,
  startServerProcess,
  tsxServerCommand,
} from './server-process.ts';

const PUSH = `mutation($input: PushChangesInput!) {
  pushChanges(input: $input) { cursor results { mutationId status error { code message } } }
}`;
const PULL = `query($w: ID!, $cursor: Cursor) {
  changesSince(workspaceId: $w, cursor: $cursor, limit: 1000) {
    cursor hasMore entities { ... on Task { id timeSpentMinutes } }
  }
}`;
const CREATE_WORKSPACE = 'mutation { createWorkspace(name: "Crash") { id } }';

interface PushResult {
  mutationId: string;
  status: string;
  error: { code: string; message: string } | null;
}

const BATCHES = 4;
const CREATES_PER_BATCH = 300;
const DELTAS_PER_BATCH = 100;

/**
 * Batches of one client: creates of new tasks, and counter increments of one shared task.
 * Counters make "applied exactly once" measurable: the total must equal the number of deltas.
 */
function makeBatches(workspaceId: string, clientId: string, counterId: string) {
  return Array.from({ length: BATCHES }, () => ({
    workspaceId,
    clientId,
    changes: [
      ...Array.from({ length: CREATES_PER_BATCH }, (_, index) => ({
        task: {
          mutationId: randomUUID(),
          id: newId(),
          patch: { title: `t${index}`, notes: 'n'.repeat(200) },
        },
      })),
      ...Array.from({ length: DELTAS_PER_BATCH }, () => ({
        task: {
          mutationId: randomUUID(),
          id: counterId,
          baseVersion: 1,
          patch: { timeSpentDelta: 1 },
        },
      })),
    ],
  }));
}

describe.each(testDatabaseKinds())('SIGKILL in the middle of a batch on %s', (kind) => {
  const secret = 'crash-test-secret-of-at-least-32-characters';
  const auth = { secret, userId: 'field-worker' };
  let database: TestDatabase;
  let server: ServerProcess | undefined;

  afterAll(async () => {
    await server?.stop('SIGKILL');
    await database?.drop();
  });

  async function start(): Promise<ServerProcess> {
    return startServerProcess({
      command: tsxServerCommand,
      env: {
        DATA_DIR: database.options.dataDir,
        ...(database.options.databaseUrl ? { DATABASE_URL: database.options.databaseUrl } : {}),
        AUTH_SECRET: secret,
        LOG_LEVEL: 'warn',
      },
    });
  }

  async function push(url: string, input: unknown): Promise<PushResult[]> {
    const response = await graphqlAt<{ pushChanges: { results: PushResult[] } }>(url, auth, PUSH, {
      input,
    });
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    return response.data?.pushChanges.results ?? [];
  }

  interface PullPage {
    cursor: string;
    hasMore: boolean;
    entities: { id: string; timeSpentMinutes: number }[];
  }

  async function pullAll(url: string, workspaceId: string) {
    const tasks = new Map<string, number>();
    let cursor: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const response: { data?: { changesSince: PullPage }; errors?: unknown } = await graphqlAt<{
        changesSince: PullPage;
      }>(url, auth, PULL, { w: workspaceId, cursor });
      const page = response.data?.changesSince;
      if (!page) throw new Error(JSON.stringify(response.errors));
      for (const task of page.entities) tasks.set(task.id, task.timeSpentMinutes);
      cursor = page.cursor;
      if (!page.hasMore) return tasks;
    }
    throw new Error('pullAll did not finish');
  }

  it('reopens the data, and a replay applies every change exactly once', async () => {
    database = await createTestDatabase(kind);
    server = await start();
    const created = await graphqlAt<{ createWorkspace: { id: string } }>(
      server.url,
      auth,
      CREATE_WORKSPACE,
    );
    const workspaceId = created.data?.createWorkspace.id as string;
    const counterId = newId();
    await push(server.url, {
      workspaceId,
      clientId: 'setup',
      changes: [{ task: { mutationId: 'counter', id: counterId, patch: { title: 'counter' } } }],
    });
    const batches = makeBatches(workspaceId, randomUUID(), counterId);

    // The first batch is acknowledged; the second is killed in flight, at a random moment of
    // its transaction (or just before or after it).
    await push(server.url, batches[0]);
    const inFlight = push(server.url, batches[1]).catch(() => 'connection lost');
    await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 400));
    const killed = await server.stop('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    await inFlight;

    server = await start();
    const replays: PushResult[][] = [];
    for (const batch of batches) replays.push(await push(server.url, batch));
    expect(replays[0]?.every((result) => result.status === 'DUPLICATE')).toBe(true);
    for (const results of replays) {
      // A batch is one transaction: the kill left all of it or none of it.
      const duplicates = results.filter((result) => result.status === 'DUPLICATE').length;
      expect([0, results.length]).toContain(duplicates);
      expect(results.filter((result) => result.status === 'REJECTED')).toEqual([]);
    }

    const tasks = await pullAll(server.url, workspaceId);
    expect(tasks.size).toBe(1 + BATCHES * CREATES_PER_BATCH);
    expect(tasks.get(counterId)).toBe(BATCHES * DELTAS_PER_BATCH);

    // Once more, everything is a duplicate and nothing moves.
    for (const batch of batches.slice(0, 2)) {
      const again = await push(server.url, batch);
      expect(again.every((result) => result.status === 'DUPLICATE')).toBe(true);
    }
    expect((await pullAll(server.url, workspaceId)).get(counterId)).toBe(
      BATCHES * DELTAS_PER_BATCH,
    );
    expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  }, 240_000);
});

describe.each(testDatabaseKinds())('the same batch sent twice concurrently on %s', (kind) => {
  it('applies each change once: one answer APPLIED, the other DUPLICATE', async () => {
    const server = await startTestServer(kind);
    try {
      const workspaceId = await createWorkspace(server, 'alice');
      const client = syncClient(server, 'alice', workspaceId, 'twice');
      const counterId = newId();
      await client.pushOne({ task: { id: counterId, patch: { title: 'counter' } } });
      const input = {
        workspaceId,
        clientId: 'twice',
        changes: [
          ...Array.from({ length: 50 }, () => ({
            task: { mutationId: randomUUID(), id: newId(), patch: { title: 'x' } },
          })),
          ...Array.from({ length: 50 }, () => ({
            task: {
              mutationId: randomUUID(),
              id: counterId,
              baseVersion: 1,
              patch: { timeSpentDelta: 2 },
            },
          })),
        ],
      };
      const send = () =>
        server.graphql<{ pushChanges: { results: PushResult[] } }>(
          PUSH,
          { input },
          { as: 'alice' },
        );
      const [first, second] = await Promise.all([send(), send()]);
      const a = expectNoErrors(first).pushChanges.results;
      const b = expectNoErrors(second).pushChanges.results;
      a.forEach((result, index) => {
        const statuses = [result.status, b[index]?.status];
        expect(statuses.filter((status) => status === 'DUPLICATE')).toHaveLength(1);
        expect(
          statuses.filter((status) => status === 'APPLIED' || status === 'MERGED'),
        ).toHaveLength(1);
      });
      const pulled = await client.pullAll();
      expect(pulled.entities).toHaveLength(51);
      expect(pulled.entities.find((entity) => entity.id === counterId)?.timeSpentMinutes).toBe(100);
    } finally {
      await server.stop();
    }
  });
});
