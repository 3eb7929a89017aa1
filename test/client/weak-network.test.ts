import { describe, expect, it } from 'vitest';
import type { SyncClient } from '../../client/index.ts';
import { testDatabaseKinds } from '../support/database.ts';
import { startFaultyProxy } from '../support/faulty-proxy.ts';
import { createWorkspace, syncClient } from '../support/sync.ts';
import {
  eventually,
  openClient,
  type RestartableServer,
  serverFixture,
  startRestartableServer,
} from './helpers.ts';

/** Short deadlines, so that a silent connection costs the test a second, not minutes. */
const weakNetworkOptions = {
  requestTimeoutMs: 800,
  keepAliveMs: 400,
  retry: { baseMs: 50, maxMs: 500 },
};

describe.each(testDatabaseKinds())('client on a weak network (%s)', (kind) => {
  const fixture = serverFixture(() => startRestartableServer(kind));

  async function proxiedClient(workspaceId: string, proxyUrl: string): Promise<SyncClient> {
    const client = await openClient({
      server: { ...fixture.server, url: proxyUrl },
      userId: 'ada',
      workspaceId,
      directory: await fixture.directory(),
      options: weakNetworkOptions,
    });
    fixture.cleanup(() => client.close());
    return client;
  }

  it('gives up on connections that take requests and never answer, then resumes live updates', async () => {
    const proxy = await startFaultyProxy(portOf(fixture.server));
    fixture.cleanup(() => proxy.close());
    const workspaceId = await createWorkspace(fixture.server, 'ada');
    const ada = await proxiedClient(workspaceId, proxy.url);
    const taskId = ada.tasks.create({ title: 'Stocktake', timeSpentMinutes: 0 });
    await ada.flush();
    await eventually(() => ada.status.online, 'the client to be online');

    // Every connection open now (keep-alive HTTP, the WebSocket) goes silent and stays open,
    // and new ones swallow their answers: the server gets the push, the client hears nothing.
    proxy.silenceOpenConnections();
    proxy.policy = () => ({ kind: 'swallow' });
    ada.tasks.update(taskId, { timeSpentDelta: 5 });
    await eventually(() => !ada.status.online, 'status.online to turn false', 10_000);
    expect(ada.status.pending).toBe(1);

    // The network heals; the silent connections stay as they were.
    proxy.policy = () => ({ kind: 'pass' });
    await withDeadline(ada.flush(), 15_000, 'flush() after the network healed');
    expect(ada.status).toMatchObject({ online: true, pending: 0, rejected: 0 });

    // Live updates resume: an edit made elsewhere shows without a pull.
    const bob = syncClient(fixture.server, 'ada', workspaceId);
    const state = await bob.pullAll();
    const task = state.entities.find((entity) => entity.id === taskId);
    // Pushed once or more, applied once: 5 minutes, version 2.
    expect(task).toMatchObject({ timeSpentMinutes: 5, version: 2 });
    await bob.pushOne({ task: { id: taskId, baseVersion: 2, patch: { title: 'Recounted' } } });
    await eventually(
      () => ada.tasks.get(taskId)?.title === 'Recounted',
      'the live update to reach the client',
      15_000,
    );
  }, 60_000);
});

function portOf(server: RestartableServer): number {
  return Number(new URL(server.url).port);
}

async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
