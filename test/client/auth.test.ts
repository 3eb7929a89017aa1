import { describe, expect, it } from 'vitest';
import type { SyncEvents } from '../../client/index.ts';
import { startTestServer } from '../support/server.ts';
import { createWorkspace, syncClient } from '../support/sync.ts';
import { eventually, Network, openClient, serverFixture } from './helpers.ts';

describe('a refused token', () => {
  const fixture = serverFixture(() => startTestServer('pglite'));

  async function client(options: {
    token?: string;
    getToken: (() => Promise<string>) | undefined;
  }) {
    const workspaceId = await createWorkspace(fixture.server, 'ada');
    const network = new Network();
    const sync = await openClient({
      server: fixture.server,
      userId: 'ada',
      workspaceId,
      directory: await fixture.directory(),
      network,
      options: { ...options, live: false },
    });
    fixture.cleanup(() => sync.close());
    const auth: SyncEvents['auth'][] = [];
    sync.on('auth', (event) => auth.push(event));
    return { sync, network, auth, workspaceId };
  }

  it('is reported once, stops a static token from retrying, and setToken() resumes', async () => {
    const { sync, network, auth, workspaceId } = await client({
      token: 'expired-or-revoked',
      getToken: undefined,
    });
    const id = sync.tasks.create({ title: 'Made with a refused token' });
    await eventually(() => sync.status.tokenRefused, 'status.tokenRefused');
    expect(auth).toHaveLength(1);
    expect(auth[0]?.error.code).toBe('UNAUTHENTICATED');
    expect(sync.status).toMatchObject({ pending: 1, rejected: 0 });

    // Retries stop (the backoff here is 20 ms to 300 ms: a retrying client would send many).
    await new Promise((resolve) => setTimeout(resolve, 300));
    const requests = network.requests;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(network.requests).toBe(requests);

    sync.setToken(await fixture.server.token('ada'));
    await sync.flush();
    expect(sync.status).toMatchObject({ tokenRefused: false, pending: 0, rejected: 0 });
    const { entities } = await syncClient(fixture.server, 'ada', workspaceId).pullAll();
    expect(entities.map((entity) => entity.id)).toEqual([id]);
    expect(auth).toHaveLength(1);
  });

  it('asks getToken again, and a good token clears the refusal without setToken()', async () => {
    let calls = 0;
    const { sync, auth } = await client({
      getToken: async () => {
        calls += 1;
        return calls <= 3 ? 'expired-or-revoked' : fixture.server.token('ada');
      },
    });
    sync.tasks.create({ title: 'Made while the token renews' });
    await sync.flush();
    expect(calls).toBeGreaterThan(3);
    expect(auth).toHaveLength(1);
    expect(sync.status).toMatchObject({ tokenRefused: false, pending: 0, rejected: 0 });
  });
});
