import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Client, createClient, type FormattedExecutionResult } from 'graphql-ws';
import { createSchema, createYoga } from 'graphql-yoga';
import { decodeJwt, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { type App, buildApp } from '../../server/app.ts';
import { createSecretVerifier, signToken } from '../../server/auth/jwt.ts';
import { parseConfig } from '../../server/config.ts';
import { createLogger } from '../../server/observability/logger.ts';
import { createErrorMasker } from '../../server/observability/mask-errors.ts';
import { createUserConnectionLimit } from '../../server/transport/stream-limits.ts';
import {
  attachWebSocketTransport,
  type WebSocketTransport,
  type WebSocketTransportOptions,
} from '../../server/transport/websocket.ts';
import {
  createTestDatabase,
  type TestDatabaseKind,
  testDatabaseKinds,
} from '../support/database.ts';
import { PUSH_CHANGES } from '../support/sync.ts';

/**
 * A server like startTestServer's, plus the WebSocket transport on the same port. Once
 * app.ts attaches the transport itself this becomes startTestServer(kind, environment) and
 * `app.websocket` (or whatever app.ts names it) for stats() and close().
 */
interface WebSocketServer {
  app: App;
  transport: WebSocketTransport;
  /** http://127.0.0.1:<port>, as TestServer.url */
  url: string;
  /** ws://127.0.0.1:<port>/graphql */
  wsUrl: string;
  token(userId: string, expiresIn?: string): Promise<string>;
  /** The HS256 secret, to forge tokens the helpers would never sign. */
  secret: string;
  stop(): Promise<void>;
}

type TransportOverrides = Pick<WebSocketTransportOptions, 'keepAliveMs'>;

async function startWebSocketServer(
  kind: TestDatabaseKind,
  environment: Record<string, string> = {},
  overrides: TransportOverrides = {},
): Promise<WebSocketServer> {
  const database = await createTestDatabase(kind);
  const secret = randomBytes(32).toString('base64url');
  const config = parseConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: database.options.dataDir,
    ...(database.options.databaseUrl ? { DATABASE_URL: database.options.databaseUrl } : {}),
    AUTH_SECRET: secret,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...environment,
  });
  const app = await buildApp(config);
  const server = createServer(app.yoga);
  const transport = attachWebSocketTransport({
    server,
    yoga: app.yoga,
    verifier: createSecretVerifier(secret),
    logger: app.services.logger,
    maxSubscriptionsPerConnection: config.maxSubscriptionsPerConnection,
    connectionLimit: createUserConnectionLimit(config.maxConnectionsPerUser),
    ...overrides,
  });
  const port = await listen(server);
  return {
    app,
    transport,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    token: (userId, expiresIn) =>
      signToken(secret, userId, expiresIn === undefined ? {} : { expiresIn }),
    secret,
    async stop() {
      await transport.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await app.stop();
      await database.drop();
    },
  };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

// --- a graphql-ws client with bounded waits -------------------------------------------------

const waitMs = 5_000;

interface CloseInfo {
  code: number;
  reason: string;
}

interface Connection {
  client: Client;
  /** Resolves once the server acknowledged connection_init; rejects if it closed first. */
  connected: Promise<void>;
  closed: Promise<CloseInfo>;
  /** Sends a ping carrying a token; resolves with the pong's payload. */
  refresh(token: string): Promise<Record<string, unknown> | undefined>;
  isOpen(): boolean;
}

type Result<T = Record<string, unknown>> = FormattedExecutionResult<T, unknown>;

function connect(url: string, token: string | null): Connection {
  let socket: WebSocket | null = null;
  let open = false;
  let pongWaiter: ((payload: Record<string, unknown> | undefined) => void) | null = null;
  let onConnected = () => {};
  let onClosed = (_info: CloseInfo) => {};
  const closed = new Promise<CloseInfo>((resolve) => {
    onClosed = resolve;
  });
  const connected = new Promise<void>((resolve, reject) => {
    onConnected = resolve;
    void closed.then((info) => reject(new Error(`closed before ack: ${info.code} ${info.reason}`)));
  });
  connected.catch(() => {});
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => {},
    connectionParams: token === null ? {} : { authorization: `Bearer ${token}` },
    on: {
      connected: (connectedSocket) => {
        socket = connectedSocket as WebSocket;
        open = true;
        onConnected();
      },
      pong: (received, payload) => {
        if (received) pongWaiter?.(payload);
      },
      closed: (event) => {
        open = false;
        const { code, reason } = event as { code: number; reason: string | Buffer };
        onClosed({ code, reason: String(reason) });
      },
    },
  });
  return {
    client,
    connected,
    closed,
    isOpen: () => open,
    refresh(newToken) {
      if (!socket) throw new Error('not connected');
      const pong = new Promise<Record<string, unknown> | undefined>((resolve) => {
        pongWaiter = resolve;
      });
      socket.send(
        JSON.stringify({ type: 'ping', payload: { authorization: `Bearer ${newToken}` } }),
      );
      return within(Promise.race([pong, closed.then(() => undefined)]), waitMs, 'pong');
    },
  };
}

/** One query or mutation; errors the server refuses it with come back as `errors`. */
function run<T = Record<string, unknown>>(
  connection: Connection,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<Result<T>> {
  const result = new Promise<Result<T>>((resolve, reject) => {
    let last: Result<T> = {};
    connection.client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          last = value;
        },
        error: (error) => (Array.isArray(error) ? resolve({ errors: error }) : reject(error)),
        complete: () => resolve(last),
      },
    );
  });
  return within(result, waitMs, query);
}

interface Subscription<T> {
  results: Result<T>[];
  /** The error the stream was refused or ended with, if any. */
  error: () => unknown;
  waitFor(count: number): Promise<Result<T>[]>;
  stop(): void;
}

function subscribe<T = Record<string, unknown>>(
  connection: Connection,
  query: string,
  variables: Record<string, unknown>,
): Subscription<T> {
  const results: Result<T>[] = [];
  let failure: unknown;
  const stop = connection.client.subscribe<T>(
    { query, variables },
    {
      next: (value) => results.push(value),
      error: (error) => {
        failure = error;
      },
      complete: () => {},
    },
  );
  return {
    results,
    error: () => failure,
    stop,
    async waitFor(count) {
      await vi.waitFor(
        () => {
          if (results.length < count) throw new Error(`${results.length} of ${count} results`);
        },
        { timeout: waitMs, interval: 20 },
      );
      return results;
    },
  };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A ws client speaking the protocol by hand, for what graphql-ws's client would hide. */
function rawSocket(url: string, options: WebSocket.ClientOptions = {}) {
  const socket = new WebSocket(url, 'graphql-transport-ws', options);
  const received: Record<string, unknown>[] = [];
  socket.on('message', (data) => received.push(JSON.parse(String(data))));
  const closed = new Promise<CloseInfo>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    opened,
    closed,
    send: (message: Record<string, unknown>) => socket.send(JSON.stringify(message)),
    /** The first message of `type` received so far or next. */
    async next(type: string): Promise<Record<string, unknown>> {
      let found: Record<string, unknown> | undefined;
      await vi.waitFor(
        () => {
          found = received.find((message) => message.type === type);
          if (!found) throw new Error(`no ${type} message`);
        },
        { timeout: waitMs, interval: 10 },
      );
      return found as Record<string, unknown>;
    },
  };
}

const ME = '{ me }';
const CREATE_WORKSPACE = 'mutation($name: String!) { createWorkspace(name: $name) { id cursor } }';
const CHANGES_SINCE = 'query($w: ID!) { changesSince(workspaceId: $w) { cursor hasMore } }';
const ENTITY_CHANGED = `
  subscription($w: ID!, $after: Cursor) {
    entityChanged(workspaceId: $w, after: $after) {
      cursor op entity { __typename ... on SyncRecord { id } }
    }
  }`;

async function createWorkspace(connection: Connection): Promise<{ id: string; cursor: string }> {
  const result = await run<{ createWorkspace: { id: string; cursor: string } }>(
    connection,
    CREATE_WORKSPACE,
    { name: 'Sockets' },
  );
  expect(result.errors).toBeUndefined();
  if (!result.data) throw new Error('no data');
  return result.data.createWorkspace;
}

function createProject(connection: Connection, workspaceId: string) {
  const id = randomUUID();
  const input = {
    workspaceId,
    clientId: randomUUID(),
    changes: [{ project: { mutationId: randomUUID(), id, patch: { name: 'Live' } } }],
  };
  return run<{ pushChanges: { results: { status: string }[] } }>(connection, PUSH_CHANGES, {
    input,
  }).then((result) => ({ id, result }));
}

function codeOf(result: Result<unknown>): unknown {
  return result.errors?.[0]?.extensions?.code;
}

const limits = { MAX_CONNECTIONS_PER_USER: '2', MAX_SUBSCRIPTIONS_PER_CONNECTION: '2' };
const keepAliveMs = 100;

describe.each(testDatabaseKinds())('WebSocket transport on %s', (kind) => {
  let server: WebSocketServer;
  const open: Connection[] = [];

  /** A connection closed at the end of the suite, whatever the test did with it. */
  function connectAs(token: string | null): Connection {
    const connection = connect(server.wsUrl, token);
    open.push(connection);
    return connection;
  }

  async function connectedAs(userId: string, expiresIn?: string): Promise<Connection> {
    const connection = connectAs(await server.token(userId, expiresIn));
    await within(connection.connected, waitMs, `connection of ${userId}`);
    return connection;
  }

  beforeAll(async () => {
    server = await startWebSocketServer(kind, limits, { keepAliveMs });
  });
  afterAll(async () => {
    await Promise.all(open.map((connection) => connection.client.dispose()));
    await server?.stop();
  });

  describe('authentication', () => {
    it('runs { me } as the user of the connection_init token', async () => {
      const connection = await connectedAs('ws-alice');
      const result = await run(connection, ME);
      expect(result).toEqual({ data: { me: 'ws-alice' } });
    });

    it('refuses a connection without a token with 4403', async () => {
      const connection = connectAs(null);
      const closed = await within(connection.closed, waitMs, 'close');
      expect(closed.code).toBe(4403);
      expect(closed.reason).toMatch(/Missing authorization/);
    });

    it('refuses a bad or foreign token with 4403 and says why', async () => {
      const garbage = connectAs('not-a-jwt');
      const foreign = connectAs(await signToken(randomBytes(32).toString('base64url'), 'mallory'));
      const [garbageClosed, foreignClosed] = await within(
        Promise.all([garbage.closed, foreign.closed]),
        waitMs,
        'close',
      );
      expect(garbageClosed).toEqual({ code: 4403, reason: 'Invalid token: malformed' });
      expect(foreignClosed).toEqual({ code: 4403, reason: 'Invalid token: bad signature' });
    });

    it('answers FORBIDDEN for a workspace the user is not in, over the socket', async () => {
      const alice = await connectedAs('ws-owner');
      const bob = await connectedAs('ws-stranger');
      const workspace = await createWorkspace(alice);
      const query = await run(bob, CHANGES_SINCE, { w: workspace.id });
      expect(codeOf(query)).toBe('FORBIDDEN');
      expect(query.data ?? null).toBeNull();
      const subscription = subscribe(bob, ENTITY_CHANGED, { w: workspace.id });
      const [refused] = await subscription.waitFor(1);
      expect(codeOf(refused as Result)).toBe('FORBIDDEN');
      expect(bob.isOpen()).toBe(true);
    });
  });

  describe('queries and mutations', () => {
    it('runs mutations and queries over the socket', async () => {
      const connection = await connectedAs('ws-writer');
      const workspace = await createWorkspace(connection);
      const { result } = await createProject(connection, workspace.id);
      expect(result.errors).toBeUndefined();
      expect(result.data?.pushChanges.results[0]?.status).toBe('APPLIED');
      const pulled = await run(connection, CHANGES_SINCE, { w: workspace.id });
      expect(pulled.errors).toBeUndefined();
    });

    it('answers a syntax error with BAD_USER_INPUT and keeps the connection', async () => {
      const connection = await connectedAs('ws-typo');
      const result = await run(connection, '{ me ');
      expect(codeOf(result)).toBe('BAD_USER_INPUT');
      const unknownField = await run(connection, '{ nope }');
      expect(codeOf(unknownField)).toBe('BAD_USER_INPUT');
      expect(await run(connection, ME)).toEqual({ data: { me: 'ws-typo' } });
    });
    it('applies the same validation plugins as HTTP (query limits)', async () => {
      const token = await server.token('ws-greedy');
      const connection = await connectedAs('ws-greedy');
      const query = `{ ${Array.from({ length: 200 }, (_, i) => `a${i}: me`).join(' ')} }`;
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query }),
      });
      const overHttp = (await response.json()) as Result;
      const overSocket = await run(connection, query);
      expect(codeOf(overSocket)).toBe(codeOf(overHttp));
      expect(overSocket.data ?? null).toEqual(overHttp.data ?? null);
    });
  });

  describe('token refresh and expiry', () => {
    it('keeps the connection and its subscription past the first token expiry after a ping refresh', async () => {
      const shortToken = await server.token('ws-refresh', '3s');
      const firstExpiry = (decodeJwt(shortToken).exp ?? 0) * 1000;
      const connection = connectAs(shortToken);
      await within(connection.connected, waitMs, 'connection');
      const workspace = await createWorkspace(connection);
      const changes = subscribe(connection, ENTITY_CHANGED, {
        w: workspace.id,
        after: workspace.cursor,
      });

      const pong = await connection.refresh(await server.token('ws-refresh', '1h'));
      expect(pong).toEqual({ expiresAt: expect.any(String) });
      expect(Date.parse(String(pong?.expiresAt))).toBeGreaterThan(Date.now() + 30 * 60_000);

      await new Promise((resolve) => setTimeout(resolve, firstExpiry - Date.now() + 300));
      expect(connection.isOpen()).toBe(true);
      const { id } = await createProject(connection, workspace.id);
      const [event] = await changes.waitFor(1);
      expect(event?.data).toMatchObject({ entityChanged: { op: 'CREATE', entity: { id } } });
      expect(await run(connection, ME)).toEqual({ data: { me: 'ws-refresh' } });
    });

    it('closes with 4403 "Token expired" when the token expires without a refresh', async () => {
      const token = await server.token('ws-expiring', '2s');
      const expiry = (decodeJwt(token).exp ?? 0) * 1000;
      const connection = connectAs(token);
      await within(connection.connected, waitMs, 'connection');
      const closed = await within(connection.closed, expiry - Date.now() + waitMs, 'expiry');
      expect(closed).toEqual({ code: 4403, reason: 'Token expired' });
      expect(Date.now()).toBeGreaterThanOrEqual(expiry);
    });

    it("closes with 4403 when the refresh token is another user's", async () => {
      const connection = await connectedAs('ws-victim');
      await connection.refresh(await server.token('ws-intruder'));
      const closed = await within(connection.closed, waitMs, 'close');
      expect(closed).toEqual({ code: 4403, reason: 'Token belongs to another user' });
    });

    it('closes with 4403 when the refresh token is invalid', async () => {
      const connection = await connectedAs('ws-sloppy');
      await connection.refresh('garbage');
      const closed = await within(connection.closed, waitMs, 'close');
      expect(closed).toEqual({ code: 4403, reason: 'Invalid token: malformed' });
    });

    it('refuses a token without exp over HTTP, at connection_init and in a renewal ping', async () => {
      const forever = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('ws-forever')
        .setIssuedAt()
        .sign(new TextEncoder().encode(server.secret));
      const reason = 'Invalid token: claim "exp" is required';

      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${forever}` },
        body: JSON.stringify({ query: ME }),
      });
      expect(response.status).toBe(401);
      const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
      expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

      const initial = connectAs(forever);
      expect(await within(initial.closed, waitMs, 'close')).toEqual({ code: 4403, reason });

      // Renewing with it would make the connection immortal.
      const renewed = await connectedAs('ws-forever', '1h');
      await renewed.refresh(forever);
      expect(await within(renewed.closed, waitMs, 'close')).toEqual({ code: 4403, reason });
    });

    it('answers a plain ping with a pong echoing its payload', async () => {
      const raw = rawSocket(server.wsUrl);
      await within(raw.opened, waitMs, 'open');
      raw.send({
        type: 'connection_init',
        payload: { authorization: `Bearer ${await server.token('ws-pinger')}` },
      });
      await raw.next('connection_ack');
      raw.send({ type: 'ping', payload: { at: 1 } });
      expect(await raw.next('pong')).toEqual({ type: 'pong', payload: { at: 1 } });
      raw.socket.close();
    });
  });

  describe('limits', () => {
    it('closes a connection past MAX_CONNECTIONS_PER_USER with 4429, per user', async () => {
      const first = await connectedAs('ws-busy');
      await connectedAs('ws-busy');
      const third = connectAs(await server.token('ws-busy'));
      expect(await within(third.closed, waitMs, 'close')).toEqual({
        code: 4429,
        reason: 'Too many connections',
      });
      await connectedAs('ws-other');

      await first.client.dispose();
      await vi.waitFor(
        async () => {
          const again = connectAs(await server.token('ws-busy'));
          await within(again.connected, waitMs, 'reconnection');
        },
        { timeout: waitMs, interval: 50 },
      );
    });

    it('refuses a subscription past MAX_SUBSCRIPTIONS_PER_CONNECTION with LIMIT_EXCEEDED', async () => {
      const connection = await connectedAs('ws-subscriber');
      const workspace = await createWorkspace(connection);
      const variables = { w: workspace.id, after: workspace.cursor };
      const first = subscribe(connection, ENTITY_CHANGED, variables);
      subscribe(connection, ENTITY_CHANGED, variables);
      const third = subscribe(connection, ENTITY_CHANGED, variables);
      await vi.waitFor(() => expect(third.error()).toBeDefined(), { timeout: waitMs });
      const [error] = third.error() as { message: string; extensions?: { code?: string } }[];
      expect(error?.extensions?.code).toBe('LIMIT_EXCEEDED');
      expect(error?.message).toMatch(/at most 2 .*MAX_SUBSCRIPTIONS_PER_CONNECTION/);
      // Queries are not subscriptions: they still run at the limit.
      expect(await run(connection, ME)).toEqual({ data: { me: 'ws-subscriber' } });

      // Other tests' connections hold subscriptions too: watch this one's go away.
      const before = server.transport.stats().subscriptions;
      first.stop();
      await vi.waitFor(() => expect(server.transport.stats().subscriptions).toBe(before - 1), {
        timeout: waitMs,
      });
      const replacement = subscribe(connection, ENTITY_CHANGED, variables);
      await createProject(connection, workspace.id);
      await replacement.waitFor(1);
      expect(replacement.error()).toBeUndefined();
    });
  });

  describe('keep-alive and upgrades', () => {
    it('keeps a connection that answers pings and terminates one that misses two', async () => {
      const healthy = await connectedAs('ws-alive');
      const silent = rawSocket(server.wsUrl, { autoPong: false });
      await within(silent.opened, waitMs, 'open');
      silent.send({
        type: 'connection_init',
        payload: { authorization: `Bearer ${await server.token('ws-silent')}` },
      });
      await silent.next('connection_ack');
      const closed = await within(silent.closed, keepAliveMs * 3 + waitMs, 'termination');
      // Terminated without a close frame: the client sees an abnormal closure.
      expect(closed.code).toBe(1006);
      expect(healthy.isOpen()).toBe(true);
      expect(await run(healthy, ME)).toEqual({ data: { me: 'ws-alive' } });
    });

    it('destroys upgrades to paths other than /graphql', async () => {
      const stray = rawSocket(server.wsUrl.replace('/graphql', '/elsewhere'));
      await expect(within(stray.opened, waitMs, 'upgrade')).rejects.toThrow(/404/);
    });
  });
});

describe.each(testDatabaseKinds())('WebSocket transport shutdown on %s', (kind) => {
  let server: WebSocketServer;
  beforeAll(async () => {
    server = await startWebSocketServer(kind);
  });
  afterAll(() => server?.stop());

  it('close() sends 1001 to every client, resolves when they are gone and refuses new ones', async () => {
    const token = await server.token('ws-leaving');
    const connections = [connect(server.wsUrl, token), connect(server.wsUrl, token)];
    await within(Promise.all(connections.map((c) => c.connected)), waitMs, 'connections');
    const workspace = await createWorkspace(connections[0] as Connection);
    subscribe(connections[1] as Connection, ENTITY_CHANGED, { w: workspace.id });
    await vi.waitFor(() => expect(server.transport.stats().subscriptions).toBe(1), {
      timeout: waitMs,
    });

    await within(server.transport.close(), waitMs, 'close()');
    expect(server.transport.stats()).toEqual({ connections: 0, subscriptions: 0 });
    const closed = await within(
      Promise.all(connections.map((c) => c.closed)),
      waitMs,
      'client close',
    );
    expect(closed.map((c) => c.code)).toEqual([1001, 1001]);

    const late = rawSocket(server.wsUrl);
    await expect(within(late.opened, waitMs, 'late upgrade')).rejects.toThrow(/503/);
    await Promise.all(connections.map((c) => c.client.dispose()));
  });
});

/**
 * What the transport guarantees whatever the schema: unexpected errors are masked with a
 * request id (also when a stream throws), and a completed subscription ends at once even when
 * its resolver is stuck in an await. No database is involved, so this runs once.
 */
describe('WebSocket transport with a bare schema', () => {
  const logLines: string[] = [];
  let stop = async () => {};
  let server: Pick<WebSocketServer, 'wsUrl' | 'token' | 'transport'>;

  beforeAll(async () => {
    const secret = randomBytes(32).toString('base64url');
    const logger = createLogger({
      level: 'error',
      destination: { write: (line: string) => void logLines.push(line) },
    });
    const yoga = createYoga({
      schema: createSchema({
        typeDefs: 'type Query { boom: String } type Subscription { failing: String quiet: String }',
        resolvers: {
          Query: {
            boom: () => {
              throw new Error('database password is hunter2');
            },
          },
          Subscription: {
            failing: {
              subscribe: async function* () {
                yield { failing: 'first' };
                throw new Error('redis exploded');
              },
            },
            quiet: {
              subscribe: async function* () {
                await new Promise(() => {});
                yield { quiet: 'never' };
              },
            },
          },
        },
      }),
      logging: false,
      maskedErrors: { maskError: createErrorMasker(logger) },
    });
    const http = createServer(yoga);
    const transport = attachWebSocketTransport({
      server: http,
      yoga: yoga as unknown as WebSocketTransportOptions['yoga'],
      verifier: createSecretVerifier(secret),
      logger,
      maxSubscriptionsPerConnection: 10,
      connectionLimit: createUserConnectionLimit(10),
    });
    const port = await listen(http);
    server = {
      wsUrl: `ws://127.0.0.1:${port}/graphql`,
      token: (userId) => signToken(secret, userId),
      transport,
    };
    stop = async () => {
      await transport.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    };
  });
  afterAll(() => stop());

  async function connected(): Promise<Connection> {
    const connection = connect(server.wsUrl, await server.token('bare'));
    await within(connection.connected, waitMs, 'connection');
    return connection;
  }

  function loggedWith(requestId: unknown): string[] {
    return logLines.filter((line) => JSON.parse(line).requestId === requestId);
  }

  it('masks an unexpected error, tags it with a request id and logs the cause under it', async () => {
    const connection = await connected();
    const result = await run(connection, '{ boom }');
    const [error] = result.errors ?? [];
    expect(error?.message).toBe('Unexpected error.');
    expect(error?.extensions).toEqual({
      code: 'INTERNAL_SERVER_ERROR',
      requestId: expect.any(String),
    });
    expect(JSON.stringify(result)).not.toContain('hunter2');
    expect(loggedWith(error?.extensions?.requestId).join()).toContain('hunter2');
    await connection.client.dispose();
  });

  it('masks an error thrown by a subscription stream', async () => {
    const connection = await connected();
    const failing = subscribe(connection, 'subscription { failing }', {});
    await failing.waitFor(1);
    await vi.waitFor(() => expect(failing.error()).toBeDefined(), { timeout: waitMs });
    const [error] = failing.error() as { message: string; extensions?: Record<string, unknown> }[];
    expect(error?.message).toBe('Unexpected error.');
    expect(error?.extensions).toEqual({
      code: 'INTERNAL_SERVER_ERROR',
      requestId: expect.any(String),
    });
    expect(loggedWith(error?.extensions?.requestId).join()).toContain('redis exploded');
    await connection.client.dispose();
  });

  it('ends a completed subscription at once even when its resolver never yields', async () => {
    const connection = await connected();
    const before = server.transport.stats().subscriptions;
    const quiet = subscribe(connection, 'subscription { quiet }', {});
    subscribe(connection, 'subscription { quiet }', {});
    await vi.waitFor(() => expect(server.transport.stats().subscriptions).toBe(before + 2), {
      timeout: waitMs,
    });
    quiet.stop();
    await vi.waitFor(() => expect(server.transport.stats().subscriptions).toBe(before + 1), {
      timeout: waitMs,
    });
    // The other one is still stuck when the server shuts down, which must not hang either.
    await within(server.transport.close(), waitMs, 'close()');
    expect(server.transport.stats()).toEqual({ connections: 0, subscriptions: 0 });
  });
});
