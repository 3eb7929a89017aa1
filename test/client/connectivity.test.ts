import { describe, expect, it } from 'vitest';
import { browserConnectivity, type Connectivity } from '../../client/connectivity.ts';
import type { SyncClient } from '../../client/index.ts';
import { startTestServer } from '../support/server.ts';
import { createWorkspace, newId, syncClient } from '../support/sync.ts';
import { eventually, Network, openClient, serverFixture } from './helpers.ts';

/** A device whose network the test switches, as a browser's online/offline events would. */
class FakeConnectivity implements Connectivity {
  private state = true;
  private readonly listeners = new Set<(online: boolean) => void>();

  online(): boolean {
    return this.state;
  }

  subscribe(listener: (online: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(online: boolean): void {
    this.state = online;
    for (const listener of this.listeners) listener(online);
  }
}

// Backoff so long that nothing here can come from a retry timer: every reaction within the
// tests' bounded waits comes from the signal under test.
const slowRetry = { baseMs: 60_000, maxMs: 60_000 };

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms).unref(),
    ),
  ]);
}

describe('browserConnectivity', () => {
  it('is absent where there is no navigator.onLine (Node)', () => {
    expect(browserConnectivity()).toBeUndefined();
    expect(browserConnectivity({ navigator: {} })).toBeUndefined();
  });

  it("follows navigator.onLine and the window's online and offline events", () => {
    const target = new EventTarget();
    const navigator = { onLine: true };
    const globals = {
      navigator,
      addEventListener: target.addEventListener.bind(target),
      removeEventListener: target.removeEventListener.bind(target),
    };
    const connectivity = browserConnectivity(globals);
    if (!connectivity) throw new Error('expected a connectivity source');
    const seen: boolean[] = [];
    const stop = connectivity.subscribe((online) => seen.push(online));
    navigator.onLine = false;
    target.dispatchEvent(new Event('offline'));
    expect(connectivity.online()).toBe(false);
    navigator.onLine = true;
    target.dispatchEvent(new Event('online'));
    stop();
    target.dispatchEvent(new Event('offline'));
    expect(seen).toEqual([false, true]);
  });
});

describe('sync client and the network', () => {
  const fixture = serverFixture(() => startTestServer('pglite'));

  async function open(
    workspaceId: string,
    network: Network,
    connectivity: Connectivity | null,
  ): Promise<SyncClient> {
    const directory = await fixture.directory();
    const client = await openClient({
      server: fixture.server,
      userId: 'ada',
      workspaceId,
      directory,
      network,
      options: { connectivity, retry: slowRetry },
    });
    fixture.cleanup(() => client.close());
    await eventually(() => client.status.online, 'the first catch-up');
    return client;
  }

  const liveSubscriptions = () => fixture.server.app.websocket()?.stats().subscriptions ?? 0;

  it('shows offline the moment the device says so, and syncs the moment it is back', async () => {
    const workspaceId = await createWorkspace(fixture.server, 'ada');
    const network = new Network();
    const device = new FakeConnectivity();
    const ada = await open(workspaceId, network, device);
    await eventually(() => liveSubscriptions() >= 2, 'live subscriptions');

    network.goOffline();
    device.set(false);
    // No request had to fail first.
    expect(ada.status.online).toBe(false);
    const id = ada.tasks.create({ title: 'Made on the train' });
    expect(ada.status.pending).toBe(1);

    network.goOnline();
    device.set(true);
    // The failed push and the dropped socket wait out no backoff (30 s or more here).
    await within(ada.flush(), 10_000, 'the outbox to reach the server');
    expect(ada.status).toMatchObject({ online: true, pending: 0 });
    const state = await syncClient(fixture.server, 'ada', workspaceId).pullAll();
    expect(state.entities.map((entity) => entity.id)).toEqual([id]);

    // The live stream is back too: a change made elsewhere arrives without a pull.
    await eventually(() => liveSubscriptions() >= 2, 'the live stream to reconnect');
    const elsewhere = newId();
    await syncClient(fixture.server, 'ada', workspaceId).pushOne({
      task: { id: elsewhere, patch: { title: 'Made elsewhere' } },
    });
    await eventually(
      () => ada.tasks.get(elsewhere)?.title === 'Made elsewhere',
      'the live change to arrive',
    );
  });

  it('notices a lost connection without a request of its own', async () => {
    const workspaceId = await createWorkspace(fixture.server, 'ada');
    const network = new Network();
    const ada = await open(workspaceId, network, null);
    await eventually(() => liveSubscriptions() >= 2, 'live subscriptions');

    // The server becomes unreachable; the app sends nothing, the socket drops.
    network.goOffline();
    await eventually(() => !ada.status.online, 'the client to notice it is offline');
  });
});
