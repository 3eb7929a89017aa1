/**
 * GraphQL over WebSocket: the `graphql-transport-ws` protocol (graphql-ws) on the HTTP
 * server's port and path `/graphql`, running every operation through Yoga's envelop so the
 * schema, context, auth and plugins are those of HTTP (docs/protocol.md, WebSocket
 * (graphql-ws); docs/operations.md, Several instances, PostgreSQL and Redis).
 *
 * What a client needs to know beyond the protocol:
 *
 * - Authentication. Send the token in the `connection_init` payload:
 *     { "type": "connection_init", "payload": { "authorization": "Bearer <JWT>" } }
 *   A missing or invalid token closes the socket with 4403 and a short reason.
 *
 * - Re-authentication without dropping subscriptions. Before the token expires, send a fresh
 *   one in a `ping` message:
 *     { "type": "ping", "payload": { "authorization": "Bearer <new JWT>" } }
 *   It must be valid and name the same user (`sub`). The server answers
 *     { "type": "pong", "payload": { "expiresAt": "<ISO 8601 time, or null>" } }
 *   and the connection and its subscriptions live on until the new token expires. A token
 *   that fails verification or names another user closes the socket with 4403.
 *
 * - Expiry. A connection whose token expires without a refresh is closed with 4403 and the
 *   reason 'Token expired'. Reconnect with a fresh token; `entityChanged(after:)` resumes
 *   from the last cursor without missing anything.
 *
 * - Limits. More than MAX_SUBSCRIPTIONS_PER_CONNECTION active subscriptions on a connection:
 *   the extra subscribe gets an error with code LIMIT_EXCEEDED. More than
 *   MAX_CONNECTIONS_PER_USER live connections of one user on one instance, WebSockets and SSE
 *   subscriptions together (stream-limits.ts): the new connection is closed with 4429
 *   'Too many connections'.
 *
 * - Keep-alive. The server sends WebSocket ping frames (every 12 s by default), which
 *   browsers and ws answer by themselves; a socket that misses two in a row is terminated.
 *
 * - Shutdown. Every socket is closed with 1001 (going away); reconnect elsewhere.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type GraphQLError, OperationTypeNode } from 'graphql';
import {
  CloseCode,
  type Context as ConnectionContext,
  handleProtocols,
  MessageType,
  makeServer,
  type PingMessage,
  type WebSocket as ProtocolSocket,
  type SubscribePayload,
  stringifyMessage,
} from 'graphql-ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { AuthUser, TokenVerifier } from '../auth/jwt.ts';
import { ConvergeError, ErrorCode } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Context } from '../schema/context.ts';
import {
  type Authentication,
  authenticateToken,
  authorizationOf,
  hasAuthorization,
  isExpired,
} from './connection-auth.ts';
import { sharedResultJson } from './fanout.ts';
import { createOperationRunner, formatError, formatResult } from './operations.ts';
import { atTime, type UserConnectionLimit } from './stream-limits.ts';

export interface WebSocketTransportOptions {
  /** The HTTP server Yoga listens on; only upgrades to /graphql are accepted. */
  server: Server;
  yoga: YogaServerInstance<Record<string, never>, Context>;
  verifier: TokenVerifier;
  logger: Logger;
  maxSubscriptionsPerConnection: number;
  /** Shared with the SSE subscriptions of the same instance (MAX_CONNECTIONS_PER_USER). */
  connectionLimit: UserConnectionLimit;
  /** Interval of the server's ping frames (ms, default 12 000). */
  keepAliveMs?: number;
  /** How long a socket may stay open without sending connection_init (ms, default 5 000). */
  connectionInitWaitTimeoutMs?: number;
}

export interface WebSocketTransport {
  /** Closes every socket with 1001 (going away), stops accepting upgrades, resolves when all are closed. */
  close(): Promise<void>;
  /** Open sockets (authenticated or not yet) and active subscription operations. */
  stats(): { connections: number; subscriptions: number };
}

const transportDefaults = {
  path: '/graphql',
  keepAliveMs: 12_000,
  connectionInitWaitTimeoutMs: 5_000,
  missedPongsBeforeTermination: 2,
  /** close(): how long clients get to answer the 1001 close frame before being cut off. */
  closeGraceMs: 3_000,
  /** close(): how long subscription clean-up may take once the sockets are gone. */
  cleanupGraceMs: 2_000,
  // Yoga's default HTTP body limit, so an operation that fits over HTTP fits over the socket
  // (ws would accept 100 MiB).
  maxPayloadBytes: 25_000_000,
};

const closeCodes = {
  goingAway: 1001,
  forbidden: CloseCode.Forbidden,
  // graphql-ws names 4429 "too many initialisation requests"; its clients do not retry it,
  // which is right for a user already at the limit.
  tooManyConnections: 4429,
  internalError: CloseCode.InternalServerError,
};

interface Connection {
  id: string;
  socket: WebSocket;
  /** Set once connection_init carried a valid token and the connection was admitted. */
  user: AuthUser | null;
  expiresAt: number | null;
  cancelExpiry: (() => void) | null;
  /** Gives back the user's connection slot taken at admission. */
  releaseSlot: (() => void) | null;
  /** Counts re-authentications, so a slow one cannot override a later one. */
  refreshes: number;
  /** Ids of active subscription operations (queries and mutations are not counted). */
  subscriptions: Set<string>;
  /** JSON of shared payloads by the token graphql-ws serialises in their place. */
  sharedPayloads: Map<string, string> | null;
  missedPongs: number;
  closed: boolean;
  /** Resolves when the socket has closed and graphql-ws has completed its operations. */
  finished: Promise<void>;
  markFinished: () => void;
}

interface Extra {
  socket: WebSocket;
  request: IncomingMessage;
  connection: Connection;
}

export function attachWebSocketTransport(options: WebSocketTransportOptions): WebSocketTransport {
  const { server, yoga, verifier, logger } = options;
  const keepAliveMs = options.keepAliveMs ?? transportDefaults.keepAliveMs;
  const connectionInitWaitTimeoutMs =
    options.connectionInitWaitTimeoutMs ?? transportDefaults.connectionInitWaitTimeoutMs;
  const connections = new Set<Connection>();
  const operations = createOperationRunner(yoga, logger);
  let closing: Promise<void> | null = null;

  // noServer: the HTTP server stays Yoga's; this only takes over upgrades to /graphql.
  const sockets = new WebSocketServer({
    noServer: true,
    handleProtocols,
    maxPayload: transportDefaults.maxPayloadBytes,
  });
  sockets.on('error', (err) => logger.error({ err }, 'WebSocket server error'));

  const protocol = makeServer<Record<string, unknown>, Extra>({
    connectionInitWaitTimeout: connectionInitWaitTimeoutMs,
    onConnect: (ctx) => admit(ctx.extra.connection, ctx.connectionParams),
    onSubscribe: (ctx, id, payload) => prepareOperation(ctx, id, payload),
    execute: (args) => operations.execute(args),
    subscribe: (args) => operations.subscribe(args),
    onNext: (ctx, _id, _payload, _args, result) =>
      sharedPayload(ctx.extra.connection, result) ?? formatResult(result),
    onError: (_ctx, _id, _payload, errors) => errors.map(formatError),
    onComplete: (ctx, id) => {
      ctx.extra.connection.subscriptions.delete(id);
    },
  });

  const heartbeat = setInterval(checkHeartbeats, keepAliveMs);
  heartbeat.unref();
  server.on('upgrade', onUpgrade);

  function onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (pathOf(request) !== transportDefaults.path) {
      rejectUpgrade(socket, '404 Not Found');
      return;
    }
    if (closing) {
      rejectUpgrade(socket, '503 Service Unavailable');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (websocket) => open(websocket, request));
  }

  function open(socket: WebSocket, request: IncomingMessage): void {
    // An upgrade that completed while close() was starting would escape it otherwise.
    if (closing) {
      socket.close(closeCodes.goingAway, 'Server shutting down');
      return;
    }
    const connection = createConnection(socket);
    connections.add(connection);
    socket.on('error', (err) =>
      logger.debug({ err, connectionId: connection.id }, 'WebSocket error'),
    );
    socket.on('pong', () => {
      connection.missedPongs = 0;
    });
    const closed = protocol.opened(protocolSocket(connection), { socket, request, connection });
    socket.once('close', (code, reason) => {
      connection.closed = true;
      clearExpiry(connection);
      release(connection);
      closed(code, reason.toString())
        .catch((err: unknown) =>
          logger.error({ err, connectionId: connection.id }, 'WebSocket clean-up failed'),
        )
        .finally(() => {
          connections.delete(connection);
          connection.markFinished();
        });
    });
  }

  /** The socket as graphql-ws sees it; ours answers pings so that they can re-authenticate. */
  function protocolSocket(connection: Connection): ProtocolSocket {
    const { socket } = connection;
    return {
      protocol: socket.protocol,
      send: (data) => send(socket, withSharedPayload(connection, data)),
      close: (code, reason) => socket.close(code, closeReason(reason)),
      onMessage: (handle) =>
        socket.on('message', (data) => void handleMessage(connection, handle, data)),
      onPing: (payload) => answerPing(connection, payload),
    };
  }

  async function handleMessage(
    connection: Connection,
    handle: (data: string) => Promise<void>,
    data: RawData,
  ): Promise<void> {
    try {
      await handle(textOf(data));
    } catch (err) {
      // A send failing because the client went away is not worth a log line.
      if (connection.closed) return;
      logger.error({ err, connectionId: connection.id }, 'WebSocket message handling failed');
      connection.socket.close(closeCodes.internalError, 'Internal server error');
    }
  }

  async function admit(
    connection: Connection,
    params: Readonly<Record<string, unknown>> | undefined,
  ): Promise<boolean> {
    const authentication = await authenticateToken(verifier, authorizationOf(params));
    if (connection.closed) return false;
    if (!authentication.ok) return refuseToken(connection, authentication);
    if (closing) return refuse(connection, closeCodes.goingAway, 'Server shutting down');
    if (isExpired(authentication.expiresAt)) {
      return refuse(connection, closeCodes.forbidden, 'Token expired');
    }
    const { userId } = authentication.user;
    const releaseSlot = options.connectionLimit.acquire(userId);
    if (!releaseSlot) {
      logger.warn(
        { userId, limit: options.connectionLimit.max },
        'WebSocket connection refused: too many connections for this user',
      );
      return refuse(connection, closeCodes.tooManyConnections, 'Too many connections');
    }
    connection.releaseSlot = releaseSlot;
    connection.user = authentication.user;
    scheduleExpiry(connection, authentication.expiresAt);
    logger.debug({ connectionId: connection.id, userId }, 'WebSocket connection admitted');
    return true;
  }

  function refuseToken(connection: Connection, refusal: Authentication & { ok: false }): false {
    if (refusal.cause !== undefined) {
      logger.error({ err: refusal.cause, connectionId: connection.id }, 'Token check failed');
    }
    logger.debug(
      { connectionId: connection.id, reason: refusal.reason },
      'WebSocket token refused',
    );
    return refuse(connection, closeCodes.forbidden, refusal.reason);
  }

  /** Closes with our own code and reason; graphql-ws's own close that follows is a no-op. */
  function refuse(connection: Connection, code: number, reason: string): false {
    connection.socket.close(code, reason);
    return false;
  }

  function release(connection: Connection): void {
    connection.releaseSlot?.();
    connection.releaseSlot = null;
    connection.user = null;
  }

  async function answerPing(
    connection: Connection,
    payload: PingMessage['payload'],
  ): Promise<void> {
    if (!hasAuthorization(payload)) {
      await send(connection.socket, stringifyMessage(pongWith(payload)));
      return;
    }
    // Credentials before connection_init have nothing to refresh; never echo them back.
    if (!connection.user) {
      await send(connection.socket, stringifyMessage(pongWith(undefined)));
      return;
    }
    const expiresAt = await reauthenticate(connection, connection.user, payload);
    if (expiresAt === undefined) return;
    const expiry = expiresAt === null ? null : new Date(expiresAt).toISOString();
    await send(connection.socket, stringifyMessage(pongWith({ expiresAt: expiry })));
  }

  /** The new expiry (ms, or null for none), or undefined when the connection was closed. */
  async function reauthenticate(
    connection: Connection,
    user: AuthUser,
    payload: PingMessage['payload'],
  ): Promise<number | null | undefined> {
    const refresh = ++connection.refreshes;
    const authentication = await authenticateToken(verifier, authorizationOf(payload));
    if (connection.closed) return undefined;
    if (!authentication.ok) {
      refuseToken(connection, authentication);
      return undefined;
    }
    if (authentication.user.userId !== user.userId) {
      logger.warn(
        { connectionId: connection.id, userId: user.userId },
        'WebSocket re-authentication with another user token',
      );
      refuse(connection, closeCodes.forbidden, 'Token belongs to another user');
      return undefined;
    }
    if (isExpired(authentication.expiresAt)) {
      refuse(connection, closeCodes.forbidden, 'Token expired');
      return undefined;
    }
    // A later refresh finished first: it decides the expiry.
    if (refresh === connection.refreshes) scheduleExpiry(connection, authentication.expiresAt);
    return connection.expiresAt;
  }

  function scheduleExpiry(connection: Connection, expiresAt: number | null): void {
    clearExpiry(connection);
    connection.expiresAt = expiresAt;
    if (expiresAt === null) return;
    connection.cancelExpiry = atTime(expiresAt, () => expire(connection));
  }

  function expire(connection: Connection): void {
    logger.debug({ connectionId: connection.id }, 'WebSocket token expired');
    connection.socket.close(closeCodes.forbidden, 'Token expired');
  }

  function clearExpiry(connection: Connection): void {
    connection.cancelExpiry?.();
    connection.cancelExpiry = null;
  }

  async function prepareOperation(
    ctx: ConnectionContext<Record<string, unknown>, Extra>,
    id: string,
    payload: SubscribePayload,
  ) {
    const { connection } = ctx.extra;
    // graphql-ws refuses operations before the connection is acknowledged, so this is a guard.
    if (!connection.user) {
      return [new ConvergeError(ErrorCode.UNAUTHENTICATED, 'Connection not authenticated')];
    }
    const admitOperation = (operation: OperationTypeNode) =>
      operation === OperationTypeNode.SUBSCRIPTION ? reserveSubscription(connection, id) : null;
    try {
      const prepared = await operations.prepare(
        {
          connectionContext: ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          payload,
          user: connection.user,
        },
        admitOperation,
      );
      // graphql-ws calls onComplete only for operations that started.
      if (Array.isArray(prepared)) connection.subscriptions.delete(id);
      return prepared;
    } catch (error) {
      connection.subscriptions.delete(id);
      throw error;
    }
  }

  /** Runs synchronously, so subscribes arriving together cannot all slip under the limit. */
  function reserveSubscription(connection: Connection, id: string): GraphQLError | null {
    const limit = options.maxSubscriptionsPerConnection;
    if (connection.subscriptions.size >= limit) {
      return new ConvergeError(
        ErrorCode.LIMIT_EXCEEDED,
        `Too many subscriptions: at most ${limit} may be active on one connection (MAX_SUBSCRIPTIONS_PER_CONNECTION); complete one first`,
        { limit },
      );
    }
    connection.subscriptions.add(id);
    return null;
  }

  function checkHeartbeats(): void {
    for (const connection of connections) {
      const { socket } = connection;
      if (socket.readyState !== socket.OPEN) continue;
      if (connection.missedPongs >= transportDefaults.missedPongsBeforeTermination) {
        logger.debug({ connectionId: connection.id }, 'WebSocket missed its pongs; terminating');
        socket.terminate();
        continue;
      }
      connection.missedPongs += 1;
      socket.ping();
    }
  }

  async function closeAll(): Promise<void> {
    clearInterval(heartbeat);
    for (const connection of connections) {
      connection.socket.close(closeCodes.goingAway, 'Server shutting down');
    }
    const finished = () => Promise.all([...connections].map((c) => c.finished));
    if (!(await settlesWithin(finished(), transportDefaults.closeGraceMs))) {
      logger.warn('terminating WebSocket connections that did not close in time');
      for (const connection of connections) connection.socket.terminate();
      if (!(await settlesWithin(finished(), transportDefaults.cleanupGraceMs))) {
        logger.warn('WebSocket subscriptions still cleaning up after shutdown');
      }
    }
    await new Promise<void>((resolve) => sockets.close(() => resolve()));
  }

  return {
    close() {
      closing ??= closeAll();
      return closing;
    },
    stats() {
      let subscriptions = 0;
      for (const connection of connections) subscriptions += connection.subscriptions.size;
      return { connections: connections.size, subscriptions };
    },
  };
}

function createConnection(socket: WebSocket): Connection {
  let markFinished = () => {};
  const finished = new Promise<void>((resolve) => {
    markFinished = resolve;
  });
  return {
    id: randomUUID(),
    socket,
    user: null,
    expiresAt: null,
    cancelExpiry: null,
    releaseSlot: null,
    refreshes: 0,
    subscriptions: new Set(),
    sharedPayloads: null,
    missedPongs: 0,
    closed: false,
    finished,
    markFinished,
  };
}

/**
 * A result shared by several subscribers (fanout.ts) goes through graphql-ws as a placeholder
 * that serialises to a token; send() puts the payload's JSON, made once for every socket, in
 * its place. graphql-ws still frames the message (id, type), and nothing is serialised twice.
 */
let sharedTokens = 0;
const payloadToken = '"payload":"shared:';

function sharedPayload(connection: Connection, result: object): object | undefined {
  const json = sharedResultJson(result);
  if (json === undefined) return undefined;
  const token = `shared:${++sharedTokens}`;
  connection.sharedPayloads ??= new Map();
  connection.sharedPayloads.set(token, json);
  return { toJSON: () => token };
}

// A token cannot come from a client: inside a JSON string every quote is escaped.
function withSharedPayload(connection: Connection, data: string): string {
  const pending = connection.sharedPayloads;
  if (!pending || pending.size === 0) return data;
  const at = data.lastIndexOf(payloadToken);
  if (at < 0) return data;
  const tokenStart = at + '"payload":"'.length;
  const tokenEnd = data.indexOf('"', tokenStart);
  const token = data.slice(tokenStart, tokenEnd);
  const json = pending.get(token);
  if (json === undefined) return data;
  pending.delete(token);
  return `${data.slice(0, at)}"payload":${json}${data.slice(tokenEnd + 1)}`;
}

function send(socket: WebSocket, data: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.readyState !== socket.OPEN) {
      resolve();
      return;
    }
    // A send that fails because the socket closed meanwhile is not an error of ours.
    socket.send(data, (err) =>
      err && socket.readyState === socket.OPEN ? reject(err) : resolve(),
    );
  });
}

/**
 * RFC 6455 caps a close reason at 123 bytes and ws throws past it; graphql-ws builds some
 * reasons from client input (an operation id).
 */
function closeReason(reason: string | undefined): string | undefined {
  if (reason === undefined || Buffer.byteLength(reason, 'utf8') <= 123) return reason;
  return Buffer.from(reason, 'utf8')
    .subarray(0, 120)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
}

function pongWith(payload: Record<string, unknown> | undefined) {
  return payload === undefined
    ? { type: MessageType.Pong as const }
    : { type: MessageType.Pong as const, payload };
}

function textOf(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

function pathOf(request: IncomingMessage): string | null {
  try {
    return new URL(request.url ?? '/', 'http://localhost').pathname;
  } catch {
    return null;
  }
}

function rejectUpgrade(socket: Duplex, status: string): void {
  socket.on('error', () => {});
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** Whether `promise` settled within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
