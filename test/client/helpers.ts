import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { pipe, subscribe } from 'wonka';
import WebSocket from 'ws';
import { ChangesSinceDocument } from '../../client/generated/graphql.ts';
import { createSyncClient, type SyncClient, type SyncClientOptions } from '../../client/index.ts';
import { buildApp } from '../../server/app.ts';
import { signToken } from '../../server/auth/jwt.ts';
import { parseConfig } from '../../server/config.ts';
import { createTestDatabase, type TestDatabaseKind } from '../support/database.ts';
import type { TestServer } from '../support/server.ts';

/**
 * A network that tests switch off and on: HTTP through a fetch that fails like an
 * unreachable server, WebSockets through a class that cannot connect (open sockets are
 * dropped when the switch goes off).
 */
export class Network {
  offline = false;
  /** Lets the next N pushChanges requests reach the server, then loses their responses. */
  dropPushResponses = 0;
  requests = 0;
  /** Sizes of the pushChanges batches sent, in order. */
  readonly pushBatches: number[] = [];
  readonly sockets = new Set<WebSocket>();

  readonly fetch: typeof fetch = async (input, init) => {
    this.requests += 1;
    if (this.offline) throw new TypeError('fetch failed');
    const isPush = typeof init?.body === 'string' && init.body.includes('pushChanges(');
    if (isPush) this.pushBatches.push(batchSize(init?.body));
    const response = await globalThis.fetch(input, init);
    if (isPush && this.dropPushResponses > 0) {
      this.dropPushResponses -= 1;
      await response.text();
      // The server applied the batch; the client never hears about it.
      throw new TypeError('fetch failed: connection reset');
    }
    return response;
  };

  readonly WebSocket: unknown;

  constructor() {
    const network = this;
    this.WebSocket = class extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(network.offline ? 'ws://127.0.0.1:9/offline' : address, protocols);
        network.sockets.add(this);
        this.once('close', () => network.sockets.delete(this));
      }
    };
  }

  goOffline(): void {
    this.offline = true;
    for (const socket of this.sockets) {
      // ws throws, rather than reports, a terminate() of a socket still connecting.
      if (socket.readyState === WebSocket.CONNECTING) socket.once('open', () => socket.terminate());
      else socket.terminate();
    }
  }

  goOnline(): void {
    this.offline = false;
  }
}

function batchSize(body: unknown): number {
  const parsed = JSON.parse(String(body)) as { variables?: { input?: { changes?: unknown[] } } };
  return parsed.variables?.input?.changes?.length ?? 0;
}

export interface ClientSetup {
  server: TestServer;
  userId: string;
  workspaceId: string;
  directory: string;
  network?: Network;
  options?: Partial<SyncClientOptions>;
}

export async function openClient(setup: ClientSetup): Promise<SyncClient> {
  const client = startClient(setup);
  await client.ready;
  return client;
}

/** A client as an app creates one: usable at once, before its storage is loaded. */
export function startClient(setup: ClientSetup): SyncClient {
  const network = setup.network ?? new Network();
  return createSyncClient({
    url: `${setup.server.url}/graphql`,
    getToken: () => setup.server.token(setup.userId),
    workspaceId: setup.workspaceId,
    storage: { file: setup.directory },
    fetch: network.fetch,
    WebSocket: network.WebSocket,
    retry: { baseMs: 20, maxMs: 300 },
    ...setup.options,
  });
}

export async function tempDirectory(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'converge-client-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/**
 * A server for the tests of one describe block, and what they leave behind (clients,
 * directories), cleaned up after them, the last made first.
 */
export function serverFixture<Server extends TestServer>(start: () => Promise<Server>) {
  const steps: (() => Promise<void>)[] = [];
  let started: Server | undefined;
  beforeAll(async () => {
    started = await start();
  });
  afterAll(async () => {
    for (const step of steps.reverse()) await step().catch(() => undefined);
    await started?.stop();
  });
  return {
    get server(): Server {
      if (!started) throw new Error('the server starts in beforeAll');
      return started;
    },
    /** Runs `step` after the block's tests, before the server stops. */
    cleanup(...step: (() => Promise<void>)[]): void {
      steps.push(...step);
    },
    async directory(): Promise<string> {
      const dir = await tempDirectory();
      steps.push(dir.remove);
      return dir.path;
    },
  };
}

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A real server like startTestServer's, which can also be restarted: stopped and built again
 * over the same database, secret and port, as a deploy or a crash-and-restart would do.
 */
export interface RestartableServer extends TestServer {
  restart(): Promise<void>;
}

export async function startRestartableServer(kind: TestDatabaseKind): Promise<RestartableServer> {
  const database = await createTestDatabase(kind);
  const secret = randomBytes(32).toString('base64url');
  const environment = {
    HOST: '127.0.0.1',
    DATA_DIR: database.options.dataDir,
    ...(database.options.databaseUrl ? { DATABASE_URL: database.options.databaseUrl } : {}),
    AUTH_SECRET: secret,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  };
  let app = await buildApp(parseConfig({ ...environment, PORT: '0' }));
  const { url, port } = await app.start(0);
  const server: RestartableServer = {
    app,
    url,
    token: (userId) => signToken(secret, userId),
    async graphql(query, variables, options = {}) {
      const bearer =
        options.token !== undefined
          ? options.token
          : options.as
            ? await server.token(options.as)
            : null;
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, ...((await response.json()) as object) } as never;
    },
    async restart() {
      await app.stop();
      app = await buildApp(parseConfig({ ...environment, PORT: String(port) }));
      await app.start(port);
      server.app = app;
    },
    async stop() {
      await app.stop();
      await database.drop();
    },
  };
  return server;
}

/** Every answer of an app's full `changesSince` list, as the titles of the live tasks. */
export function watchTitles(sync: SyncClient, workspaceId: string) {
  const answers: string[][] = [];
  const { unsubscribe } = pipe(
    sync.client.query(ChangesSinceDocument, { workspaceId }),
    subscribe((result) => {
      const entities = result.data?.changesSince.entities ?? [];
      answers.push(
        entities.flatMap((entity) =>
          entity.__typename === 'Task' && !entity.deleted ? [entity.title] : [],
        ),
      );
    }),
  );
  return { all: () => answers, latest: () => answers.at(-1), stop: unsubscribe };
}
