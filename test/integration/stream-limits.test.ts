import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { signToken } from '../../server/auth/jwt.ts';
import { testDatabaseKinds } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import {
  CONFLICT_CHANGED,
  ENTITY_CHANGED,
  type Received,
  type SubscriptionResult,
  subscribeSse,
  subscribeWs,
} from '../support/subscriptions.ts';
import { addMember, createWorkspace, newId, syncClient, workspaceCursor } from '../support/sync.ts';

const codesOf = (results: SubscriptionResult<unknown>[]) =>
  results.map((result) => result.errors?.[0]?.extensions?.code ?? 'data');

/** What a stream delivered first: 'data', or the code of its error. */
const firstOf = async (stream: Received<unknown>) => codesOf(await stream.waitFor(1))[0];

/** Opens a raw graphql-transport-ws socket, sends connection_init, resolves with its close. */
function closeOfSocket(url: string, token: string): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error('socket was not closed within 10 s'));
    }, 10_000);
    socket.on('open', () =>
      socket.send(
        JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }),
      ),
    );
    socket.on('error', () => {});
    socket.on('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: reason.toString() });
    });
  });
}

describe.each(testDatabaseKinds())('live connection limits on %s', (kind) => {
  const secret = randomBytes(32).toString('base64url');
  let server: TestServer;
  let workspaceId: string;
  const open: Received<unknown>[] = [];

  beforeAll(async () => {
    server = await startTestServer(kind, { MAX_CONNECTIONS_PER_USER: '3' }, { secret });
    workspaceId = await createWorkspace(server, 'alice');
    for (const userId of ['bob', 'busy', 'other']) {
      await addMember(server, 'alice', workspaceId, userId, 'VIEWER');
    }
  });
  afterAll(async () => {
    for (const subscription of open) subscription.stop();
    await server?.stop();
  });

  function track<T>(subscription: Received<T>): Received<T> {
    open.push(subscription as Received<unknown>);
    return subscription;
  }

  const cursorNow = () => workspaceCursor(server, 'alice', workspaceId);

  const pushTask = (title: string) =>
    syncClient(server, 'alice', workspaceId).pushOne({ task: { id: newId(), patch: { title } } });

  it('ends SSE subscriptions at the token expiry with UNAUTHENTICATED', async () => {
    const token = await signToken(secret, 'bob', { expiresIn: '3s' });
    const expiry = (decodeJwt(token).exp ?? 0) * 1000;
    const after = await cursorNow();
    const changes = track(subscribeSse(server.url, token, ENTITY_CHANGED, { workspaceId, after }));
    const conflicts = track(subscribeSse(server.url, token, CONFLICT_CHANGED, { workspaceId }));
    await pushTask('before expiry');
    expect(await firstOf(changes)).toBe('data');

    for (const stream of [changes, conflicts]) {
      const results = await stream.waitFor(stream.results.length + 1, 15_000);
      expect(codesOf(results).at(-1)).toBe('UNAUTHENTICATED');
      expect(results.at(-1)?.errors?.[0]?.message).toBe('Token expired');
      await stream.ended;
    }
    expect(Date.now()).toBeGreaterThanOrEqual(expiry);
    await pushTask('after expiry');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(codesOf(changes.results)).toEqual(['data', 'UNAUTHENTICATED']);
  });

  it('caps WebSockets and SSE subscriptions of one user together (MAX_CONNECTIONS_PER_USER)', async () => {
    const token = await server.token('busy');
    const after = await cursorNow();
    const variables = { workspaceId, after };
    const held = [
      track(subscribeWs(server.url, token, ENTITY_CHANGED, variables)),
      track(subscribeWs(server.url, token, ENTITY_CHANGED, variables)),
      track(subscribeSse(server.url, token, ENTITY_CHANGED, variables)),
    ];
    await pushTask('all three are live');
    for (const stream of held) expect(await firstOf(stream)).toBe('data');

    const overSse = track(subscribeSse(server.url, token, ENTITY_CHANGED, variables));
    const [refused] = await overSse.waitFor(1);
    expect(refused?.errors?.[0]?.extensions?.code).toBe('LIMIT_EXCEEDED');
    expect(refused?.errors?.[0]?.message).toMatch(/at most 3 .*MAX_CONNECTIONS_PER_USER/);
    await overSse.ended;
    expect(await closeOfSocket(server.url, token)).toEqual({
      code: 4429,
      reason: 'Too many connections',
    });

    // Per user: another user is not affected.
    const other = track(
      subscribeSse(server.url, await server.token('other'), ENTITY_CHANGED, variables),
    );
    await pushTask('other user');
    expect(await firstOf(other)).toBe('data');

    // A closed SSE stream gives its slot back.
    held[2]?.stop();
    await vi.waitFor(
      async () => {
        const again = track(subscribeSse(server.url, token, ENTITY_CHANGED, variables));
        await pushTask('slot given back');
        expect(await firstOf(again)).toBe('data');
      },
      { timeout: 10_000, interval: 200 },
    );
  });
});
