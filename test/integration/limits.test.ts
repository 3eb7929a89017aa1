import { randomUUID } from 'node:crypto';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBucketStore } from '../../server/security/token-bucket.ts';
import { redisSuitesEnabled, startRedis } from '../support/redis.ts';
import { type GraphQLResponse, startTestServer, type TestServer } from '../support/server.ts';
import {
  addMember,
  CHANGES_SINCE,
  createWorkspace,
  errorCode,
  expectNoErrors,
  newId,
  syncClient,
} from '../support/sync.ts';

/** A push selecting three levels deep: within the tight server's depth limit. */
const SHALLOW_PUSH = `
  mutation Push($input: PushChangesInput!) {
    pushChanges(input: $input) { cursor results { status } }
  }`;

const tight = {
  MAX_QUERY_DEPTH: '3',
  MAX_QUERY_ALIASES: '5',
  MAX_QUERY_COST: '200',
  MAX_BODY_BYTES: '4096',
  INTROSPECTION: 'false',
  GRAPHIQL: 'false',
  RATE_LIMIT_USER_REQUESTS_PER_MINUTE: '20',
  RATE_LIMIT_USER_CHANGES_PER_MINUTE: '8',
  RATE_LIMIT_WORKSPACE_CHANGES_PER_MINUTE: '10',
};

interface RawResponse extends GraphQLResponse {
  headers: Headers;
}

async function post(
  url: string,
  body: string | ReadableStream<Uint8Array>,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<RawResponse> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers,
    body,
    ...(typeof body === 'string' ? {} : { duplex: 'half' }),
  } as RequestInit);
  const text = await response.text();
  const parsed = text.startsWith('{') ? (JSON.parse(text) as GraphQLResponse) : {};
  return { ...parsed, status: response.status, headers: response.headers };
}

function pushInput(workspaceId: string, count: number) {
  return {
    workspaceId,
    clientId: randomUUID(),
    changes: Array.from({ length: count }, (_, index) => ({
      project: { mutationId: randomUUID(), id: newId(), patch: { name: `p${index}` } },
    })),
  };
}

describe('limits (tight configuration)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer('pglite', tight);
  });
  afterAll(() => server?.stop());

  it('answers QUERY_TOO_COMPLEX (HTTP 400) past the depth limit', async () => {
    expectNoErrors(await server.graphql('{ workspaces { members { userId } } }', {}, { as: 'd' }));
    const deep = await server.graphql(
      'mutation($input: PushChangesInput!) { pushChanges(input: $input) { results { entity { __typename } } } }',
      { input: pushInput(newId(), 1) },
      { as: 'd' },
    );
    expect(errorCode(deep)).toBe('QUERY_TOO_COMPLEX');
    expect(deep.status).toBe(400);
    expect(deep.errors?.[0]?.extensions).toMatchObject({ limit: 'depth', max: 3 });
  });

  it('counts depth through fragments', async () => {
    const response = await server.graphql(
      `query { ...W } fragment W on Query { workspaces { ...M } }
       fragment M on Workspace { members { ... on Member { role } } }`,
      {},
      { as: 'd' },
    );
    expect(errorCode(response)).toBeUndefined();
    const deeper = await server.graphql(
      `mutation($input: PushChangesInput!) { pushChanges(input: $input) { ...P } }
       fragment P on PushChangesPayload { results { conflict { id } } }`,
      { input: pushInput(newId(), 1) },
      { as: 'd' },
    );
    expect(errorCode(deeper)).toBe('QUERY_TOO_COMPLEX');
  });

  it('answers QUERY_TOO_COMPLEX past the alias limit', async () => {
    const aliases = (count: number) =>
      `{ ${Array.from({ length: count }, (_, index) => `a${index}: me`).join(' ')} }`;
    expectNoErrors(await server.graphql(aliases(5), {}, { as: 'a' }));
    const response = await server.graphql(aliases(6), {}, { as: 'a' });
    expect(errorCode(response)).toBe('QUERY_TOO_COMPLEX');
    expect(response.errors?.[0]?.extensions).toMatchObject({ limit: 'aliases' });
  });

  it('stops a fragment bomb quickly with QUERY_TOO_COMPLEX (cost)', async () => {
    // 40 levels of fragments spreading the level below twice: 2^40 fields when expanded.
    const levels = Array.from(
      { length: 40 },
      (_, index) => `fragment F${index + 1} on Query { ...F${index} ...F${index} }`,
    );
    const query = `query { ...F40 } fragment F0 on Query { me } ${levels.join(' ')}`;
    const started = performance.now();
    const response = await server.graphql(query, {}, { as: 'c' });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(errorCode(response)).toBe('QUERY_TOO_COMPLEX');
    expect(response.errors?.[0]?.extensions).toMatchObject({ limit: 'cost', max: 200 });
  });

  it('answers 413 to a body over MAX_BODY_BYTES, declared or streamed', async () => {
    const query = JSON.stringify({ query: `{ me } # ${'x'.repeat(5_000)}` });
    const declared = await post(server.url, query);
    expect(declared.status).toBe(413);
    expect(declared.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'PAYLOAD_TOO_LARGE',
    });
    const encoder = new TextEncoder();
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let index = 0; index < 10; index++)
          controller.enqueue(encoder.encode(query.slice(index * 600, (index + 1) * 600)));
        controller.close();
      },
    });
    expect((await post(server.url, chunked)).status).toBe(413);
    const small = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('{"query":"{ __typename }"}'));
        controller.close();
      },
    });
    const accepted = await post(server.url, small);
    expect(accepted.status).toBe(200);
    expect(accepted.data).toEqual({ __typename: 'Query' });
  });

  it('rate-limits each user with RATE_LIMITED, retryAfterMs and a Retry-After header', async () => {
    const token = await server.token('rita');
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const body = JSON.stringify({ query: '{ me }' });
    for (let index = 0; index < 20; index++) {
      expect((await post(server.url, body, headers)).status).toBe(200);
    }
    const limited = await post(server.url, body, headers);
    expect(limited.status).toBe(429);
    expect(errorCode(limited)).toBe('RATE_LIMITED');
    const retryAfterMs = limited.errors?.[0]?.extensions?.retryAfterMs as number;
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(3_000); // 20 a minute: one every 3 s
    expect(Number(limited.headers.get('retry-after'))).toBe(Math.ceil(retryAfterMs / 1000));
    expect(limited.errors?.[0]?.extensions?.http).toBeUndefined();
    // Another user is not affected.
    expectNoErrors(await server.graphql('{ me }', {}, { as: 'someone-else' }));
  });

  it('enforces the per-workspace push quota across members, applying nothing refused', async () => {
    const workspaceId = await createWorkspace(server, 'wanda');
    await addMember(server, 'wanda', workspaceId, 'walt', 'EDITOR');
    const push = (as: string, count: number) =>
      server.graphql<{ pushChanges: { results: { status: string }[] } }>(
        SHALLOW_PUSH,
        { input: pushInput(workspaceId, count) },
        { as },
      );
    // A non-member's refused pushes do not spend the workspace's quota.
    expect(errorCode(await push('mallory', 6))).toBe('FORBIDDEN');
    expectNoErrors(await push('wanda', 6));
    const refused = await push('walt', 6);
    expect(errorCode(refused)).toBe('RATE_LIMITED');
    expect(refused.status).toBe(429);
    expectNoErrors(await push('walt', 4));
    const state = expectNoErrors(
      await server.graphql<{ changesSince: { entities: unknown[] } }>(
        CHANGES_SINCE,
        { workspaceId, limit: 100 },
        { as: 'wanda' },
      ),
    );
    expect(state.changesSince.entities).toHaveLength(10);
  });

  it('enforces the per-user push quota across workspaces', async () => {
    const first = await createWorkspace(server, 'ursula');
    const second = await createWorkspace(server, 'ursula');
    const push = (workspaceId: string, count: number) =>
      server.graphql(SHALLOW_PUSH, { input: pushInput(workspaceId, count) }, { as: 'ursula' });
    expectNoErrors(await push(first, 5));
    expect(errorCode(await push(second, 5))).toBe('RATE_LIMITED');
    expectNoErrors(await push(second, 3));
  });

  it('turns introspection off, keeps __typename, and drops "did you mean" hints', async () => {
    const schema = await server.graphql('{ __schema { types { name } } }', {}, { as: 'i' });
    expect(schema.status).toBe(400);
    expect(schema.data?.__schema).toBeUndefined();
    const type = await server.graphql('{ __type(name: "Task") { name } }', {}, { as: 'i' });
    expect(type.errors).toHaveLength(1);
    expectNoErrors(await server.graphql('{ __typename me }', {}, { as: 'i' }));
    const typo = await server.graphql('{ workspace { id } }', {}, { as: 'i' });
    expect(typo.errors?.[0]?.message).toBe('Cannot query field "workspace" on type "Query".');
  });

  it('serves no GraphiQL page when GRAPHIQL=false', async () => {
    const response = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.headers.get('content-type') ?? '').not.toContain('text/html');
    await response.body?.cancel();
  });
});

describe('limits (defaults)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer('pglite');
  });
  afterAll(() => server?.stop());

  it('lets the sync operations, 30 aliases and GraphiQL introspection through', async () => {
    const workspaceId = await createWorkspace(server, 'alice');
    const client = syncClient(server, 'alice', workspaceId);
    const [created] = await client.push(
      { project: { id: newId(), patch: { name: 'P' } } },
      { task: { id: newId(), patch: { title: 'T', tagsAdd: ['a'] } } },
    );
    expect(created?.status).toBe('APPLIED');
    expect((await client.pullAll()).entities).toHaveLength(2);
    const aliases = `{ ${Array.from({ length: 30 }, (_, index) => `a${index}: me`).join(' ')} }`;
    expectNoErrors(await server.graphql(aliases, {}, { as: 'alice' }));
    const introspection = expectNoErrors(
      await server.graphql<{ __schema: { types: unknown[] } }>(
        getIntrospectionQuery(),
        {},
        { as: 'alice' },
      ),
    );
    expect(introspection.__schema.types.length).toBeGreaterThan(10);
  });

  it('serves GraphiQL to a browser', async () => {
    const response = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    await response.body?.cancel();
  });

  it('refuses requests a browser could forge cross-site (CSRF), and only those', async () => {
    const body = JSON.stringify({ query: '{ me }' });
    const form = await post(server.url, body, { 'content-type': 'text/plain' });
    expect(form.status).toBe(403);
    expect(form.errors?.[0]?.extensions).toMatchObject({ reason: 'CSRF_PREVENTION' });
    const noType = await post(server.url, body, {});
    expect(noType.status).toBe(403);
    const getQuery = await fetch(`${server.url}/graphql?query=%7B%20me%20%7D`);
    expect(getQuery.status).toBe(403);
    await getQuery.body?.cancel();

    const withHeader = await fetch(`${server.url}/graphql?query=%7B%20me%20%7D`, {
      headers: { 'x-converge-csrf': '1' },
    });
    expect(await withHeader.json()).toEqual({ data: { me: null } });
    const token = await server.token('alice');
    const withToken = await fetch(`${server.url}/graphql?query=%7B%20me%20%7D`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await withToken.json()).toEqual({ data: { me: 'alice' } });
    const json = await post(server.url, body);
    expect(json.data).toEqual({ me: null });
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    await health.body?.cancel();
  });
});

describe.runIf(redisSuitesEnabled)('rate limits shared through Redis', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let first: TestServer;
  let second: TestServer;

  beforeAll(async () => {
    redis = await startRedis();
    const environment = { REDIS_URL: redis.url, RATE_LIMIT_USER_REQUESTS_PER_MINUTE: '4' };
    const secret = 'a-shared-secret-of-at-least-32-characters';
    [first, second] = await Promise.all([
      startTestServer('pglite', environment, { secret }),
      startTestServer('pglite', environment, { secret }),
    ]);
  });
  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    await redis?.stop();
  });

  it('counts a user across instances, and fails open while Redis is down', async () => {
    for (const server of [first, second, first, second]) {
      expectNoErrors(await server.graphql('{ me }', {}, { as: 'roaming' }));
    }
    for (const server of [first, second]) {
      const limited = await server.graphql('{ me }', {}, { as: 'roaming' });
      expect(errorCode(limited)).toBe('RATE_LIMITED');
      expect(limited.errors?.[0]?.extensions?.retryAfterMs).toBeGreaterThan(10_000);
    }
    await redis.stop();
    expectNoErrors(await first.graphql('{ me }', {}, { as: 'roaming' }));
    await redis.start();
  });
});

describe('token buckets in memory', () => {
  const take = (key: string, cost = 1) => ({ key, capacity: 3, windowMs: 60_000, cost });

  it('refills at capacity per window, and takes from several buckets all or nothing', async () => {
    let now = 0;
    const store = createMemoryBucketStore({ now: () => now });
    for (let index = 0; index < 3; index++)
      expect(await store.take([take('a')])).toEqual({ allowed: true });
    expect(await store.take([take('a')])).toEqual({ allowed: false, retryAfterMs: 20_000 });
    // Refused as a whole: bucket b is not spent by a request that bucket a refuses.
    expect((await store.take([take('b', 3), take('a')])).allowed).toBe(false);
    expect(await store.take([take('b', 3)])).toEqual({ allowed: true });
    now = 20_000;
    expect(await store.take([take('a')])).toEqual({ allowed: true });
    // A cost above the capacity waits for a full bucket instead of never passing.
    now = 200_000;
    expect(await store.take([take('c', 10)])).toEqual({ allowed: true });
    expect(await store.take([take('c')])).toEqual({ allowed: false, retryAfterMs: 20_000 });
  });
});
