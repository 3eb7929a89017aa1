import type { Plugin } from 'graphql-yoga';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

export interface ReadinessCheck {
  ok: boolean;
  detail?: string;
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, ReadinessCheck>;
}

export interface HealthOptions {
  metrics: Metrics;
  readiness: () => Promise<Readiness>;
  /** Receives readiness failures, whose messages are not sent to the caller. */
  logger?: Logger;
  /** A readiness check slower than this counts as not ready (ms, default 5000). */
  readinessTimeoutMs?: number;
}

/**
 * Pass as Yoga's `healthCheckEndpoint`. Yoga's built-in health check runs before any user
 * plugin and answers every URL ending in '/health' (any method, empty body), which would
 * shadow this plugin's /health; this moves it out of the way.
 */
export const yogaHealthCheckEndpoint = '/__yoga/health';

const healthDefaults = {
  readinessTimeoutMs: 5_000,
};

type Handler = () => Promise<Response> | Response;

// HEAD is answered like GET (without a body, which the HTTP layer drops): some load balancers
// probe with HEAD, and HTTP requires a server that supports GET to support HEAD.
const allowedMethods = new Set(['GET', 'HEAD']);

/**
 * Answers GET /health (liveness), /ready (readiness) and /metrics (Prometheus) before Yoga
 * looks at the request, so they work without a GraphQL body and are not GraphQL operations.
 */
export function useOperationalEndpoints(options: HealthOptions): Plugin {
  const readinessTimeoutMs = options.readinessTimeoutMs ?? healthDefaults.readinessTimeoutMs;
  const handlers: Record<string, Handler> = {
    '/health': () => json(200, { status: 'ok' }),
    '/ready': () => readinessResponse(options, readinessTimeoutMs),
    '/metrics': () => metricsResponse(options.metrics),
  };
  return {
    async onRequest({ url, request, endResponse }) {
      const handler = handlers[url.pathname];
      if (!handler) return;
      if (!allowedMethods.has(request.method)) {
        endResponse(json(405, { status: 'method_not_allowed' }, { allow: 'GET, HEAD' }));
        return;
      }
      endResponse(await handler());
    },
  };
}

async function readinessResponse(options: HealthOptions, timeoutMs: number): Promise<Response> {
  let readiness: Readiness;
  try {
    readiness = await withTimeout(options.readiness(), timeoutMs);
  } catch (error) {
    // The message may hold a connection string or a hostname; it goes to the log only.
    options.logger?.warn({ err: error }, 'Readiness check failed');
    readiness = { ready: false, checks: { readiness: { ok: false, detail: 'unavailable' } } };
  }
  return readiness.ready
    ? json(200, { status: 'ready', checks: readiness.checks })
    : json(503, { status: 'not_ready', checks: readiness.checks });
}

async function metricsResponse(metrics: Metrics): Promise<Response> {
  const body = await metrics.registry.metrics();
  return new Response(body, {
    status: 200,
    headers: { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' },
  });
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    // Probes must see the current state, never a proxy's cached copy.
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  });
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Readiness check took longer than ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
