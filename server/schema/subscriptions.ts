import type { Conflict } from '../db/generated/prisma/client.ts';
import { forbidden } from '../errors.ts';
import { type SubscriptionKind, trackSubscription } from '../observability/metrics.ts';
import type { EntityChangedEvent } from '../pubsub.ts';
import { decodeCursor, encodeCursor } from '../sync/cursor.ts';
import { SignalQueue } from '../sync/signal-queue.ts';
import { entityChangeStream, type LiveSignal } from '../sync/stream.ts';
import type { Actor, EntityType } from '../sync/types.ts';
import { requireAccess } from '../sync/workspaces.ts';
import { listen, listenToResyncs } from '../topic-listeners.ts';
import type { Builder } from './builder.ts';
import type { ConflictObjectRef } from './conflict.ts';
import { type Context, requireUser } from './context.ts';
import type { EntityObjects } from './entity-objects.ts';
import type { Enums } from './enums.ts';

type AccessSignal = { kind: 'resync' } | { kind: 'revoked' } | { kind: 'recheck' };

// Shared by every stream: a signal without data need not be allocated per stream.
const resync = { kind: 'resync' } as const;
const revoked = { kind: 'revoked' } as const;
const recheck = { kind: 'recheck' } as const;

/**
 * A distributed event target subscribes asynchronously (a Redis SUBSCRIBE round trip), so an
 * event published in that window could be missed by a quiet workspace: one extra read of the
 * change log shortly after the start closes the window.
 */
const SETTLE_RESYNC_MS = 1_000;

/**
 * The signals that keep a stream's access current, queued with its events: resyncs (events,
 * a removal notice among them, may have been lost), removal notices of its user, and a
 * recheck every MEMBERSHIP_RECHECK_SECONDS (removal notices travel through pub/sub, which may
 * lose them, so a stream also asks the database, bounding how long a removed member can keep
 * listening). The stream counts as live (subscriptions gauge) until the queue ends.
 */
function liveQueue<S extends { kind: string }>(
  context: Context,
  workspaceId: string,
  userId: string,
  kind: SubscriptionKind,
): SignalQueue<S | AccessSignal> {
  const { pubsub, config, metrics } = context.services;
  const queue = new SignalQueue<S | AccessSignal>(resync);
  queue.onEnd(trackSubscription(metrics, kind));
  queue.onEnd(listenToResyncs(pubsub, () => queue.push(resync)));
  queue.onEnd(
    listen(pubsub, 'membershipChanged', workspaceId, (change) => {
      if (change.userId === userId && change.role === null) queue.push(revoked);
    }),
  );
  const rechecks = setInterval(
    () => queue.pushOnce(recheck),
    config.membershipRecheckSeconds * 1_000,
  );
  queue.onEnd(() => clearInterval(rechecks));
  return queue;
}

/** Throws FORBIDDEN once the user is no longer a member of the workspace. */
function accessCheck(context: Context, actor: Actor, workspaceId: string) {
  return async () => {
    await requireAccess(context.services.prisma, actor, workspaceId, 'subscribe');
  };
}

function entitySignals(context: Context, workspaceId: string, userId: string) {
  const queue = liveQueue<LiveSignal>(context, workspaceId, userId, 'entityChanged');
  queue.onEnd(
    listen(context.services.pubsub, 'entityChanged', workspaceId, (event) =>
      queue.push({ kind: 'change', event }),
    ),
  );
  const settle = setTimeout(() => queue.push(resync), SETTLE_RESYNC_MS);
  queue.onEnd(() => clearTimeout(settle));
  return queue;
}

interface EntityChangedArgs {
  workspaceId: string;
  /** Values of EntityTypeEnum, which lists exactly the model's entity types. */
  types?: readonly string[] | null | undefined;
  after?: string | null | undefined;
}

/** Checks run before the stream starts, so a refusal is an error of the subscribe request. */
async function entityChanges(context: Context, args: EntityChangedArgs) {
  const actor = requireUser(context);
  const after = args.after ? decodeCursor(args.after) : null;
  const recheckAccess = accessCheck(context, actor, args.workspaceId);
  await recheckAccess();
  return streamEntityChanges(context, args, actor.userId, after, recheckAccess);
}

/**
 * The stream as the executor sees it. Ending the subscription ends the queue, which wakes a
 * generator waiting for its next signal (an async generator only sees `return()` at its next
 * `yield`, which in a quiet workspace could be never); however the stream ends, by `return()`,
 * an error (FORBIDDEN) or its end, the queue ends with it and stops listening.
 */
function endable<T>(stream: AsyncGenerator<T>, queue: { end(): void }): AsyncIterableIterator<T> {
  const endable: AsyncIterableIterator<T> = {
    next: () =>
      stream.next().then(
        (step) => {
          if (step.done) queue.end();
          return step;
        },
        (error: unknown) => {
          queue.end();
          throw error;
        },
      ),
    return: () => {
      queue.end();
      stream.return(undefined).catch(() => {});
      return Promise.resolve({ done: true, value: undefined });
    },
    [Symbol.asyncIterator]: () => endable,
  };
  return endable;
}

function streamEntityChanges(
  context: Context,
  args: EntityChangedArgs,
  userId: string,
  after: number | null,
  recheckAccess: () => Promise<void>,
): AsyncIterableIterator<EntityChangedEvent> {
  const live = entitySignals(context, args.workspaceId, userId);
  const stream = entityChangeStream(
    context.services.prisma,
    {
      workspaceId: args.workspaceId,
      after,
      types: (args.types ?? null) as readonly EntityType[] | null,
      recheckAccess,
    },
    live,
  );
  return endable(stream, live);
}

type ConflictSignal = { kind: 'conflict'; conflict: Conflict } | AccessSignal;

async function conflictChanges(context: Context, workspaceId: string) {
  const actor = requireUser(context);
  const recheckAccess = accessCheck(context, actor, workspaceId);
  await recheckAccess();
  const live = liveQueue<ConflictSignal>(context, workspaceId, actor.userId, 'conflictChanged');
  live.onEnd(
    listen(context.services.pubsub, 'conflictChanged', workspaceId, (conflict) =>
      live.push({ kind: 'conflict', conflict }),
    ),
  );
  return endable(whileMember(live, recheckAccess), live);
}

/**
 * conflictChanged has no replay, so a resync only re-reads the membership: the removal
 * notice may have been among the events lost.
 */
async function* whileMember(
  live: AsyncIterable<ConflictSignal>,
  recheckAccess: () => Promise<void>,
): AsyncGenerator<Conflict> {
  for await (const signal of live) {
    if (signal.kind === 'conflict') yield signal.conflict;
    else if (signal.kind === 'revoked') {
      throw forbidden('You are no longer a member of this workspace');
    } else await recheckAccess();
  }
}

/** `entityChanged` and `conflictChanged`, and the EntityChange event type. */
export function registerSubscriptions(
  builder: Builder,
  { EntityTypeEnum }: Enums,
  { SyncEntityUnion }: EntityObjects,
  ConflictObject: ConflictObjectRef,
): void {
  const EntityChangeObject = builder.objectRef<EntityChangedEvent>('EntityChange').implement({
    description: 'One applied change of a workspace.',
    fields: (t) => ({
      cursor: t.field({
        type: 'Cursor',
        description: 'Resume with entityChanged(after:) or changesSince(cursor:) from here.',
        resolve: (event) => encodeCursor(event.seq),
      }),
      entity: t.field({ type: SyncEntityUnion, resolve: (event) => event.entity }),
      op: t.exposeString('op', { description: 'CREATE, UPDATE or DELETE.' }),
      changedFields: t.exposeStringList('changedFields'),
      actorId: t.exposeID('actorId', { nullable: true }),
      clientId: t.exposeID('clientId', { nullable: true }),
    }),
  });

  builder.subscriptionType({
    fields: (t) => ({
      entityChanged: t.field({
        type: EntityChangeObject,
        description:
          'One event per applied change, after its commit. With `after`, replays every change after that cursor first, then continues live: no gap, no duplicate.',
        args: {
          workspaceId: t.arg.id({ required: true }),
          types: t.arg({ type: [EntityTypeEnum] }),
          after: t.arg({ type: 'Cursor' }),
        },
        subscribe: (_root, args, context) => entityChanges(context, args),
        resolve: (event) => event,
      }),
      conflictChanged: t.field({
        type: ConflictObject,
        description: 'Emits when a conflict opens and when it is resolved.',
        args: { workspaceId: t.arg.id({ required: true }) },
        subscribe: (_root, args, context) => conflictChanges(context, args.workspaceId),
        resolve: (conflict) => conflict,
      }),
    }),
  });
}
