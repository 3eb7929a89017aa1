import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import {
  addMember,
  CHANGES_SINCE,
  createWorkspace,
  errorCode,
  expectNoErrors,
  newId,
  syncClient,
} from '../support/sync.ts';

const CONFLICTS = 'query($w: ID!) { conflicts(workspaceId: $w) { id } }';
const ADD_MEMBER =
  'mutation($w: ID!, $u: ID!, $r: Role!) { addMember(workspaceId: $w, userId: $u, role: $r) { userId role } }';
const REMOVE_MEMBER = 'mutation($w: ID!, $u: ID!) { removeMember(workspaceId: $w, userId: $u) }';
const READ_TASK = 'query($id: ID!) { task(id: $id) { id title } }';

describe.each(testDatabaseKinds())('roles and tenancy on %s', (kind) => {
  let server: TestServer;
  let workspaceId: string;
  let taskId: string;

  beforeAll(async () => {
    server = await startTestServer(kind);
    workspaceId = await createWorkspace(server, 'admin');
    await addMember(server, 'admin', workspaceId, 'editor', 'EDITOR');
    await addMember(server, 'admin', workspaceId, 'viewer', 'VIEWER');
    taskId = newId();
    await syncClient(server, 'admin', workspaceId).pushOne({
      task: { id: taskId, patch: { title: 'secret plans' } },
    });
  });
  afterAll(() => server?.stop());

  const pushAs = (userId: string, workspace = workspaceId) =>
    syncClient(server, userId, workspace).pushRaw([
      { task: { id: newId(), patch: { title: `by ${userId}` } } },
    ]);

  it('lists workspaces with the caller role and members', async () => {
    const data = expectNoErrors(
      await server.graphql<{
        workspaces: { id: string; role: string; members: { userId: string; role: string }[] }[];
      }>('{ workspaces { id name role members { userId role } } }', {}, { as: 'viewer' }),
    );
    expect(data.workspaces).toHaveLength(1);
    expect(data.workspaces[0]).toMatchObject({ id: workspaceId, role: 'VIEWER' });
    expect(data.workspaces[0]?.members).toEqual(
      expect.arrayContaining([
        { userId: 'admin', role: 'ADMIN' },
        { userId: 'editor', role: 'EDITOR' },
        { userId: 'viewer', role: 'VIEWER' },
      ]),
    );
  });

  it('lets a VIEWER read but not push, resolve or manage members', async () => {
    expectNoErrors(await server.graphql(CHANGES_SINCE, { workspaceId }, { as: 'viewer' }));
    expectNoErrors(await server.graphql(CONFLICTS, { w: workspaceId }, { as: 'viewer' }));
    expect(
      expectNoErrors(
        await server.graphql<{ task: { title: string } }>(
          READ_TASK,
          { id: taskId },
          { as: 'viewer' },
        ),
      ).task.title,
    ).toBe('secret plans');
    expect(errorCode(await pushAs('viewer'))).toBe('FORBIDDEN');
    expect(
      errorCode(
        await server.graphql(ADD_MEMBER, { w: workspaceId, u: 'x', r: 'VIEWER' }, { as: 'viewer' }),
      ),
    ).toBe('FORBIDDEN');
  });

  it('lets an EDITOR push but not manage members', async () => {
    const pushed = expectNoErrors(await pushAs('editor'));
    expect(pushed).toBeTruthy();
    expect(
      errorCode(
        await server.graphql(ADD_MEMBER, { w: workspaceId, u: 'x', r: 'ADMIN' }, { as: 'editor' }),
      ),
    ).toBe('FORBIDDEN');
  });

  it('answers FORBIDDEN, never an empty answer, to non-members and for unknown workspaces', async () => {
    const unknownWorkspace = newId();
    for (const workspace of [workspaceId, unknownWorkspace]) {
      expect(
        errorCode(
          await server.graphql(CHANGES_SINCE, { workspaceId: workspace }, { as: 'mallory' }),
        ),
      ).toBe('FORBIDDEN');
      expect(errorCode(await server.graphql(CONFLICTS, { w: workspace }, { as: 'mallory' }))).toBe(
        'FORBIDDEN',
      );
      expect(errorCode(await pushAs('mallory', workspace))).toBe('FORBIDDEN');
      expect(
        errorCode(
          await server.graphql(
            ADD_MEMBER,
            { w: workspace, u: 'mallory', r: 'ADMIN' },
            { as: 'mallory' },
          ),
        ),
      ).toBe('FORBIDDEN');
    }
    expect(errorCode(await server.graphql(READ_TASK, { id: taskId }, { as: 'mallory' }))).toBe(
      'FORBIDDEN',
    );
    const mine = expectNoErrors(
      await server.graphql<{ workspaces: unknown[] }>(
        '{ workspaces { id } }',
        {},
        { as: 'mallory' },
      ),
    );
    expect(mine.workspaces).toEqual([]);
  });

  it('changes roles, keeps one ADMIN, and removal ends access', async () => {
    await addMember(server, 'admin', workspaceId, 'temp', 'EDITOR');
    expectNoErrors(await pushAs('temp'));
    expect(
      errorCode(
        await server.graphql(
          ADD_MEMBER,
          { w: workspaceId, u: 'admin', r: 'EDITOR' },
          { as: 'admin' },
        ),
      ),
    ).toBe('BAD_USER_INPUT');
    expect(
      errorCode(
        await server.graphql(REMOVE_MEMBER, { w: workspaceId, u: 'admin' }, { as: 'admin' }),
      ),
    ).toBe('BAD_USER_INPUT');
    await addMember(server, 'admin', workspaceId, 'temp', 'VIEWER');
    expect(errorCode(await pushAs('temp'))).toBe('FORBIDDEN');
    expect(
      expectNoErrors(
        await server.graphql<{ removeMember: boolean }>(
          REMOVE_MEMBER,
          { w: workspaceId, u: 'temp' },
          { as: 'admin' },
        ),
      ).removeMember,
    ).toBe(true);
    expect(errorCode(await server.graphql(CHANGES_SINCE, { workspaceId }, { as: 'temp' }))).toBe(
      'FORBIDDEN',
    );
  });
});

describe.each(testDatabaseKinds())('authentication and HTTP edge on %s', (kind) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(kind);
  });
  afterAll(() => server?.stop());

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  it('answers me with the token subject, and null without a token', async () => {
    expect(
      expectNoErrors(await server.graphql<{ me: string }>('{ me }', {}, { as: 'alice' })).me,
    ).toBe('alice');
    expect(
      expectNoErrors(await server.graphql<{ me: null }>('{ me }', {}, { token: null })).me,
    ).toBeNull();
    expect(errorCode(await server.graphql('{ workspaces { id } }', {}, { token: null }))).toBe(
      'UNAUTHENTICATED',
    );
  });

  it('refuses bad tokens with UNAUTHENTICATED and 401', async () => {
    const wrongSecret = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('x'.repeat(40)));
    const expired = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(1_000)
      .setExpirationTime(2_000)
      .sign(new TextEncoder().encode('y'.repeat(40)));
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"alice"}').toString('base64url')}.`;
    for (const token of ['not-a-jwt', wrongSecret, expired, unsigned]) {
      const response = await server.graphql('{ me }', {}, { token });
      expect(response.status, token).toBe(401);
      expect(errorCode(response)).toBe('UNAUTHENTICATED');
    }
    const badScheme = await post('{"query":"{ me }"}', { authorization: 'Basic YWxpY2U6cHc=' });
    expect(badScheme.status).toBe(401);
  });

  it('answers malformed bodies with 4xx and a clear error', async () => {
    const token = await server.token('alice');
    const auth = { authorization: `Bearer ${token}` };
    const cases: [string, Record<string, string>][] = [
      ['{not json', auth],
      ['{"variables":{}}', auth],
      ['{"query":"{ me "}', auth],
      ['{"query":"{ nope }"}', auth],
      ['{"query":42}', auth],
      ['[]', auth],
    ];
    for (const [body, headers] of cases) {
      const response = await post(body, headers);
      expect(response.status, body).toBeGreaterThanOrEqual(400);
      expect(response.status, body).toBeLessThan(500);
      const payload = (await response.json()) as {
        errors?: { message: string; extensions?: Record<string, unknown> }[];
      };
      expect(payload.errors?.[0]?.message, body).toEqual(expect.any(String));
      expect(payload.errors?.[0]?.extensions?.code, body).toBe('BAD_USER_INPUT');
      expect(JSON.stringify(payload), body).not.toContain('originalError');
    }
    const mutationOverGet = await fetch(
      `${server.url}/graphql?query=${encodeURIComponent('mutation { createWorkspace(name: "x") { id } }')}`,
      { headers: auth },
    );
    expect(mutationOverGet.status).toBe(405);
    const wrongVariables = await server.graphql(
      CHANGES_SINCE,
      { workspaceId: 42, limit: 'ten' },
      { as: 'alice' },
    );
    expect(wrongVariables.errors?.length).toBeGreaterThan(0);
    expect(wrongVariables.status).toBeLessThan(500);
  });

  it('serves /health, /ready and /metrics', async () => {
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${server.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
    await server.graphql('{ me }', {}, { as: 'alice' });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/converge_http_requests_total\{[^}]*route="\/graphql"[^}]*\} \d+/);
    expect(metrics).toContain('converge_http_request_duration_seconds');
  });

  it('masks unexpected errors as INTERNAL_SERVER_ERROR without internals, and /ready turns 503', async () => {
    const workspaceId = await createWorkspace(server, 'alice');
    await server.app.database.close();
    const response = await server.graphql(CHANGES_SINCE, { workspaceId }, { as: 'alice' });
    expect(errorCode(response)).toBe('INTERNAL_SERVER_ERROR');
    const text = JSON.stringify(response);
    expect(text).not.toMatch(/prisma|SELECT|postgres|pglite|stack|at .*\.ts/i);
    expect((await fetch(`${server.url}/ready`)).status).toBe(503);
  });
});
