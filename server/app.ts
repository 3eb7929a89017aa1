import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { type AuthSource, resolveAuth } from './auth/dev-secret.ts';
import { type AuthUser, bearerToken, type TokenVerifier } from './auth/jwt.ts';
import type { Config } from './config.ts';
import { useDashboard } from './dashboard.ts';
import { type Database, openDatabase } from './db/client.ts';
import { applyPendingMigrations, listPendingMigrations } from './db/migrations.ts';
import { createGraphiQLPage, graphiqlOptions } from './graphiql.ts';
import { useCompression } from './observability/compression.ts';
import { useErrorReports } from './observability/error-reports.ts';
import { useOperationalEndpoints, yogaHealthCheckEndpoint } from './observability/health.ts';
import { createLogger, createYogaLogger, type Logger } from './observability/logger.ts';
import { createErrorMasker } from './observability/mask-errors.ts';
import { createMetrics, type Metrics, useHttpMetrics } from './observability/metrics.ts';
import { instrumentPubSub } from './observability/pubsub-metrics.ts';
import { useRequestErrorStatus } from './observability/request-errors.ts';
import { requestIdOf, useRequestId } from './observability/request-id.ts';
import {
  useSyncMetrics,
  watchConnections,
  watchDatabasePool,
  watchOpenConflicts,
} from './observability/sync-metrics.ts';
import { createSyncPubSub } from './pubsub.ts';
import { useChangesSinceJson } from './schema/changes-since-json.ts';
import type { Context, Services } from './schema/context.ts';
import { schema } from './schema/index.ts';
import { boundedParserCache, useSecurity, withServiceUnavailable } from './security/index.ts';
import { useSharedEventResults } from './transport/fanout.ts';
import {
  createUserConnectionLimit,
  type UserConnectionLimit,
  useHttpStreamLimits,
} from './transport/stream-limits.ts';
import { attachWebSocketTransport, type WebSocketTransport } from './transport/websocket.ts';

export interface App {
  yoga: YogaServerInstance<Record<string, never>, Context>;
  services: Services;
  database: Database;
  /** How tokens are verified, and the HS256 secret when there is one (to print a dev token). */
  auth: { source: AuthSource; secret: string | null };
  /** The WebSocket transport once started (connections and subscriptions, for tests and metrics). */
  websocket(): WebSocketTransport | null;
  /** Listens on `port` (0 picks a free one) and resolves with the address. */
  start(port?: number): Promise<{ port: number; url: string }>;
  /** Stops accepting requests, lets in-flight ones finish, then closes the database. */
  stop(): Promise<void>;
}

export interface AppOptions {
  logger?: Logger;
}

/** Grace period for in-flight requests on stop before their sockets are closed. */
const SHUTDOWN_GRACE_MS = 10_000;

export async function buildApp(config: Config, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    if (config.migrateOnStart) {
      const { applied } = await applyPendingMigrations(database, logger);
      if (applied.length > 0) logger.info({ applied }, 'applied database migrations');
    }
    const auth = await resolveAuth(config, {
      onKeySetUnavailable: (err) => logger.warn({ err }, 'JWKS endpoint unavailable'),
    });
    const metrics = createMetrics();
    // The streams count themselves: they share one pub/sub subscription per workspace topic.
    const pubsub = instrumentPubSub(
      createSyncPubSub({ redisUrl: config.redisUrl, logger }),
      metrics,
      { countSubscriptions: false },
    );
    const services: Services = {
      prisma: database.prisma,
      sql: database.sql,
      config,
      logger,
      pubsub,
      metrics,
    };
    watchOpenConflicts(metrics, database.prisma);
    watchDatabasePool(metrics, () => database.poolStats());
    // One cap for WebSockets and SSE subscriptions together.
    const connectionLimit = createUserConnectionLimit(config.maxConnectionsPerUser);
    const yoga = createYogaServer(services, metrics, database, auth.verifier, connectionLimit);
    const authInfo = { source: auth.source, secret: auth.secret };
    return {
      yoga,
      services,
      database,
      auth: authInfo,
      ...lifecycle(yoga, services, metrics, database, { verifier: auth.verifier, connectionLimit }),
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

const graphqlEndpoint = '/graphql';

function createYogaServer(
  services: Services,
  metrics: Metrics,
  database: Database,
  verifier: TokenVerifier,
  connectionLimit: UserConnectionLimit,
) {
  const graphiql = createGraphiQLPage(graphqlEndpoint);
  return createYoga<Record<string, never>, Context>({
    schema,
    graphqlEndpoint,
    // Yoga's own /health answers any method with an empty body; ours reports JSON and 405s.
    healthCheckEndpoint: yogaHealthCheckEndpoint,
    landingPage: false,
    graphiql: services.config.graphiql && graphiqlOptions,
    renderGraphiQL: graphiql.render,
    logging: createYogaLogger(services.logger),
    maskedErrors: {
      maskError: withServiceUnavailable(
        createErrorMasker(services.logger, { suggestions: services.config.introspection }),
        { logger: services.logger },
      ),
    },
    // Yoga's default holds 1,024 documents of any size: large ones are parsed, not kept.
    parserAndValidationCache: boundedParserCache(),
    // useSecurity's body limit (MAX_BODY_BYTES, at most Yoga's own 25 MB) answers 413 first;
    // Yoga's would pipe every body through one more stream, a fixed cost of each request.
    maxRequestBodySize: false,
    plugins: [
      graphiql.plugin,
      useRequestId(),
      useErrorReports(),
      useHttpMetrics(metrics),
      useSyncMetrics(metrics),
      useRequestErrorStatus(),
      useOperationalEndpoints({
        metrics,
        logger: services.logger,
        readiness: readinessCheck(database),
      }),
      useDashboard(),
      ...useSecurity(services.config, services.logger),
      useHttpStreamLimits({ connectionLimit, logger: services.logger }),
      // changesSince pages as the database writes them, when the query allows (issue 15).
      useChangesSinceJson(),
      useSharedEventResults(metrics),
      // Last: it replaces the response and copies the headers the others set.
      useCompression(),
    ],
    // Over WebSocket the transport has authenticated the connection and names the operation.
    context: async ({ request, connectionUser, requestId }: InitialContext): Promise<Context> => ({
      services,
      user: connectionUser ?? (await authenticate(request, verifier)),
      requestId: requestId ?? requestIdOf(request),
    }),
  });
}

interface InitialContext {
  request: Request;
  connectionUser?: AuthUser;
  requestId?: string;
}

async function authenticate(request: Request, verifier: TokenVerifier): Promise<AuthUser | null> {
  const token = bearerToken(request.headers.get('authorization'));
  return token === null ? null : verifier.verify(token);
}

/**
 * /ready, polled every few seconds by load balancers: the database must answer, and the
 * migrations must be applied. Applied migrations are never unapplied, so once they are all
 * there the directory and _prisma_migrations are not read again.
 */
function readinessCheck(database: Database) {
  let migrated = false;
  return async () => {
    const databaseCheck = await database.ping().then(
      () => ({ ok: true }),
      () => ({ ok: false, detail: 'unreachable' }),
    );
    if (!databaseCheck.ok) return { ready: false, checks: { database: databaseCheck } };
    const pending = migrated ? [] : await listPendingMigrations(database);
    migrated = pending.length === 0;
    const migrations = migrated ? { ok: true } : { ok: false, detail: `${pending.length} pending` };
    return { ready: migrations.ok, checks: { database: databaseCheck, migrations } };
  };
}

function lifecycle(
  yoga: YogaServerInstance<Record<string, never>, Context>,
  services: Services,
  metrics: Metrics,
  database: Database,
  { verifier, connectionLimit }: { verifier: TokenVerifier; connectionLimit: UserConnectionLimit },
): Pick<App, 'start' | 'stop' | 'websocket'> {
  const { config, logger } = services;
  let server: Server | null = null;
  let websocket: WebSocketTransport | null = null;
  let stopped = false;
  return {
    websocket: () => websocket,
    start: (port = config.port) =>
      new Promise((resolve, reject) => {
        const listening = createServer(yoga);
        listening.once('error', reject);
        listening.listen(port, config.host, () => {
          server = listening;
          const transport = attachWebSocketTransport({
            server: listening,
            yoga,
            verifier,
            logger,
            maxSubscriptionsPerConnection: config.maxSubscriptionsPerConnection,
            connectionLimit,
          });
          websocket = transport;
          watchConnections(metrics, 'websocket', () => transport.stats().connections);
          watchConnections(metrics, 'http', () => openConnections(listening));
          const { port: actualPort } = listening.address() as AddressInfo;
          const host = config.host.includes(':') ? `[${config.host}]` : config.host;
          resolve({ port: actualPort, url: `http://${host}:${actualPort}` });
        });
      }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      // Open sockets would hold server.close() for the whole grace period: close them first (1001).
      if (websocket) await websocket.close();
      if (server) await closeServer(server, logger);
      await yoga.dispose();
      await services.pubsub.close();
      await database.close();
    },
  };
}

function openConnections(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.getConnections((error, count) => resolve(error ? 0 : count)),
  );
}

async function closeServer(server: Server, logger: Logger): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const grace = setTimeout(() => {
    logger.warn('closing connections still open after the shutdown grace period');
    server.closeAllConnections();
  }, SHUTDOWN_GRACE_MS);
  grace.unref();
  await closed;
  clearTimeout(grace);
}
