import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeCursor } from '../../server/sync/cursor.ts';
import { type GraphQLResponse, startTestServer, type TestServer } from '../support/server.ts';
import { subscribeSse, subscribeWs } from '../support/subscriptions.ts';
import { createWorkspace, errorCode, expectNoErrors, newId } from '../support/sync.ts';

/** POSTs a raw GraphQL request body without a token. */
async function postAnonymous(
  server: TestServer,
  body: Record<string, unknown>,
): Promise<GraphQLResponse> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, ...((await response.json()) as object) };
}

/** `count` tiny operations in one document, as in the memory-exhaustion report. */
function manyOperations(count: number): string {
  const operations = Array.from({ length: count }, (_, index) => `query Q${index}{me}`);
  return `# ${newId()}\n${operations.join(' ')}`;
}

/** `{ __type(name: "SyncRecord") { ...L0 } }` where L0 and L1 repeat a subtree under aliases. */
function introspectionAliases(count: number): string {
  const aliased = (field: string) =>
    Array.from({ length: count }, (_, index) => `a${index}:${field}`).join(' ');
  return `query { __type(name: "SyncRecord") { ...L0 } }
    fragment L0 on __Type { ${aliased('possibleTypes { ...L1 }')} }
    fragment L1 on __Type { ${aliased('interfaces { name }')} }`;
}

function expectTooComplex(response: GraphQLResponse, limit: string) {
  expect(response.status).toBe(400);
  expect(errorCode(response)).toBe('QUERY_TOO_COMPLEX');
  expect(response.errors?.[0]?.extensions).toMatchObject({ limit });
}

describe('edge hardening (defaults)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer('pglite');
  });
  afterAll(() => server?.stop());

  it('refuses a huge anonymous document before parsing it whole, /health staying live', async () => {
    // ~1.3 MB each: today's parser would take seconds and ~150 MB per request.
    const body = (index: number) => ({
      query: manyOperations(60_000 + index),
      operationName: 'Q1',
    });
    const requests = Array.from({ length: 4 }, (_, index) => postAnonymous(server, body(index)));
    const healthDelays: number[] = [];
    const probing = (async () => {
      for (let probe = 0; probe < 5; probe++) {
        const started = performance.now();
        const health = await fetch(`${server.url}/health`);
        await health.body?.cancel();
        expect(health.status).toBe(200);
        healthDelays.push(performance.now() - started);
      }
    })();
    const responses = await Promise.all(requests);
    await probing;
    for (const response of responses) expectTooComplex(response, 'operations');
    // A liveness bound, not a speed assertion.
    for (const delay of healthDelays) expect(delay).toBeLessThan(5_000);
  });

  it('refuses documents past the token and operation limits with QUERY_TOO_COMPLEX', async () => {
    const fields = `{ ${'me '.repeat(2_001)}}`;
    expectTooComplex(await postAnonymous(server, { query: fields }), 'tokens');
    // Just under the limit: parsed and validated, then refused for want of a token.
    const types = 'TASK '.repeat(1_980);
    const under = `{ changesSince(workspaceId: "w", types: [${types}]) { cursor } }`;
    expect(errorCode(await postAnonymous(server, { query: under }))).toBe('UNAUTHENTICATED');
    expectTooComplex(
      await postAnonymous(server, { query: manyOperations(21), operationName: 'Q1' }),
      'operations',
    );
    const twenty = await postAnonymous(server, { query: manyOperations(20), operationName: 'Q1' });
    expect(twenty.data).toEqual({ me: null });
  });

  it('counts introspection aliases and fields toward the query limits', async () => {
    const aliases = await postAnonymous(server, { query: introspectionAliases(40) });
    expectTooComplex(aliases, 'aliases');
    expect(aliases.data).toBeUndefined();
    // Fragments doubling 20 times: a million fields under __schema, no alias needed.
    const levels = Array.from(
      { length: 20 },
      (_, index) => `fragment F${index + 1} on __Schema { ...F${index} ...F${index} }`,
    );
    const doubled = `{ __schema { ...F20 } } fragment F0 on __Schema { types { name } } ${levels.join(' ')}`;
    expectTooComplex(await postAnonymous(server, { query: doubled }), 'cost');
  });

  it('still answers the GraphiQL introspection query, plain and with its options', async () => {
    for (const query of [
      getIntrospectionQuery(),
      getIntrospectionQuery({
        descriptions: true,
        specifiedByUrl: true,
        directiveIsRepeatable: true,
        schemaDescription: true,
        inputValueDeprecation: true,
        oneOf: true,
      }),
    ]) {
      const response = await postAnonymous(server, { query });
      expect(response.status).toBe(200);
      const data = expectNoErrors(response as GraphQLResponse<{ __schema: { types: unknown[] } }>);
      expect(data.__schema.types.length).toBeGreaterThan(10);
    }
  });

  it('answers a parser-breaking nesting with 400 and a code, logging no error', async () => {
    const logged = vi.spyOn(server.app.services.logger, 'error');
    try {
      const deep = `{${'me{'.repeat(50_000)}${'}'.repeat(50_001)}`;
      expectTooComplex(await postAnonymous(server, { query: deep }), 'nesting');
      const deepList = `{ me(x: ${'['.repeat(50_000)}${']'.repeat(50_000)}) }`;
      expectTooComplex(await postAnonymous(server, { query: deepList }), 'nesting');
      expect(logged).not.toHaveBeenCalled();
    } finally {
      logged.mockRestore();
    }
  });

  it('answers removeMember with a NUL in userId and auditLog past 2^31 with 400-class codes', async () => {
    const workspaceId = await createWorkspace(server, 'nadia');
    const removal = await server.graphql(
      'mutation($w: ID!, $u: ID!) { removeMember(workspaceId: $w, userId: $u) }',
      { w: workspaceId, u: 'eve\u0000' },
      { as: 'nadia' },
    );
    expect(errorCode(removal)).toBe('BAD_USER_INPUT');
    expect(removal.status).toBeLessThan(500);
    const audit = await server.graphql(
      'query($w: ID!, $b: Cursor) { auditLog(workspaceId: $w, before: $b) { hasMore } }',
      { w: workspaceId, b: encodeCursor(2 ** 31) },
      { as: 'nadia' },
    );
    expect(errorCode(audit)).toBe('BAD_USER_INPUT');
    expect(audit.status).toBe(400);
    const newest = await server.graphql(
      'query($w: ID!, $b: Cursor) { auditLog(workspaceId: $w, before: $b) { hasMore } }',
      { w: workspaceId, b: encodeCursor(2 ** 31 - 1) },
      { as: 'nadia' },
    );
    expect(expectNoErrors(newest)).toEqual({ auditLog: { hasMore: false } });
  });
});

describe('edge hardening (anonymous rate limit)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer('pglite', { RATE_LIMIT_ANONYMOUS_REQUESTS_PER_MINUTE: '3' });
  });
  afterAll(() => server?.stop());

  it('counts requests without a token by address, before parsing them', async () => {
    for (let index = 0; index < 3; index++)
      expect((await postAnonymous(server, { query: '{ me }' })).status).toBe(200);
    const limited = await postAnonymous(server, { query: manyOperations(1_000) });
    expect(limited.status).toBe(429);
    expect(errorCode(limited)).toBe('RATE_LIMITED');
    // Requests with a token are counted per user instead.
    expectNoErrors(await server.graphql('{ me }', {}, { as: 'tina' }));
  });
});

describe('edge hardening (INTROSPECTION=false)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer('pglite', { INTROSPECTION: 'false' });
  });
  afterAll(() => server?.stop());

  const CHANGES_OF_TYPES =
    'query($w: ID!, $t: [EntityType!]) { changesSince(workspaceId: $w, types: $t) { cursor } }';
  const PUSH_TITLE = `mutation($input: PushChangesInput!) {
    pushChanges(input: $input) { cursor }
  }`;
  const typoInput = {
    workspaceId: 'w',
    clientId: 'c',
    changes: [{ task: { mutationId: 'm', id: 't', patch: { titl: 'x' } } }],
  };

  function expectNoSuggestion(response: { errors?: { message: string }[] }) {
    expect(response.errors?.length).toBeGreaterThan(0);
    for (const error of response.errors ?? []) expect(error.message).not.toMatch(/did you mean/i);
  }

  it('suggests no enum value or input field in variable errors, without a token', async () => {
    const enumValue = await postAnonymous(server, {
      query: CHANGES_OF_TYPES,
      variables: { w: 'w', t: ['TASKS'] },
    });
    expect(enumValue.status).toBe(400);
    expect(errorCode(enumValue)).toBe('BAD_USER_INPUT');
    expect(enumValue.errors?.[0]?.message).toContain('"TASKS"');
    expectNoSuggestion(enumValue);
    const field = await postAnonymous(server, {
      query: PUSH_TITLE,
      variables: { input: typoInput },
    });
    expect(field.status).toBe(400);
    expect(field.errors?.[0]?.message).toContain('"titl"');
    expectNoSuggestion(field);
  });

  it('suggests nothing over SSE and WebSocket either', async () => {
    const subscription =
      'subscription($w: ID!, $t: [EntityType!]) { entityChanged(workspaceId: $w, types: $t) { cursor } }';
    const variables = { w: newId(), t: ['TASKS'] };
    const token = await server.token('sam');
    for (const subscribe of [subscribeSse, subscribeWs]) {
      const received = subscribe(server.url, token, subscription, variables);
      const [result] = await received.waitFor(1, 15_000);
      received.stop();
      expect(result?.errors?.[0]?.message).toContain('"TASKS"');
      expectNoSuggestion(result ?? {});
    }
  });
});
