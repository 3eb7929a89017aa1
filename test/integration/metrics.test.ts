import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../server/config.ts';
import { useCompression } from '../../server/observability/compression.ts';
import { useOperationalEndpoints } from '../../server/observability/health.ts';
import { createLogger } from '../../server/observability/logger.ts';
import { createMetrics, useHttpMetrics } from '../../server/observability/metrics.ts';
import { instrumentPubSub } from '../../server/observability/pubsub-metrics.ts';
import { requestIdOf, useRequestId } from '../../server/observability/request-id.ts';
import { useSyncMetrics, watchOpenConflicts } from '../../server/observability/sync-metrics.ts';
import { createSyncPubSub } from '../../server/pubsub.ts';
import type { Context, Services } from '../../server/schema/context.ts';
import { schema } from '../../server/schema/index.ts';
import {
  type MigratedTestDatabase,
  openMigratedTestDatabase,
  testDatabaseKinds,
} from '../support/database.ts';
import type { GraphQLResponse, TestServer } from '../support/server.ts';
import { startTestServer } from '../support/server.ts';
import { ENTITY_CHANGED } from '../support/subscriptions.ts';
import { CHANGES_SINCE, createWorkspace, newId, syncClient } from '../support/sync.ts';

/**
 * The sync metrics, the push log and compression against real pushes and pulls: the real
 * schema, engine and database behind a Yoga server wired as app.ts is asked to wire it
 * (metrics in Services, instrumented pub/sub, useSyncMetrics, useCompression). The caller
 * names itself in `x-test-user`: authentication is not what is under test here.
 */
interface MetricsServer {
  url: string;
  logs: Record<string, unknown>[];
  graphql: TestServer['graphql'];
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

async function startMetricsServer(database: MigratedTestDatabase): Promise<MetricsServer> {
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => logs.push(JSON.parse(line)) },
  });
  const metrics = createMetrics();
  const services: Services = {
    prisma: database.db.prisma,
    sql: database.db.sql,
    config: parseConfig({ DATA_DIR: database.options.dataDir }),
    logger,
    pubsub: instrumentPubSub(createSyncPubSub({ logger }), metrics, { countSubscriptions: false }),
    metrics,
  };
  watchOpenConflicts(metrics, database.db.prisma, { cacheMs: 0 });
  const yoga = createYoga<Record<string, never>, Context>({
    schema,
    logging: false,
    healthCheckEndpoint: '/__yoga/health',
    plugins: [
      useRequestId(),
      useHttpMetrics(metrics),
      useSyncMetrics(metrics),
      useOperationalEndpoints({ metrics, readiness: async () => ({ ready: true, checks: {} }) }),
      useCompression(),
    ],
    context: ({ request }) => {
      const userId = request.headers.get('x-test-user');
      return { services, user: userId ? { userId } : null, requestId: requestIdOf(request) };
    },
  });
  const server: Server = createServer(yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    logs,
    async graphql(query, variables, options = {}) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(options.as ? { 'x-test-user': options.as } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as Omit<GraphQLResponse, 'status'>;
      return { status: response.status, ...body } as never;
    },
    metrics: () => fetch(`${url}/metrics`).then((response) => response.text()),
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await services.pubsub.close();
    },
  };
}

/** The value of one series in Prometheus text, 0 when absent. */
function seriesValue(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** The raw response of a POST, as the wire carried it. */
function post(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ headers: Record<string, unknown>; wire: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ headers: res.headers, wire: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.each(testDatabaseKinds())('sync metrics on %s', (kind) => {
  let database: MigratedTestDatabase;
  let server: MetricsServer;
  let workspaceId: string;

  beforeAll(async () => {
    database = await openMigratedTestDatabase(kind);
    server = await startMetricsServer(database);
    workspaceId = await createWorkspace(server as unknown as TestServer, 'alice');
    await server.graphql(
      'mutation($w: ID!) { addMember(workspaceId: $w, userId: "bob", role: EDITOR) { userId } }',
      { w: workspaceId },
      { as: 'alice' },
    );
  });
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  it('counts pushed changes by status, conflicts, latency and pulled entities', async () => {
    const target = server as unknown as TestServer;
    const alice = syncClient(target, 'alice', workspaceId);
    const bob = syncClient(target, 'bob', workspaceId);
    const id = newId();
    const created = await alice.push(
      { task: { id, patch: { title: 'Plan', estimateMinutes: 60, priority: 1 } } },
      { task: { id: newId(), patch: { title: 'Second' } } },
    );
    const replay = created[0]?.mutationId as string;
    await alice.pushOne({
      task: { id, baseVersion: 1, patch: { estimateMinutes: 90, priority: 2 } },
    });
    // Bob edits from version 1 too: priority merges (LWW), the estimate conflicts (MANUAL).
    const merged = await bob.pushOne({ task: { id, baseVersion: 1, patch: { priority: 3 } } });
    const conflict = await bob.pushOne({
      task: { id, baseVersion: 1, patch: { estimateMinutes: 120 } },
    });
    const refused = await bob.pushOne({ task: { id: newId(), baseVersion: 4, patch: {} } });
    const duplicate = await alice.push({
      task: { mutationId: replay, id, patch: { title: 'Plan', estimateMinutes: 60 } },
    });
    expect([merged.status, conflict.status, refused.status, duplicate[0]?.status]).toEqual([
      'MERGED',
      'CONFLICT',
      'REJECTED',
      'DUPLICATE',
    ]);
    const { entities } = await alice.pullAll(null, 1);

    const text = await server.metrics();
    expect(seriesValue(text, 'converge_sync_changes_total{status="applied"}')).toBe(3);
    expect(seriesValue(text, 'converge_sync_changes_total{status="merged"}')).toBe(1);
    expect(seriesValue(text, 'converge_sync_changes_total{status="conflict"}')).toBe(1);
    expect(seriesValue(text, 'converge_sync_changes_total{status="rejected"}')).toBe(1);
    expect(seriesValue(text, 'converge_sync_changes_total{status="duplicate"}')).toBe(1);
    expect(seriesValue(text, 'converge_sync_conflicts_opened_total')).toBe(1);
    expect(seriesValue(text, 'converge_sync_conflicts_open')).toBe(1);
    expect(seriesValue(text, 'converge_sync_auto_resolution_ratio')).toBe(0.5);
    expect(seriesValue(text, 'converge_sync_push_duration_seconds_count{outcome="ok"}')).toBe(6);
    expect(entities).toHaveLength(2);
    expect(seriesValue(text, 'converge_sync_pull_entities_total')).toBe(2);
  });

  it('logs each push with ids, counts, statuses and timing, never its payload', async () => {
    const marker = `secret-title-${newId()}`;
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-test-user': 'alice',
        'x-request-id': 'metrics-test-push',
      },
      body: JSON.stringify({
        query: 'mutation($input: PushChangesInput!) { pushChanges(input: $input) { cursor } }',
        variables: {
          input: {
            workspaceId,
            clientId: 'logging-client',
            changes: [{ task: { mutationId: newId(), id: newId(), patch: { title: marker } } }],
          },
        },
      }),
    });
    expect(response.status).toBe(200);
    const line = server.logs.find((entry) => entry.requestId === 'metrics-test-push');
    expect(line).toMatchObject({
      level: 30,
      msg: 'push',
      userId: 'alice',
      workspaceId,
      clientId: 'logging-client',
      changes: 1,
      statuses: { applied: 1 },
    });
    expect(line?.durationMs).toBeTypeOf('number');
    expect(JSON.stringify(server.logs)).not.toContain(marker);
  });

  it('counts live subscriptions and the publish-to-delivery lag', async () => {
    const live = subscribeAs(server.url, 'alice', workspaceId);
    const series = 'converge_subscriptions_active{kind="entityChanged"}';
    await until(async () => seriesValue(await server.metrics(), series) === 1);
    await syncClient(server as unknown as TestServer, 'alice', workspaceId).pushOne({
      task: { id: newId(), patch: { title: 'live' } },
    });
    await live.received;
    const lag = 'converge_pubsub_delivery_lag_seconds_count{topic="entityChanged"}';
    expect(seriesValue(await server.metrics(), lag)).toBeGreaterThanOrEqual(1);
    live.stop();
    await until(async () => seriesValue(await server.metrics(), series) === 0);
  });

  it('compresses responses as Accept-Encoding allows: gzip, br, or not at all', async () => {
    const body = JSON.stringify({ query: CHANGES_SINCE, variables: { workspaceId, limit: 1000 } });
    const headers = { 'content-type': 'application/json', 'x-test-user': 'alice' };
    const plain = await post(`${server.url}/graphql`, body, headers);
    expect(plain.headers['content-encoding']).toBeUndefined();
    const expected = JSON.parse(plain.wire.toString());
    expect(expected.data.changesSince.entities.length).toBeGreaterThan(2);

    const gzip = await post(`${server.url}/graphql`, body, {
      ...headers,
      'accept-encoding': 'gzip',
    });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(gzip.wire).toString())).toEqual(expected);

    const br = await post(`${server.url}/graphql`, body, {
      ...headers,
      'accept-encoding': 'gzip, br',
    });
    expect(br.headers['content-encoding']).toBe('br');
    expect(JSON.parse(brotliDecompressSync(br.wire).toString())).toEqual(expected);
    expect(br.wire.byteLength).toBeLessThan(plain.wire.byteLength / 2);
  });
});

/** An SSE subscription as `user` (the metrics server reads the user from a header). */
function subscribeAs(url: string, user: string, workspaceId: string) {
  const abort = new AbortController();
  const received = (async () => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      signal: abort.signal,
      headers: {
        accept: 'text/event-stream',
        'content-type': 'application/json',
        'x-test-user': user,
      },
      body: JSON.stringify({ query: ENTITY_CHANGED, variables: { workspaceId } }),
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('data:')) {
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended before an event');
      text += new TextDecoder().decode(value);
    }
  })();
  received.catch(() => {});
  return { received, stop: () => abort.abort() };
}

/** The same figures and compression from the real server, as app.ts wires them. */
describe('through startTestServer', () => {
  let server: TestServer;
  let workspaceId: string;
  beforeAll(async () => {
    server = await startTestServer('pglite');
    workspaceId = await createWorkspace(server, 'alice');
    const tasks = Array.from({ length: 20 }, (_, n) => ({
      task: { id: newId(), patch: { title: `wired ${n}` } },
    }));
    await syncClient(server, 'alice', workspaceId).push(...tasks);
  });
  afterAll(() => server?.stop());

  it('exports the sync metrics', async () => {
    const text = await fetch(`${server.url}/metrics`).then((response) => response.text());
    expect(seriesValue(text, 'converge_sync_changes_total{status="applied"}')).toBe(20);
  });

  it('compresses responses', async () => {
    const pull = async (encoding: string | null) =>
      post(
        `${server.url}/graphql`,
        JSON.stringify({ query: CHANGES_SINCE, variables: { workspaceId } }),
        {
          'content-type': 'application/json',
          authorization: `Bearer ${await server.token('alice')}`,
          ...(encoding ? { 'accept-encoding': encoding } : {}),
        },
      );
    const plain = await pull(null);
    expect(String(plain.headers.vary ?? '')).toMatch(/accept-encoding/i);
    expect(plain.headers['content-encoding']).toBeUndefined();
    const gzip = await pull('gzip');
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(gzip.wire).toString())).toEqual(JSON.parse(plain.wire.toString()));
    const br = await pull('br');
    expect(br.headers['content-encoding']).toBe('br');
    expect(JSON.parse(brotliDecompressSync(br.wire).toString())).toEqual(
      JSON.parse(plain.wire.toString()),
    );
  });
});
