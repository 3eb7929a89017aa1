import type { SyncEvents, SyncPubSub } from './pubsub.ts';

type Topic = keyof SyncEvents;
type Listener<Payload> = (payload: Payload) => void;

interface SharedSubscription {
  listeners: Set<Listener<never>>;
  end: () => void;
}

const subscriptionsOf = new WeakMap<SyncPubSub, Map<string, SharedSubscription>>();

/**
 * Listens to a workspace's topic through one pub/sub subscription per topic and workspace on
 * this instance, however many streams listen: each stream adds a function to a set, where a
 * subscription of its own would cost it a Repeater and an event-target listener (memory per
 * idle subscriber) and a chain of promises per event. Returns the function that stops
 * listening; the shared subscription ends with its last listener.
 */
export function listen<T extends Topic>(
  pubsub: SyncPubSub,
  topic: T,
  workspaceId: string,
  listener: Listener<SyncEvents[T][1]>,
): () => void {
  // The typed pub/sub cannot check a topic chosen by a type parameter.
  const subscribe = pubsub.subscribe as (topic: T, id: string) => AsyncIterableIterator<never>;
  return share(pubsub, `${topic}:${workspaceId}`, () => subscribe(topic, workspaceId), listener);
}

/** Listens to this instance's resync signals (events may have been lost), shared the same way. */
export function listenToResyncs(pubsub: SyncPubSub, listener: () => void): () => void {
  return share(pubsub, 'resync', () => pubsub.resyncSignals(), listener);
}

function share<Payload>(
  pubsub: SyncPubSub,
  key: string,
  subscribe: () => AsyncIterableIterator<Payload>,
  listener: Listener<Payload>,
): () => void {
  let subscriptions = subscriptionsOf.get(pubsub);
  if (!subscriptions) {
    subscriptions = new Map();
    subscriptionsOf.set(pubsub, subscriptions);
  }
  const shared = subscriptions.get(key) ?? start(subscriptions, key, subscribe());
  shared.listeners.add(listener as Listener<never>);
  return () => {
    if (!shared.listeners.delete(listener as Listener<never>)) return;
    if (shared.listeners.size > 0) return;
    subscriptions.delete(key);
    shared.end();
  };
}

function start<Payload>(
  subscriptions: Map<string, SharedSubscription>,
  key: string,
  source: AsyncIterableIterator<Payload>,
): SharedSubscription {
  const listeners = new Set<Listener<Payload>>();
  const shared: SharedSubscription = {
    listeners: listeners as Set<Listener<never>>,
    end: () => void source.return?.(),
  };
  subscriptions.set(key, shared);
  // The first next() runs synchronously: the pub/sub listener is in place when this returns.
  void (async () => {
    for await (const payload of source) {
      for (const listener of listeners) listener(payload);
    }
  })().catch(() => {
    // The pub/sub wrappers fail soft and stream listeners only queue, so this is not expected;
    // a rejection left unhandled would end the process. Later listeners start a fresh
    // subscription; streams already listening hear nothing more of this topic until their
    // clients reconnect (and resume from their cursor).
    if (subscriptions.get(key) === shared) subscriptions.delete(key);
  });
  return shared;
}
