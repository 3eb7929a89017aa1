import type { DocumentNode, OperationDefinitionNode } from 'graphql';
import { getOperationAST, Kind } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

type HttpLabel = 'method' | 'route' | 'status';
type OperationLabel = 'operation' | 'type' | 'outcome';

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<HttpLabel>;
  httpDuration: Histogram<HttpLabel>;
  graphqlOperations: Counter<OperationLabel>;
}

const metricsDefaults = {
  prefix: 'converge_',
  // Seconds. Sync pulls and pushes are usually fast; the long tail matters for big batches.
  durationBuckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
};

// Labels take values from fixed sets: anything a client controls (paths, methods, operation
// names) would otherwise let one client create unbounded time series.
const knownRoutes = ['/graphql', '/health', '/ready', '/metrics', '/dashboard'] as const;
const knownMethods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** A registry of its own, so several servers in one process (tests) do not collide. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: metricsDefaults.prefix });
  const prefix = metricsDefaults.prefix;
  return {
    registry,
    httpRequests: new Counter({
      name: `${prefix}http_requests_total`,
      help: 'HTTP requests answered, by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: `${prefix}http_request_duration_seconds`,
      help: 'Time until the response (headers) was ready, by method, route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: metricsDefaults.durationBuckets,
      registers: [registry],
    }),
    graphqlOperations: new Counter({
      name: `${prefix}graphql_operations_total`,
      help: 'GraphQL operations by root field (operation), operation type and outcome (ok or error)',
      labelNames: ['operation', 'type', 'outcome'],
      registers: [registry],
    }),
  };
}

/** The bounded route label of a URL path. */
export function routeLabel(pathname: string): string {
  const path = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  for (const route of knownRoutes) {
    if (path === route) return route;
  }
  // The dashboard is a single-page app with assets under its path.
  return path.startsWith('/dashboard/') ? '/dashboard' : 'other';
}

function methodLabel(method: string): string {
  return knownMethods.has(method) ? method : 'other';
}

/**
 * Counts every HTTP request and its duration, and every GraphQL operation by root field, type
 * and outcome. Execution is observed with envelop's hooks, so operations over WebSocket count
 * too.
 */
export function useHttpMetrics(metrics: Metrics): Plugin {
  const startedAt = new WeakMap<Request, number>();
  // Keyed by the GraphQL params object, which is the same in the HTTP context and the
  // execution context (and distinct per operation of a batch).
  const reachedExecution = new WeakSet<object>();
  const markExecuted = (context: unknown) => {
    const params = (context as { params?: unknown } | null)?.params;
    if (typeof params === 'object' && params !== null) reachedExecution.add(params);
  };
  return {
    // Instrumentation runs before any plugin's onRequest, so requests that another plugin
    // answers early (health, metrics) are timed whatever the plugin order.
    instrumentation: {
      request: ({ request }, wrapped) => {
        startedAt.set(request, performance.now());
        return wrapped();
      },
    },
    onResponse({ request, response }) {
      const labels = {
        method: methodLabel(request.method),
        route: routeLabel(new URL(request.url, 'http://localhost').pathname),
        status: String(response.status),
      };
      metrics.httpRequests.inc(labels);
      const start = startedAt.get(request);
      if (start !== undefined) {
        metrics.httpDuration.observe(labels, (performance.now() - start) / 1000);
      }
    },
    // Requests that failed before execution (syntax, validation, unknown operation) never
    // reach onExecute. Yoga's HTTP pipeline reports them here; over WebSocket the transport
    // validates on its own and they are not counted.
    onExecutionResult({ context, result }) {
      if (reachedExecution.has(context.params)) return;
      const failed = !isAsyncIterable(result) && (result?.errors?.length ?? 0) > 0;
      countOperation(metrics, unknownOperation, failed ? 'error' : 'ok');
    },
    onExecute({ args }) {
      markExecuted(args.contextValue);
      const operation = describeOperation(args.document, args.operationName);
      return {
        onExecuteDone({ result }) {
          // Incremental delivery (@defer/@stream) yields an iterator; it started fine.
          const failed = !isAsyncIterable(result) && (result.errors?.length ?? 0) > 0;
          countOperation(metrics, operation, failed ? 'error' : 'ok');
        },
      };
    },
    onSubscribe({ args }) {
      markExecuted(args.contextValue);
      const operation = describeOperation(args.document, args.operationName);
      return {
        // A subscription counts once, when it starts: its events are not operations, and a
        // stream ending with an error (often a client going away) would count it twice.
        onSubscribeResult({ result }) {
          const failed = !isAsyncIterable(result) && (result.errors?.length ?? 0) > 0;
          countOperation(metrics, operation, failed ? 'error' : 'ok');
        },
      };
    },
  };
}

interface OperationLabels {
  operation: string;
  type: string;
}

const unknownOperation: OperationLabels = { operation: 'unknown', type: 'unknown' };

function countOperation(metrics: Metrics, labels: OperationLabels, outcome: 'ok' | 'error'): void {
  metrics.graphqlOperations.inc({ ...labels, outcome });
}

/**
 * Labels an operation by its root field rather than its client-chosen name: root fields come
 * from the schema (a bounded set, as the document is validated by now) and say what was
 * done, e.g. `pushChanges`.
 */
function describeOperation(
  document: DocumentNode,
  operationName: string | null | undefined,
): OperationLabels {
  const definition = getOperationAST(document, operationName);
  if (!definition) return unknownOperation;
  return { operation: rootFieldLabel(definition), type: definition.operation };
}

function rootFieldLabel(definition: OperationDefinitionNode): string {
  const fields = new Set<string>();
  for (const selection of definition.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) return 'multiple';
    if (selection.name.value !== '__typename') fields.add(selection.name.value);
  }
  const [only] = fields;
  if (fields.size === 1 && only !== undefined) return only;
  return fields.size === 0 ? '__typename' : 'multiple';
}
