import { setMaxListeners } from 'node:events';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub, type PubSub, type Repeater } from '@graphql-yoga/subscription';
import { Redis } from 'ioredis';
import type { Conflict, Role } from './db/generated/prisma/client.ts';
import type { Logger } from './observability/logger.ts';
import type { CommittedChange, EntityType, SyncEntity } from './sync/types.ts';

/** One applied change, as `entityChanged` delivers it (docs/protocol.md, entityChanged). */
export interface EntityChangedEvent {
  workspaceId: string;
  seq: number;
  entityType: EntityType;
  op: 'CREATE' | 'UPDATE' | 'DELETE';
  changedFields: string[];
  actorId: string | null;
  clientId: string | null;
  entity: SyncEntity;
}

export interface MembershipChangedEvent {
  userId: string;
  /** The new role, or null when the user was removed. */
  role: Role | null;
}

/** The typed event map: every topic is keyed by workspace id. */
export type SyncEvents = {
  entityChanged: [workspaceId: string, event: EntityChangedEvent];
  conflictChanged: [workspaceId: string, conflict: Conflict];
  membershipChanged: [workspaceId: string, event: MembershipChangedEvent];
};

export interface SyncPubSub {
  publish: PubSub<SyncEvents>['publish'];
  subscribe: PubSub<SyncEvents>['subscribe'];
  /**
   * Signals, on this instance only, that events may have been lost (Redis reconnected).
   * Live streams then re-read the change log from their last delivered sequence.
   */
  resyncSignals(): Repeater<null>;
  close(): Promise<void>;
}

export interface PubSubOptions {
  redisUrl?: string | undefined;
  logger: Logger;
}

/**
 * In-process pub/sub by default; with REDIS_URL, a Redis event target so that an event
 * committed on one instance reaches subscribers on all of them (docs/operations.md, Several
 * instances, PostgreSQL and Redis).
 * Redis is an accelerator, not the source of truth: a lost event is recovered from the
 * change log by sequence, so a Redis outage never fails a push.
 */
export function createSyncPubSub(options: PubSubOptions): SyncPubSub {
  const local = createPubSub<{ resync: [] }>({ eventTarget: unboundedEventTarget() });
  if (!options.redisUrl) {
    const pubsub = createPubSub<SyncEvents>({ eventTarget: unboundedEventTarget() });
    return {
      publish: pubsub.publish,
      subscribe: pubsub.subscribe,
      resyncSignals: () => local.subscribe('resync'),
      close: async () => {},
    };
  }
  return createRedisPubSub(options.redisUrl, options.logger, local);
}

function createRedisPubSub(
  redisUrl: string,
  logger: Logger,
  local: PubSub<{ resync: [] }>,
): SyncPubSub {
  // Publishing must never queue or block a push while Redis is away: fail fast and log.
  const publisher = new Redis(redisUrl, { enableOfflineQueue: false, lazyConnect: false });
  // Subscriptions wait for the connection however long it takes; ioredis re-subscribes on reconnect.
  const subscriber = new Redis(redisUrl, { maxRetriesPerRequest: null });
  watchConnection(publisher, 'publisher', logger);
  watchConnection(subscriber, 'subscriber', logger, () => local.publish('resync'));

  const pubsub = createPubSub<SyncEvents>({
    eventTarget: createRedisEventTarget({
      publishClient: failSoftPublisher(publisher, logger),
      subscribeClient: failSoftSubscriber(subscriber, logger),
    }),
  });
  return {
    publish: pubsub.publish,
    subscribe: pubsub.subscribe,
    resyncSignals: () => local.subscribe('resync'),
    close: async () => {
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}

/**
 * Every subscription adds a listener; Node warns past ten per EventTarget, which is a normal
 * day for a sync server, not a leak.
 */
function unboundedEventTarget<T>(): T {
  const target = new EventTarget();
  // Only Node's own EventTarget has a listener limit; a DOM shim (tests under happy-dom) has
  // none and refuses the call.
  try {
    setMaxListeners(0, target);
  } catch {}
  return target as T;
}

/**
 * The Redis event target fires publish/subscribe/unsubscribe without handling their
 * promises; a command failing while Redis is away (or at shutdown) would be an unhandled
 * rejection, which ends a Node process. These wrappers log instead: lost notifications are
 * recovered from the change log.
 */
function failSoftPublisher(client: Redis, logger: Logger): Redis {
  return {
    publish: (channel: string, message: string) =>
      client.publish(channel, message).catch((err: unknown) => {
        logger.warn(
          { err, channel },
          'Redis publish failed; subscribers recover from the change log',
        );
        return 0;
      }),
  } as unknown as Redis;
}

function failSoftSubscriber(client: Redis, logger: Logger): Redis {
  const logFailure = (action: string) => (err: unknown) => {
    logger.warn({ err, action }, 'Redis subscription command failed');
  };
  const wrapper = {
    on: (event: string, listener: (...args: unknown[]) => void) => {
      client.on(event, listener);
      return wrapper;
    },
    subscribe: (...channels: string[]) =>
      client.subscribe(...channels).catch(logFailure('subscribe')),
    unsubscribe: (...channels: string[]) =>
      client.unsubscribe(...channels).catch(logFailure('unsubscribe')),
  };
  return wrapper as unknown as Redis;
}

function watchConnection(
  client: Redis,
  role: string,
  logger: Logger,
  onReconnected?: () => void,
): void {
  let wasLost = false;
  client.on('error', (err: Error) => logger.warn({ err, role }, 'Redis connection error'));
  client.on('close', () => {
    if (!wasLost) logger.warn({ role }, 'Redis connection lost; reconnecting');
    wasLost = true;
  });
  client.on('ready', () => {
    if (!wasLost) return;
    wasLost = false;
    logger.info({ role }, 'Redis connection restored');
    onReconnected?.();
  });
}

/** The event of a committed change; per-field metadata stays on the server. */
export function entityChangedEvent(change: CommittedChange): EntityChangedEvent {
  const { fieldMeta: _fieldMeta, ...entity } = change.entity;
  return { ...change, entity: entity as SyncEntity };
}

/** Publishes what a committed transaction changed. Call only after the commit. */
export function publishCommitted(
  pubsub: SyncPubSub,
  committed: readonly CommittedChange[],
  conflicts: readonly Conflict[],
): void {
  for (const change of committed) {
    pubsub.publish('entityChanged', change.workspaceId, entityChangedEvent(change));
  }
  for (const conflict of conflicts)
    pubsub.publish('conflictChanged', conflict.workspaceId, conflict);
}
