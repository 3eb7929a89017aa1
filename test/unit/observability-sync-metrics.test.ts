import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { forbidden } from '../../server/errors.ts';
import { negotiateEncoding, useCompression } from '../../server/observability/compression.ts';
import { createLogger } from '../../server/observability/logger.ts';
import {
  createMetrics,
  type Metrics,
  trackSubscription,
} from '../../server/observability/metrics.ts';
import { instrumentPubSub } from '../../server/observability/pubsub-metrics.ts';
import {
  observePush,
  observePushFailure,
  useSyncMetrics,
  watchConnections,
  watchDatabasePool,
  watchOpenConflicts,
} from '../../server/observability/sync-metrics.ts';
import { createSyncPubSub } from '../../server/pubsub.ts';

/** One sample of a metric in the registry's Prometheus text, or undefined. */
async function sample(metrics: Metrics, series: string): Promise<number | undefined> {
  const text = await metrics.registry.metrics();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function logLines() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => lines.push(JSON.parse(line)) },
  });
  return { logger, lines };
}

const observation = {
  requestId: 'req-1',
  userId: 'alice',
  workspaceId: 'ws-1',
  clientId: 'client-1',
  changes: 4,
  durationMs: 12.3456,
};

describe('push metrics and log', () => {
  it('counts changes by status, conflicts and latency, and logs one line without payloads', async () => {
    const metrics = createMetrics();
    const { logger, lines } = logLines();
    const results = (['APPLIED', 'APPLIED', 'MERGED', 'CONFLICT'] as const).map((status) => ({
      mutationId: `m-${status}`,
      status,
      entity: null,
      conflict: null,
      error: null,
      mergedFields: [],
    }));
    observePush({ logger, metrics }, observation, {
      results,
      seq: 42,
      openedConflicts: [{ id: 'c1' } as never],
    });

    expect(await sample(metrics, 'converge_sync_changes_total{status="applied"}')).toBe(2);
    expect(await sample(metrics, 'converge_sync_changes_total{status="merged"}')).toBe(1);
    expect(await sample(metrics, 'converge_sync_changes_total{status="conflict"}')).toBe(1);
    expect(await sample(metrics, 'converge_sync_changes_total{status="rejected"}')).toBe(0);
    expect(await sample(metrics, 'converge_sync_conflicts_opened_total')).toBe(1);
    expect(await sample(metrics, 'converge_sync_push_duration_seconds_count{outcome="ok"}')).toBe(
      1,
    );
    expect(await sample(metrics, 'converge_sync_auto_resolution_ratio')).toBe(0.5);

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: 'push',
      requestId: 'req-1',
      userId: 'alice',
      workspaceId: 'ws-1',
      clientId: 'client-1',
      changes: 4,
      durationMs: 12.35,
      statuses: { applied: 2, merged: 1, conflict: 1 },
      conflictsOpened: 1,
      seq: 42,
    });
  });

  it('records a refused push with its code', async () => {
    const metrics = createMetrics();
    const { logger, lines } = logLines();
    observePushFailure({ logger, metrics }, observation, forbidden());
    observePushFailure({ logger, metrics }, observation, new Error('database went away'));
    expect(
      await sample(metrics, 'converge_sync_push_duration_seconds_count{outcome="error"}'),
    ).toBe(2);
    expect(lines.map((line) => line.code)).toEqual(['FORBIDDEN', 'INTERNAL_SERVER_ERROR']);
    expect(JSON.stringify(lines)).not.toContain('database went away');
  });

  it('reports an auto-resolution ratio of 1 before any concurrent change', async () => {
    expect(await sample(createMetrics(), 'converge_sync_auto_resolution_ratio')).toBe(1);
  });
});

describe('gauges read at scrape time', () => {
  it('counts open conflicts with one query per cache period, and survives a failing one', async () => {
    const metrics = createMetrics();
    let now = 0;
    let queries = 0;
    let fail = false;
    const prisma = {
      conflict: {
        count: async () => {
          queries++;
          if (fail) throw new Error('down');
          return 3;
        },
      },
    };
    watchOpenConflicts(metrics, prisma as never, { cacheMs: 1000, now: () => now });
    expect(await sample(metrics, 'converge_sync_conflicts_open')).toBe(3);
    expect(await sample(metrics, 'converge_sync_conflicts_open')).toBe(3);
    expect(queries).toBe(1);
    now = 1000;
    fail = true;
    // The last value stays and /metrics still answers.
    expect(await sample(metrics, 'converge_sync_conflicts_open')).toBe(3);
    expect(queries).toBe(2);
  });

  it('reports connections by transport and database pool use', async () => {
    const metrics = createMetrics();
    watchConnections(metrics, 'websocket', () => 7);
    watchConnections(metrics, 'http', async () => 2);
    watchDatabasePool(metrics, () => ({ total: 10, idle: 4, waiting: 1 }));
    expect(await sample(metrics, 'converge_connections_open{transport="websocket"}')).toBe(7);
    expect(await sample(metrics, 'converge_connections_open{transport="http"}')).toBe(2);
    expect(await sample(metrics, 'converge_db_pool_connections{state="total"}')).toBe(10);
    expect(await sample(metrics, 'converge_db_pool_connections{state="idle"}')).toBe(4);
    expect(await sample(metrics, 'converge_db_pool_connections{state="waiting"}')).toBe(1);
  });

  it('tracks a subscription until released, once', async () => {
    const metrics = createMetrics();
    const release = trackSubscription(metrics, 'conflictChanged');
    expect(await sample(metrics, 'converge_subscriptions_active{kind="conflictChanged"}')).toBe(1);
    release();
    release();
    expect(await sample(metrics, 'converge_subscriptions_active{kind="conflictChanged"}')).toBe(0);
    expect(() => trackSubscription(undefined, 'entityChanged')()).not.toThrow();
  });
});

describe('instrumented pub/sub', () => {
  const silent = createLogger({ level: 'silent' });

  it('stamps events, observes the delivery lag and counts live streams', async () => {
    const metrics = createMetrics();
    let now = 1_000;
    const pubsub = instrumentPubSub(createSyncPubSub({ logger: silent }), metrics, {
      now: () => now,
    });
    const stream = pubsub.subscribe('conflictChanged', 'ws-1');
    // A stream counts once it is read, not when it is merely created.
    expect(await sample(metrics, 'converge_subscriptions_active{kind="conflictChanged"}')).toBe(0);
    const next = stream.next();
    expect(await sample(metrics, 'converge_subscriptions_active{kind="conflictChanged"}')).toBe(1);

    const conflict = { id: 'c1', workspaceId: 'ws-1' };
    pubsub.publish('conflictChanged', 'ws-1', conflict as never);
    now = 1_250;
    const { value } = await next;
    expect(value).toMatchObject({ id: 'c1', publishedAt: 1_000 });
    expect(conflict).not.toHaveProperty('publishedAt');
    expect(
      await sample(metrics, 'converge_pubsub_delivery_lag_seconds_sum{topic="conflictChanged"}'),
    ).toBe(0.25);

    await stream.return(undefined);
    expect(await sample(metrics, 'converge_subscriptions_active{kind="conflictChanged"}')).toBe(0);
  });

  it('leaves streams uncounted when the streams count themselves', async () => {
    const metrics = createMetrics();
    const pubsub = instrumentPubSub(createSyncPubSub({ logger: silent }), metrics, {
      countSubscriptions: false,
    });
    const stream = pubsub.subscribe('entityChanged', 'ws-1');
    const next = stream.next();
    expect(await sample(metrics, 'converge_subscriptions_active{kind="entityChanged"}')).toBe(0);
    await stream.return(undefined);
    await next;
  });
});

describe('pull entities counter', () => {
  const schema = createSchema({
    typeDefs: /* GraphQL */ `
      type Entity { id: ID! }
      type Batch { entities: [Entity!]! cursor: String! }
      type Query { changesSince(count: Int!): Batch! other: Int! }
    `,
    resolvers: {
      Query: {
        changesSince: (_root: unknown, { count }: { count: number }) => ({
          cursor: 'c',
          entities: Array.from({ length: count }, (_, id) => ({ id })),
        }),
        other: () => 1,
      },
    },
  });

  it('counts the entities changesSince returned, aliases included, and nothing else', async () => {
    const metrics = createMetrics();
    const yoga = createYoga({ schema, logging: false, plugins: [useSyncMetrics(metrics)] });
    const run = (query: string) =>
      yoga.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      });
    await run('{ changesSince(count: 3) { entities { id } } }');
    await run('{ a: changesSince(count: 2) { list: entities { id } again: entities { id } } }');
    await run('{ changesSince(count: 5) { cursor } other }');
    expect(await sample(metrics, 'converge_sync_pull_entities_total')).toBe(5);
  });
});

describe('HTTP compression', () => {
  const big = 'x'.repeat(5_000);
  const schema = createSchema({
    typeDefs: /* GraphQL */ `
      type Query { big: String! small: String! }
      type Subscription { ticks: String! }
    `,
    resolvers: {
      Query: { big: () => big, small: () => 'hi' },
      Subscription: {
        ticks: {
          subscribe: async function* () {
            yield { ticks: big };
          },
        },
      },
    },
  });
  const yoga = createYoga({ schema, logging: false, plugins: [useCompression()] });

  function query(body: string, headers: Record<string, string> = {}) {
    return yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: body }),
    });
  }

  it.each([
    ['gzip', 'gzip, deflate', gunzipSync],
    ['br', 'gzip, deflate, br', brotliDecompressSync],
  ] as const)('answers %s when the client accepts it', async (encoding, accept, decode) => {
    const response = await query('{ big }', { 'accept-encoding': accept });
    expect(response.headers.get('content-encoding')).toBe(encoding);
    expect(response.headers.get('vary')).toMatch(/accept-encoding/i);
    const wire = Buffer.from(await response.arrayBuffer());
    expect(Number(response.headers.get('content-length'))).toBe(wire.byteLength);
    expect(wire.byteLength).toBeLessThan(big.length / 10);
    expect(JSON.parse(decode(wire).toString())).toEqual({ data: { big } });
  });

  it('sends plain bodies without Accept-Encoding, for small bodies, and for streams', async () => {
    const plain = await query('{ big }');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(plain.headers.get('vary')).toMatch(/accept-encoding/i);
    expect(await plain.json()).toEqual({ data: { big } });

    const small = await query('{ small }', { 'accept-encoding': 'gzip' });
    expect(small.headers.get('content-encoding')).toBeNull();
    expect(await small.json()).toEqual({ data: { small: 'hi' } });

    const stream = await query('subscription { ticks }', {
      accept: 'text/event-stream',
      'accept-encoding': 'gzip, br',
    });
    expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
    // Yoga marks event streams `content-encoding: none` so proxies do not buffer them.
    expect(stream.headers.get('content-encoding') ?? 'none').toBe('none');
    expect(await stream.text()).toContain(big);
  });

  it('negotiates by q-value, honours refusals and prefers brotli on a tie', () => {
    expect(negotiateEncoding(undefined)).toBeNull();
    expect(negotiateEncoding('identity')).toBeNull();
    expect(negotiateEncoding('gzip')).toBe('gzip');
    expect(negotiateEncoding('gzip, br')).toBe('br');
    expect(negotiateEncoding('br;q=0.5, gzip;q=0.8')).toBe('gzip');
    expect(negotiateEncoding('br;q=0, gzip;q=0')).toBeNull();
    expect(negotiateEncoding('*')).toBe('br');
    expect(negotiateEncoding('*;q=0.1, br;q=0')).toBe('gzip');
    expect(negotiateEncoding('GZIP;Q=1')).toBe('gzip');
  });
});
