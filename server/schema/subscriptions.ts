import { Repeater } from '@graphql-yoga/subscription';
import type { Conflict } from '../db/generated/prisma/client.ts';
import { forbidden } from '../errors.ts';
import type { EntityChangedEvent, SyncPubSub } from '../pubsub.ts';
import { decodeCursor, encodeCursor } from '../sync/cursor.ts';
import { entityChangeStream, type LiveSignal } from '../sync/stream.ts';
import { requireAccess } from '../sync/workspaces.ts';
import { builder } from './builder.ts';
import { ConflictObject } from './conflict.ts';
import { type Context, requireUser } from './context.ts';
import { EntityTypeEnum } from './enums.ts';
import { SyncEntityUnion } from './sync-record.ts';

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

/**
 * Maps a pub/sub subscription into signals. A Repeater rather than an async generator: a
 * generator suspended in `for await` cannot be returned until its source yields again, which
 * would hang the end of a merged stream; a Repeater returns its source at once on stop.
 */
function signals<T, S>(source: Repeater<T>, toSignal: (item: T) => S | null): Repeater<S> {
  return new Repeater<S>(async (push, stop) => {
    void stop.then(() => source.return());
    for await (const item of source) {
      const signal = toSignal(item);
      if (signal !== null) await push(signal);
    }
    stop();
  });
}

/** Signals that end a subscription when its user leaves the workspace. */
function revocations(pubsub: SyncPubSub, workspaceId: string, userId: string) {
  return signals(pubsub.subscribe('membershipChanged', workspaceId), (change) =>
    change.userId === userId && change.role === null ? ({ kind: 'revoked' } as const) : null,
  );
}

/**
 * A distributed event target subscribes asynchronously (a Redis SUBSCRIBE round trip), so an
 * event published in that window could be missed by a quiet workspace: one extra read of the
 * change log shortly after the start closes the window.
 */
const SETTLE_RESYNC_MS = 1_000;

function settleResync(): Repeater<{ kind: 'resync' }> {
  return new Repeater(async (push, stop) => {
    const timer = setTimeout(() => void push({ kind: 'resync' }), SETTLE_RESYNC_MS);
    await stop;
    clearTimeout(timer);
  });
}

function liveSignals(context: Context, workspaceId: string, userId: string): Repeater<LiveSignal> {
  const { pubsub } = context.services;
  const changes = pubsub.subscribe('entityChanged', workspaceId);
  const resyncs = pubsub.resyncSignals();
  return Repeater.merge([
    settleResync(),
    signals(changes, (event) => ({ kind: 'change' as const, event })),
    signals(resyncs, () => ({ kind: 'resync' as const })),
    revocations(pubsub, workspaceId, userId),
  ]);
}

interface EntityChangedArgs {
  workspaceId: string;
  types?: readonly ('PROJECT' | 'TASK' | 'COMMENT')[] | null | undefined;
  after?: string | null | undefined;
}

/** Checks run before the stream starts, so a refusal is an error of the subscribe request. */
async function entityChanges(context: Context, args: EntityChangedArgs) {
  const actor = requireUser(context);
  const after = args.after ? decodeCursor(args.after) : null;
  await requireAccess(context.services.prisma, actor, args.workspaceId, 'subscribe');
  return streamEntityChanges(context, args, actor.userId, after);
}

/**
 * Wraps a stream so that ending the subscription ends it at once. An async generator
 * waiting for its next event only sees `return()` when that event arrives, which in a quiet
 * workspace could be never; returning the signal source instead wakes it immediately.
 */
function endable<T>(stream: AsyncIterable<T>, source: { return(): unknown }): Repeater<T> {
  return new Repeater<T>(async (push, stop) => {
    void stop.then(() => source.return());
    try {
      for await (const item of stream) await push(item);
      stop();
    } catch (error) {
      stop(error);
    }
  });
}

function streamEntityChanges(
  context: Context,
  args: EntityChangedArgs,
  userId: string,
  after: number | null,
): Repeater<EntityChangedEvent> {
  const live = liveSignals(context, args.workspaceId, userId);
  const stream = entityChangeStream(
    context.services.prisma,
    { workspaceId: args.workspaceId, after, types: args.types ?? null },
    live[Symbol.asyncIterator](),
  );
  return endable(stream, live);
}

async function conflictChanges(context: Context, workspaceId: string) {
  const actor = requireUser(context);
  await requireAccess(context.services.prisma, actor, workspaceId, 'subscribe');
  const { pubsub } = context.services;
  const merged = Repeater.merge([
    pubsub.subscribe('conflictChanged', workspaceId),
    revocations(pubsub, workspaceId, actor.userId),
  ]);
  return endable(untilRevoked<Conflict>(merged), merged);
}

async function* untilRevoked<T extends object>(
  items: AsyncIterable<T | { kind: 'revoked' }>,
): AsyncGenerator<T> {
  for await (const item of items) {
    if ('kind' in item && item.kind === 'revoked') {
      throw forbidden('You are no longer a member of this workspace');
    }
    yield item as T;
  }
}

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
