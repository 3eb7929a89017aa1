import { describe, expect, it } from 'vitest';
import { createLogger } from '../../server/observability/logger.ts';
import { createSyncPubSub, type SyncPubSub } from '../../server/pubsub.ts';
import { SignalQueue } from '../../server/sync/signal-queue.ts';
import { listen } from '../../server/topic-listeners.ts';

const resync = 'resync';

describe('signal queue', () => {
  it('hands signals to its reader in order, waiting when empty', async () => {
    const queue = new SignalQueue<string>(resync);
    queue.push('a');
    const waiting = queue.next();
    queue.push('b');
    expect(await waiting).toEqual({ done: false, value: 'a' });
    expect(await queue.next()).toEqual({ done: false, value: 'b' });
    const later = queue.next();
    queue.push('c');
    expect(await later).toEqual({ done: false, value: 'c' });
  });

  it('keeps one pending copy of a repeated signal with pushOnce', async () => {
    const queue = new SignalQueue<string>(resync);
    queue.pushOnce('recheck');
    queue.pushOnce('recheck');
    queue.push('a');
    expect(await queue.next()).toEqual({ done: false, value: 'recheck' });
    expect(await queue.next()).toEqual({ done: false, value: 'a' });
  });

  it('replaces a backlog past its limit, and the signal that overflowed it, by the overflow signal', async () => {
    const queue = new SignalQueue<string>(resync, 3);
    for (const item of ['a', 'b', 'c', 'd', 'e']) queue.push(item);
    expect(await queue.next()).toEqual({ done: false, value: resync });
    expect(await queue.next()).toEqual({ done: false, value: 'e' });
  });

  it('ends its reader and runs its clean-ups once, however it ends', async () => {
    const queue = new SignalQueue<string>(resync);
    let cleanups = 0;
    queue.onEnd(() => cleanups++);
    const waiting = queue.next();
    await queue.return();
    queue.end();
    queue.push('ignored');
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(await queue.next()).toEqual({ done: true, value: undefined });
    expect(cleanups).toBe(1);
    queue.onEnd(() => cleanups++);
    expect(cleanups).toBe(2);
  });
});

describe('shared topic listeners', () => {
  /** The in-process pub/sub, counting the subscriptions made on it. */
  function countingPubSub() {
    const pubsub = createSyncPubSub({ logger: createLogger({ level: 'silent' }) });
    const counts = { subscribed: 0, ended: 0 };
    const counting: SyncPubSub = {
      ...pubsub,
      subscribe: ((...args: Parameters<SyncPubSub['subscribe']>) => {
        counts.subscribed++;
        const source = pubsub.subscribe(...args);
        const end = source.return.bind(source);
        source.return = (value) => {
          counts.ended++;
          return end(value);
        };
        return source;
      }) as SyncPubSub['subscribe'],
    };
    return { pubsub: counting, counts };
  }

  const member = (userId: string) => ({ userId, role: null });

  it('subscribes once per topic and workspace and delivers to every listener', async () => {
    const { pubsub, counts } = countingPubSub();
    const first: string[] = [];
    const second: string[] = [];
    const other: string[] = [];
    const stopFirst = listen(pubsub, 'membershipChanged', 'ws-1', (e) => first.push(e.userId));
    const stopSecond = listen(pubsub, 'membershipChanged', 'ws-1', (e) => second.push(e.userId));
    const stopOther = listen(pubsub, 'membershipChanged', 'ws-2', (e) => other.push(e.userId));
    expect(counts.subscribed).toBe(2);

    pubsub.publish('membershipChanged', 'ws-1', member('u1'));
    await new Promise((resolve) => setImmediate(resolve));
    expect([first, second, other]).toEqual([['u1'], ['u1'], []]);

    stopFirst();
    stopFirst();
    expect(counts.ended).toBe(0);
    pubsub.publish('membershipChanged', 'ws-1', member('u2'));
    await new Promise((resolve) => setImmediate(resolve));
    expect([first, second]).toEqual([['u1'], ['u1', 'u2']]);

    stopSecond();
    expect(counts.ended).toBe(1);
    stopOther();
    expect(counts.ended).toBe(2);
    // A new listener after the last one left starts a new subscription.
    listen(pubsub, 'membershipChanged', 'ws-1', () => {})();
    expect(counts.subscribed).toBe(3);
  });
});
