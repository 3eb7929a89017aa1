import type { DocumentNode, OperationDefinitionNode } from 'graphql';
import { getOperationAST, Kind } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { perDocument } from './per-document.ts';

type HttpLabel = 'method' | 'route' | 'status';
type OperationLabel = 'operation' | 'type' | 'outcome';

/** Per-change outcomes of pushChanges, as metric label values. */
export const changeStatuses = ['applied', 'merged', 'conflict', 'rejected', 'duplicate'] as const;
export type ChangeStatusLabel = (typeof changeStatuses)[number];

/** Live streams counted by the subscriptions gauge. */
export type SubscriptionKind = 'entityChanged' | 'conflictChanged';

export interface PoolStats {
  /** Connections open (busy or idle). */
  total: number;
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
}

/**
 * Where the gauges read at scrape time get their values. Filled in by watch* functions in
 * sync-metrics.ts; an empty source leaves its gauge out of the scrape.
 */
export interface MetricSources {
  openConflicts: (() => Promise<number>) | null;
  connections: Map<string, () => number | Promise<number>>;
  databasePool: (() => PoolStats | null) | null;
}

/** The sync engine's own metrics (issue 6): what a push, a pull and a delivery cost. */
export interface SyncMetrics {
  pushDuration: Histogram<'outcome'>;
  changes: Counter<'status'>;
  conflictsOpened: Counter;
  conflictsOpen: Gauge;
  autoResolutionRatio: Gauge;
  pullEntities: Counter;
  subscriptions: Gauge<'kind'>;
  subscriptionResults: Counter<'result'>;
  connections: Gauge<'transport'>;
  pubsubLag: Histogram<'topic'>;
  databasePool: Gauge<'state'>;
}

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<HttpLabel>;
  httpDuration: Histogram<HttpLabel>;
  graphqlOperations: Counter<OperationLabel>;
  sync: SyncMetrics;
  sources: MetricSources;
}

const metricsDefaults = {
  prefix: 'converge_',
  // Seconds. Sync pulls and pushes are usually fast; the long tail matters for big batches.
  durationBuckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  // Seconds. The push goal is 25 ms for 100 changes and fan-out 50 ms: resolution where it counts.
  pushBuckets: [0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  lagBuckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
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
  const sources: MetricSources = {
    openConflicts: null,
    connections: new Map(),
    databasePool: null,
  };
  return {
    registry,
    sources,
    sync: createSyncMetrics(registry, prefix, sources),
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

// No workspace label anywhere: workspaces are unbounded, and one time series per workspace
// would grow with every tenant. Labels here take values from fixed sets only.
function createSyncMetrics(
  registry: Registry,
  prefix: string,
  sources: MetricSources,
): SyncMetrics {
  const registers = [registry];
  const changes = new Counter({
    name: `${prefix}sync_changes_total`,
    help: 'Changes pushed, by outcome: applied, merged, conflict, rejected, duplicate',
    labelNames: ['status'],
    registers,
  });
  // Every status is exported from the start, so rates work before the first conflict.
  for (const status of changeStatuses) changes.inc({ status }, 0);
  const subscriptions = new Gauge({
    name: `${prefix}subscriptions_active`,
    help: 'Live subscription streams on this instance, by kind (entityChanged, conflictChanged)',
    labelNames: ['kind'],
    registers,
  });
  subscriptions.set({ kind: 'entityChanged' }, 0);
  subscriptions.set({ kind: 'conflictChanged' }, 0);
  const subscriptionResults = new Counter({
    name: `${prefix}subscription_results_total`,
    help: 'Subscription results, one per event and subscriber, by how each was made: executed, or shared with the other subscribers of the same document and variables',
    labelNames: ['result'],
    registers,
  });
  for (const result of ['executed', 'shared']) subscriptionResults.inc({ result }, 0);
  return {
    subscriptions,
    subscriptionResults,
    changes,
    pushDuration: new Histogram({
      name: `${prefix}sync_push_duration_seconds`,
      help: 'pushChanges time in the engine (access check, transaction, commit), by outcome (ok or error)',
      labelNames: ['outcome'],
      buckets: metricsDefaults.pushBuckets,
      registers,
    }),
    conflictsOpened: new Counter({
      name: `${prefix}sync_conflicts_opened_total`,
      help: 'Conflicts opened by pushes',
      registers,
    }),
    conflictsOpen: new Gauge({
      name: `${prefix}sync_conflicts_open`,
      help: 'Conflicts waiting for a resolution, in all workspaces (read from the database)',
      registers,
      async collect() {
        if (!sources.openConflicts) return;
        // An unreachable database must not take /metrics down with it: the last value stays.
        const count = await sources.openConflicts().catch(() => null);
        if (count !== null) this.set(count);
      },
    }),
    autoResolutionRatio: new Gauge({
      name: `${prefix}sync_auto_resolution_ratio`,
      help: 'Share of concurrent changes merged without a person (merged / (merged + conflict)) since start; 1 when none',
      registers,
      async collect() {
        const counts = await changeCounts(changes);
        const contested = counts.merged + counts.conflict;
        this.set(contested === 0 ? 1 : counts.merged / contested);
      },
    }),
    pullEntities: new Counter({
      name: `${prefix}sync_pull_entities_total`,
      help: 'Entities returned by changesSince',
      registers,
    }),
    connections: new Gauge({
      name: `${prefix}connections_open`,
      help: 'Open client connections on this instance, by transport',
      labelNames: ['transport'],
      registers,
      async collect() {
        this.reset();
        for (const [transport, count] of sources.connections) {
          const value = await Promise.resolve()
            .then(count)
            .catch(() => null);
          if (value !== null) this.set({ transport }, value);
        }
      },
    }),
    pubsubLag: new Histogram({
      name: `${prefix}pubsub_delivery_lag_seconds`,
      help: 'Time from publish (after the commit) until a subscriber stream takes the event, by topic; includes Redis transit',
      labelNames: ['topic'],
      buckets: metricsDefaults.lagBuckets,
      registers,
    }),
    databasePool: new Gauge({
      name: `${prefix}db_pool_connections`,
      help: 'Database pool connections by state (total, idle) and queries waiting for one (waiting)',
      labelNames: ['state'],
      registers,
      collect() {
        const stats = sources.databasePool?.();
        if (!stats) return;
        this.set({ state: 'total' }, stats.total);
        this.set({ state: 'idle' }, stats.idle);
        this.set({ state: 'waiting' }, stats.waiting);
      },
    }),
  };
}

async function changeCounts(
  changes: Counter<'status'>,
): Promise<Record<ChangeStatusLabel, number>> {
  const counts = { applied: 0, merged: 0, conflict: 0, rejected: 0, duplicate: 0 };
  for (const { labels, value } of (await changes.get()).values) {
    const status = labels.status as ChangeStatusLabel | undefined;
    if (status && status in counts) counts[status] = value;
  }
  return counts;
}

/**
 * Counts one live subscription stream until the returned release function is called (once;
 * later calls do nothing). Call it when a stream starts and release in its `finally`.
 * Without metrics (engine tests) it does nothing.
 */
export function trackSubscription(
  metrics: Metrics | undefined,
  kind: SubscriptionKind,
): () => void {
  if (!metrics) return () => {};
  metrics.sync.subscriptions.inc({ kind });
  let released = false;
  return () => {
    if (released) return;
    released = true;
    metrics.sync.subscriptions.dec({ kind });
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
const describeOperation = perDocument(
  (document: DocumentNode, operationName: string | null | undefined): OperationLabels => {
    const definition = getOperationAST(document, operationName);
    if (!definition) return unknownOperation;
    return { operation: rootFieldLabel(definition), type: definition.operation };
  },
);

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
