import { createSchema, createYoga, type YogaInitialContext } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import {
  type Readiness,
  useOperationalEndpoints,
  yogaHealthCheckEndpoint,
} from '../../server/observability/health.ts';
import {
  createMetrics,
  type Metrics,
  routeLabel,
  useHttpMetrics,
} from '../../server/observability/metrics.ts';
import {
  isValidRequestId,
  requestIdOf,
  useRequestId,
} from '../../server/observability/request-id.ts';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function createTestYoga(options: { readiness?: () => Promise<Readiness>; metrics?: Metrics } = {}) {
  const metrics = options.metrics ?? createMetrics();
  const readiness =
    options.readiness ?? (async () => ({ ready: true, checks: { database: { ok: true } } }));
  const yoga = createYoga({
    schema: createSchema<YogaInitialContext>({
      typeDefs: /* GraphQL */ `
        type Query {
          hello: String!
          requestId: String!
          fail: String
        }
        type Mutation {
          touch: Boolean!
        }
        type Subscription {
          tick: Int!
        }
      `,
      resolvers: {
        Query: {
          hello: () => 'world',
          requestId: (_parent, _args, context) => requestIdOf(context.request),
          fail: () => {
            throw new Error('boom');
          },
        },
        Mutation: { touch: () => true },
        Subscription: {
          tick: {
            subscribe: async function* () {
              yield { tick: 1 };
              yield { tick: 2 };
            },
          },
        },
      },
    }),
    logging: false,
    healthCheckEndpoint: yogaHealthCheckEndpoint,
    plugins: [
      useRequestId(),
      useHttpMetrics(metrics),
      useOperationalEndpoints({ metrics, readiness }),
    ],
  });
  return { yoga, metrics };
}

async function graphql(
  yoga: ReturnType<typeof createTestYoga>['yoga'],
  query: string,
  headers: Record<string, string> = {},
) {
  const response = await yoga.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return {
    response,
    body: (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] },
  };
}

async function metricValue(metrics: Metrics, name: string, labels: Record<string, string>) {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((entry) => entry.name === name);
  const value = metric?.values.find((entry) =>
    Object.entries(labels).every(([key, expected]) => entry.labels[key] === expected),
  );
  return value?.value ?? 0;
}

describe('operational endpoints', () => {
  it('GET /health answers 200 {"status":"ok"} without touching readiness', async () => {
    let readinessCalls = 0;
    const { yoga } = createTestYoga({
      readiness: async () => {
        readinessCalls += 1;
        return { ready: false, checks: {} };
      },
    });
    const response = await yoga.fetch('http://localhost/health');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    expect(await response.json()).toEqual({ status: 'ok' });
    expect(readinessCalls).toBe(0);
  });

  it('GET /ready answers 200 with the checks when ready', async () => {
    const { yoga } = createTestYoga();
    const response = await yoga.fetch('http://localhost/ready');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready', checks: { database: { ok: true } } });
  });

  it('GET /ready answers 503 with the checks when not ready', async () => {
    const checks = { database: { ok: false, detail: 'migrations pending' }, redis: { ok: true } };
    const { yoga } = createTestYoga({ readiness: async () => ({ ready: false, checks }) });
    const response = await yoga.fetch('http://localhost/ready');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'not_ready', checks });
  });

  it('GET /ready answers 503 without the message when readiness throws', async () => {
    const { yoga } = createTestYoga({
      readiness: async () => {
        throw new Error('connect ECONNREFUSED postgres://admin:hunter2@db:5432');
      },
    });
    const response = await yoga.fetch('http://localhost/ready');
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      status: 'not_ready',
      checks: { readiness: { ok: false, detail: 'unavailable' } },
    });
    expect(text).not.toMatch(/hunter2|ECONNREFUSED/);
  });

  it('GET /ready answers 503 when readiness hangs', async () => {
    const metrics = createMetrics();
    const yoga = createYoga({
      schema: createSchema({ typeDefs: 'type Query { a: Int }' }),
      logging: false,
      healthCheckEndpoint: yogaHealthCheckEndpoint,
      plugins: [
        useOperationalEndpoints({
          metrics,
          readiness: () => new Promise<Readiness>(() => {}),
          readinessTimeoutMs: 20,
        }),
      ],
    });
    const response = await yoga.fetch('http://localhost/ready');
    expect(response.status).toBe(503);
  });

  it('GET /metrics serves the registry in Prometheus format, counting a GraphQL request', async () => {
    const { yoga, metrics } = createTestYoga();
    const { response } = await graphql(yoga, '{ hello }');
    expect(response.status).toBe(200);

    const scrape = await yoga.fetch('http://localhost/metrics');
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toBe(metrics.registry.contentType);
    const text = await scrape.text();
    expect(text).toMatch(
      /^converge_http_requests_total\{method="POST",route="\/graphql",status="200"\} 1$/m,
    );
    expect(text).toMatch(
      /^converge_http_request_duration_seconds_count\{.*route="\/graphql".*\} 1$/m,
    );
    expect(text).toMatch(
      /^converge_graphql_operations_total\{operation="hello",type="query",outcome="ok"\} 1$/m,
    );
    // collectDefaultMetrics on the same registry, with the prefix.
    expect(text).toMatch(/^converge_process_cpu_user_seconds_total /m);
  });

  it('answers HEAD like GET, as load balancers may probe with it', async () => {
    const { yoga } = createTestYoga();
    expect((await yoga.fetch('http://localhost/health', { method: 'HEAD' })).status).toBe(200);
    expect((await yoga.fetch('http://localhost/ready', { method: 'HEAD' })).status).toBe(200);
  });

  it.each(['/health', '/ready', '/metrics'])('POST %s answers 405 with Allow', async (path) => {
    const { yoga } = createTestYoga();
    const response = await yoga.fetch(`http://localhost${path}`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });

  it('leaves other paths to Yoga', async () => {
    const { yoga } = createTestYoga();
    const { body } = await graphql(yoga, '{ hello }');
    expect(body).toEqual({ data: { hello: 'world' } });
    expect((await yoga.fetch('http://localhost/healthz')).status).toBe(404);
  });
});

describe('HTTP and GraphQL metrics', () => {
  it('labels routes from a fixed set', () => {
    expect(routeLabel('/graphql')).toBe('/graphql');
    expect(routeLabel('/graphql/')).toBe('/graphql');
    expect(routeLabel('/dashboard')).toBe('/dashboard');
    expect(routeLabel('/dashboard/assets/index-3f2a.js')).toBe('/dashboard');
    expect(routeLabel('/wp-admin/login.php')).toBe('other');
    expect(routeLabel('/')).toBe('other');
  });

  it('counts operational endpoints and unknown paths with bounded labels', async () => {
    const { yoga, metrics } = createTestYoga();
    await yoga.fetch('http://localhost/health');
    await yoga.fetch('http://localhost/random/path/1');
    await yoga.fetch('http://localhost/random/path/2');
    await yoga.fetch('http://localhost/health', { method: 'PROPFIND' });
    const name = 'converge_http_requests_total';
    expect(
      await metricValue(metrics, name, { route: '/health', status: '200', method: 'GET' }),
    ).toBe(1);
    expect(await metricValue(metrics, name, { route: 'other', status: '404' })).toBe(2);
    expect(
      await metricValue(metrics, name, { route: '/health', method: 'other', status: '405' }),
    ).toBe(1);
  });

  it('counts GraphQL outcomes: ok, resolver error, syntax error, validation error, mutation', async () => {
    const { yoga, metrics } = createTestYoga();
    await graphql(yoga, '{ hello }');
    await graphql(yoga, '{ fail }');
    await graphql(yoga, '{ hello');
    await graphql(yoga, '{ hello');
    await graphql(yoga, '{ nope }');
    await graphql(yoga, 'mutation { touch }');
    await graphql(yoga, '{ a: hello b: requestId }');
    const name = 'converge_graphql_operations_total';
    expect(
      await metricValue(metrics, name, { operation: 'hello', type: 'query', outcome: 'ok' }),
    ).toBe(1);
    expect(
      await metricValue(metrics, name, { operation: 'fail', type: 'query', outcome: 'error' }),
    ).toBe(1);
    // Syntax errors twice: the second one comes from Yoga's parse cache and must count too.
    expect(await metricValue(metrics, name, { operation: 'unknown', outcome: 'error' })).toBe(3);
    expect(await metricValue(metrics, name, { operation: 'unknown', outcome: 'ok' })).toBe(0);
    expect(
      await metricValue(metrics, name, { operation: 'touch', type: 'mutation', outcome: 'ok' }),
    ).toBe(1);
    expect(
      await metricValue(metrics, name, { operation: 'multiple', type: 'query', outcome: 'ok' }),
    ).toBe(1);
  });

  it('counts a subscription once, when it starts, whatever its number of events', async () => {
    const { yoga, metrics } = createTestYoga();
    const response = await yoga.fetch('http://localhost/graphql?query=subscription{tick}', {
      headers: { accept: 'text/event-stream' },
    });
    expect(await response.text()).toMatch(/"tick":2/);
    const name = 'converge_graphql_operations_total';
    expect(
      await metricValue(metrics, name, { operation: 'tick', type: 'subscription', outcome: 'ok' }),
    ).toBe(1);
  });

  it('keeps registries apart so several servers can run in one process', async () => {
    const first = createTestYoga();
    const second = createTestYoga();
    await graphql(first.yoga, '{ hello }');
    const name = 'converge_http_requests_total';
    expect(await metricValue(first.metrics, name, { route: '/graphql' })).toBe(1);
    expect(await metricValue(second.metrics, name, { route: '/graphql' })).toBe(0);
  });
});

describe('request id', () => {
  it.each(['a', 'abc-DEF_1.2', 'x'.repeat(128), '0b7c9f3e-5b2a-4c1d-8e9f-123456789abc'])(
    'accepts %j',
    (id) => {
      expect(isValidRequestId(id)).toBe(true);
    },
  );

  it.each(['', 'x'.repeat(129), 'has space', 'semi;colon', 'new\nline', 'ünï', null, undefined])(
    'refuses %j',
    (id) => {
      expect(isValidRequestId(id)).toBe(false);
    },
  );

  it('echoes a valid incoming x-request-id and exposes it to resolvers', async () => {
    const { yoga } = createTestYoga();
    const { response, body } = await graphql(yoga, '{ requestId }', {
      'x-request-id': 'proxy-id.42',
    });
    expect(response.headers.get('x-request-id')).toBe('proxy-id.42');
    expect(body.data).toEqual({ requestId: 'proxy-id.42' });
  });

  it('replaces an invalid x-request-id with a UUID', async () => {
    const { yoga } = createTestYoga();
    const { response, body } = await graphql(yoga, '{ requestId }', {
      'x-request-id': 'bad id\twith "quotes"',
    });
    const id = response.headers.get('x-request-id');
    expect(id).toMatch(uuid);
    expect(body.data).toEqual({ requestId: id });
  });

  it('generates a fresh UUID per request without a header, also on operational endpoints', async () => {
    const { yoga } = createTestYoga();
    const first = (await yoga.fetch('http://localhost/health')).headers.get('x-request-id');
    const second = (await yoga.fetch('http://localhost/health')).headers.get('x-request-id');
    expect(first).toMatch(uuid);
    expect(second).toMatch(uuid);
    expect(first).not.toBe(second);
  });

  it('gives a request it never saw a stable id, its valid x-request-id if it has one', () => {
    const request = new Request('http://localhost/graphql');
    expect(requestIdOf(request)).toMatch(uuid);
    expect(requestIdOf(request)).toBe(requestIdOf(request));
    const proxied = new Request('http://localhost/graphql', {
      headers: { 'x-request-id': 'proxy-id.43' },
    });
    expect(requestIdOf(proxied)).toBe('proxy-id.43');
  });
});
