import type { Repeater } from '@graphql-yoga/subscription';
import type { SyncEvents, SyncPubSub } from '../pubsub.ts';
import { type Metrics, type SubscriptionKind, trackSubscription } from './metrics.ts';

export interface PubSubMetricsOptions {
  /**
   * Count entityChanged and conflictChanged subscriptions as live streams (each stream
   * subscribes to its topic exactly once). Turn off when the streams call
   * trackSubscription() themselves. Default true.
   */
  countSubscriptions?: boolean;
  /** Wall clock in epoch ms: events cross processes, so a monotonic clock would not do. */
  now?: () => number;
}

/** The publish time an instrumented pub/sub adds to every event object it publishes. */
export interface PublishStamp {
  publishedAt?: number;
}

type Topic = keyof SyncEvents;

const streamKinds: Partial<Record<Topic, SubscriptionKind>> = {
  entityChanged: 'entityChanged',
  conflictChanged: 'conflictChanged',
};

/**
 * Wraps the sync pub/sub to measure delivery: publish stamps each event with `publishedAt`
 * (it travels through Redis with the event), and every subscriber observes the time from
 * then until its stream takes the event, as `pubsub_delivery_lag_seconds{topic}`. It also
 * keeps the subscriptions gauge, so no subscription resolver needs to know about metrics.
 */
export function instrumentPubSub(
  pubsub: SyncPubSub,
  metrics: Metrics,
  options: PubSubMetricsOptions = {},
): SyncPubSub {
  const countSubscriptions = options.countSubscriptions ?? true;
  const now = options.now ?? Date.now;

  const publish = (topic: Topic, workspaceId: string, payload: unknown) => {
    (pubsub.publish as (topic: Topic, id: string, payload: unknown) => void)(
      topic,
      workspaceId,
      stamped(payload, now()),
    );
  };

  const subscribe = (topic: Topic, workspaceId: string) => {
    const source = (pubsub.subscribe as (topic: Topic, id: string) => Repeater<unknown>)(
      topic,
      workspaceId,
    );
    const kind = countSubscriptions ? streamKinds[topic] : undefined;
    const track = () => (kind ? trackSubscription(metrics, kind) : () => {});
    const lag = metrics.sync.pubsubLag.labels({ topic });
    return observed(source, track, (event) => {
      const publishedAt = (event as PublishStamp | null)?.publishedAt;
      if (typeof publishedAt === 'number') lag.observe(Math.max(0, now() - publishedAt) / 1000);
    });
  };

  return {
    ...pubsub,
    publish: publish as SyncPubSub['publish'],
    subscribe: subscribe as SyncPubSub['subscribe'],
  };
}

// Events are shared by every subscriber (and by the publisher's caller): stamp a copy.
function stamped(payload: unknown, publishedAt: number): unknown {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return payload;
  if (typeof (payload as PublishStamp).publishedAt === 'number') return payload;
  return { ...payload, publishedAt };
}

/**
 * Passes `source` through, calling `observe` on each item as the stream takes it. `track`
 * runs when the stream is first read and the release it returns when the stream ends,
 * however it ends. A delegating iterator rather than another Repeater: with a thousand
 * subscribers every event crosses it a thousand times, and a Repeater layer costs several
 * promises per item where this costs one.
 */
function observed<T>(
  source: Repeater<T>,
  track: () => () => void,
  observe: (item: T) => void,
): Repeater<T> {
  let release: (() => void) | null = null;
  let ended = false;
  const end = () => {
    ended = true;
    release?.();
  };
  const iterator: AsyncIterableIterator<T> = {
    next() {
      if (!release && !ended) release = track();
      return source.next().then((result) => {
        if (result.done) end();
        else observe(result.value);
        return result;
      });
    },
    return(value?: unknown) {
      end();
      return source.return(value as T);
    },
    throw(error?: unknown) {
      end();
      return source.throw(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  // Callers use the async-iterator protocol only (for await, return): see subscriptions.ts.
  return iterator as unknown as Repeater<T>;
}
