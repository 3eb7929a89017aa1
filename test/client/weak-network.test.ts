import { describe, expect, it } from 'vitest';
import type { SyncClient } from '../../client/index.ts';
import { testDatabaseKinds } from '../support/database.ts';
import { type FaultMode, startFaultyProxy } from '../support/faulty-proxy.ts';
import { seededRandom } from '../support/random.ts';
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

  it('applies every create, counter delta and set add once through seeded faults and a restart', async () => {
    // The faults each new connection gets come from this seed; timing still varies run to
    // run. A failure prints the seed: WEAK_NETWORK_SEED=<seed> replays its faults.
    const seed = Number(process.env.WEAK_NETWORK_SEED ?? 16_016);
    const random = seededRandom(seed);
    const proxy = await startFaultyProxy(portOf(fixture.server));
    fixture.cleanup(() => proxy.close());
    const workspaceId = await createWorkspace(fixture.server, 'ada');
    const clients = [
      await proxiedClient(workspaceId, proxy.url),
      await proxiedClient(workspaceId, proxy.url),
      await proxiedClient(workspaceId, proxy.url),
    ];
    const sharedId = clients[0]?.tasks.create({ title: 'Shared', timeSpentMinutes: 0 }) ?? '';
    await clients[0]?.flush();
    await Promise.all(clients.map((client) => client.pull()));

    proxy.policy = () => weakNetworkFault(random);
    const expected = new Map<string, { minutes: number; tags: Set<string> }>();
    const expect_ = (id: string) => {
      const entry = expected.get(id) ?? { minutes: 0, tags: new Set<string>() };
      expected.set(id, entry);
      return entry;
    };
    const rounds = 6;
    for (let round = 0; round < rounds; round++) {
      for (const [index, client] of clients.entries()) {
        const id = client.tasks.create({ title: `c${index} r${round}`, timeSpentMinutes: 0 });
        client.tasks.update(id, { timeSpentDelta: round + 1 });
        client.tasks.update(id, { tagsAdd: [`client-${index}`] });
        expect_(id).minutes += round + 1;
        expect_(id).tags.add(`client-${index}`);
        client.tasks.update(sharedId, { timeSpentDelta: 1, tagsAdd: [`r${round}-c${index}`] });
        expect_(sharedId).minutes += 1;
        expect_(sharedId).tags.add(`r${round}-c${index}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      if (round === rounds / 2) await fixture.server.restart();
      // Clients keep their connections alive: without this, few would ever meet a fault.
      if (random() < 0.5) proxy.silenceOpenConnections();
      else proxy.resetOpenConnections();
    }

    proxy.policy = () => ({ kind: 'pass' });
    const context = `seed ${seed}, faults ${JSON.stringify(proxy.counts)}`;
    await withDeadline(
      Promise.all(clients.map((client) => client.flush())),
      30_000,
      `flush() of every client (${context})`,
    );
    for (const client of clients) expect(client.status, context).toMatchObject({ rejected: 0 });

    const { entities } = await syncClient(fixture.server, 'ada', workspaceId).pullAll();
    const byId = new Map(entities.map((entity) => [entity.id, entity]));
    for (const [id, { minutes, tags }] of expected) {
      const task = byId.get(id);
      expect(task, `${id} (${context})`).toMatchObject({ timeSpentMinutes: minutes });
      expect(new Set(task?.tags as string[]), `${id} (${context})`).toEqual(tags);
    }
    expect(entities.length, context).toBe(expected.size);
  }, 90_000);
});

/** Half the connections pass; the rest are slow, reset, cut after commit or black-holed. */
function weakNetworkFault(random: () => number): FaultMode {
  const roll = random();
  if (roll < 0.5) return { kind: 'pass' };
  if (roll < 0.65) return { kind: 'delay', delayMs: 20 + Math.floor(random() * 200) };
  if (roll < 0.75) return { kind: 'reset' };
  if (roll < 0.9) return { kind: 'cut' };
  return { kind: 'blackhole' };
}

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
