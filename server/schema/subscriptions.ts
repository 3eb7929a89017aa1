import { DroppingBuffer, Repeater } from '@graphql-yoga/subscription';
import type { Conflict } from '../db/generated/prisma/client.ts';
import { forbidden } from '../errors.ts';
import { type EntityChangedEvent, type SyncPubSub, tagEventEntity } from '../pubsub.ts';
import { decodeCursor, encodeCursor } from '../sync/cursor.ts';
import { entityChangeStream, type LiveSignal } from '../sync/stream.ts';
import type { Actor, EntityType } from '../sync/types.ts';
import { requireAccess } from '../sync/workspaces.ts';
import type { Builder } from './builder.ts';
import type { ConflictObjectRef } from './conflict.ts';
import { type Context, requireUser } from './context.ts';
import type { EntityObjects } from './entity-objects.ts';
import type { Enums } from './enums.ts';

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

/**
 * A recheck every MEMBERSHIP_RECHECK_SECONDS: removal notices travel through pub/sub, which
 * may lose them (Redis away while another instance removed the member), so a stream also
 * asks the database, bounding how long a removed member can keep listening.
 */
function periodicRechecks(context: Context): Repeater<{ kind: 'recheck' }> {
  const intervalMs = context.services.config.membershipRecheckSeconds * 1_000;
  // One pending recheck is as good as many: a slow reader must not queue them up.
  return new Repeater(async (push, stop) => {
    const timer = setInterval(() => void push({ kind: 'recheck' }), intervalMs);
    await stop;
    clearInterval(timer);
  }, new DroppingBuffer(1));
}

/** Throws FORBIDDEN once the user is no longer a member of the workspace. */
function accessCheck(context: Context, actor: Actor, workspaceId: string) {
  return async () => {
    await requireAccess(context.services.prisma, actor, workspaceId, 'subscribe');
  };
}

/** Resyncs, removal notices and periodic rechecks: what keeps a stream's access current. */
function accessSignals(context: Context, workspaceId: string, userId: string) {
  const { pubsub } = context.services;
  return [
    signals(pubsub.resyncSignals(), () => ({ kind: 'resync' as const })),
    revocations(pubsub, workspaceId, userId),
    periodicRechecks(context),
  ];
}

function liveSignals(context: Context, workspaceId: string, userId: string): Repeater<LiveSignal> {
  const changes = context.services.pubsub.subscribe('entityChanged', workspaceId);
  return Repeater.merge([
    settleResync(),
    signals(changes, (event) => ({ kind: 'change' as const, event: tagEventEntity(event) })),
    ...accessSignals(context, workspaceId, userId),
  ]);
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
  recheckAccess: () => Promise<void>,
): Repeater<EntityChangedEvent> {
  const live = liveSignals(context, args.workspaceId, userId);
  const stream = entityChangeStream(
    context.services.prisma,
    {
      workspaceId: args.workspaceId,
      after,
      types: (args.types ?? null) as readonly EntityType[] | null,
      recheckAccess,
    },
    live[Symbol.asyncIterator](),
  );
  return endable(stream, live);
}

type ConflictSignal =
  | { kind: 'conflict'; conflict: Conflict }
  | { kind: 'resync' }
  | { kind: 'revoked' }
  | { kind: 'recheck' };

async function conflictChanges(context: Context, workspaceId: string) {
  const actor = requireUser(context);
  const recheckAccess = accessCheck(context, actor, workspaceId);
  await recheckAccess();
  const conflicts = context.services.pubsub.subscribe('conflictChanged', workspaceId);
  const merged: Repeater<ConflictSignal> = Repeater.merge([
    signals(conflicts, (conflict) => ({ kind: 'conflict' as const, conflict })),
    ...accessSignals(context, workspaceId, actor.userId),
  ]);
  return endable(whileMember(merged, recheckAccess), merged);
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
