import { randomUUID } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type GraphQLResponse, startTestServer, type TestServer } from '../support/server.ts';
import { createWorkspace, newId, syncClient } from '../support/sync.ts';

/**
 * A TCP proxy in front of the shared PostgreSQL that the test can stop (refusing new
 * connections and cutting open ones, as a restarting server does) and start again on the
 * same port, without touching the PostgreSQL other suites use.
 */
async function stoppableProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;

  async function start(): Promise<void> {
    if (server) return;
    const listening = createServer((client) => {
      const upstream = createConnection(target);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(port, '127.0.0.1', resolve);
    });
    const address = listening.address();
    port = typeof address === 'object' && address ? address.port : port;
    server = listening;
  }

  async function stop(): Promise<void> {
    const closing = server;
    server = null;
    for (const socket of sockets) socket.destroy();
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  }

  await start();
  return { port: () => port, start, stop };
}

interface Outcome {
  status: number;
  code: string | undefined;
  retryAfter: string | null;
}

const PUSH = `mutation($input: PushChangesInput!) {
  pushChanges(input: $input) { results { status } }
}`;

describe.runIf(process.env.DATABASE_URL)('PostgreSQL restarted under load', () => {
  let database: TestDatabase;
  let proxy: Awaited<ReturnType<typeof stoppableProxy>>;
  let server: TestServer;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const url = new URL(database.options.databaseUrl as string);
    proxy = await stoppableProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.port = String(proxy.port());
    server = await startTestServer('postgres', { DATABASE_URL: url.toString() }, { database });
  });
  afterAll(async () => {
    await proxy?.start();
    await server?.stop();
    await proxy?.stop();
    await database?.drop();
  });

  /** POSTs with the raw HTTP answer kept: status and Retry-After matter here. */
  async function push(input: unknown): Promise<Outcome & Pick<GraphQLResponse, 'errors'>> {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await server.token('alice')}`,
      },
      body: JSON.stringify({ query: PUSH, variables: { input } }),
    });
    const body = (await response.json()) as GraphQLResponse;
    return {
      status: response.status,
      code: body.errors?.[0]?.extensions?.code,
      retryAfter: response.headers.get('retry-after'),
      ...(body.errors ? { errors: body.errors } : {}),
    };
  }

  it('fails requests with a retryable SERVICE_UNAVAILABLE (503, Retry-After) while it is down, and loses nothing', async () => {
    const workspaceId = await createWorkspace(server, 'alice');
    const counterId = newId();
    await syncClient(server, 'alice', workspaceId).pushOne({
      task: { id: counterId, patch: { title: 'counter' } },
    });
    const outcomes: Outcome[] = [];
    const batchesPerWriter = 12;

    // Each writer pushes its batches in order and retries a refused one unchanged (same
    // mutation ids) after the hinted delay, as the client's outbox does.
    async function writer(): Promise<void> {
      const clientId = randomUUID();
      for (let batch = 0; batch < batchesPerWriter; batch++) {
        const input = {
          workspaceId,
          clientId,
          changes: Array.from({ length: 5 }, () => ({
            task: {
              mutationId: randomUUID(),
              id: counterId,
              baseVersion: 1,
              patch: { timeSpentDelta: 1 },
            },
          })),
        };
        for (let attempt = 0; ; attempt++) {
          const outcome = await push(input);
          outcomes.push(outcome);
          if (outcome.status === 200 && !outcome.code) break;
          if (outcome.code !== 'SERVICE_UNAVAILABLE' || attempt > 100) {
            throw new Error(`unexpected answer: ${JSON.stringify(outcome)}`);
          }
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }

    const writers = Promise.all(Array.from({ length: 4 }, writer));
    await new Promise((resolve) => setTimeout(resolve, 500));
    await proxy.stop();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const ready = await fetch(`${server.url}/ready`);
    expect(ready.status).toBe(503);
    await ready.body?.cancel();
    await proxy.start();
    await writers;

    const refused = outcomes.filter((outcome) => outcome.code === 'SERVICE_UNAVAILABLE');
    expect(refused.length).toBeGreaterThan(0);
    for (const outcome of refused) {
      expect(outcome.status).toBe(503);
      expect(outcome.retryAfter).toBe('1');
    }
    expect(outcomes.filter((outcome) => outcome.status >= 500 && outcome.status !== 503)).toEqual(
      [],
    );

    const state = await syncClient(server, 'alice', workspaceId).pullAll();
    const counter = state.entities.find((entity) => entity.id === counterId);
    expect(counter?.timeSpentMinutes).toBe(4 * batchesPerWriter * 5);
    const readyAgain = await fetch(`${server.url}/ready`);
    expect(readyAgain.status).toBe(200);
    await readyAgain.body?.cancel();
  });
});
