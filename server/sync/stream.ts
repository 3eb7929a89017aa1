import type { ChangeLog, PrismaClient } from '../db/generated/prisma/client.ts';
import { forbidden } from '../errors.ts';
import type { EntityChangedEvent } from '../pubsub.ts';
import { selectEntities } from './bulk-sql.ts';
import { entityKey, fromJsonValue } from './entities.ts';
import { entityOfType, entityTypes, tagRow } from './model.ts';
import type { EntityType, SyncEntity } from './types.ts';
import { changedFieldsOf, type FieldChanges } from './workspace-writer.ts';

/** What a live entity stream listens to, merged from pub/sub topics. */
export type LiveSignal =
  | { kind: 'change'; event: EntityChangedEvent }
  /** Events may have been lost (Redis reconnected): re-read the change log. */
  | { kind: 'resync' }
  /** The subscriber left the workspace: the stream ends with FORBIDDEN. */
  | { kind: 'revoked' }
  /** Time to re-read the subscriber's membership (a removal notice may have been lost). */
  | { kind: 'recheck' };

export interface EntityStreamRequest {
  workspaceId: string;
  /** Sequence to continue after; null starts at the current end of the log. */
  after: number | null;
  types: readonly EntityType[] | null;
  /**
   * Re-reads the subscriber's membership and throws FORBIDDEN once it is gone. Called before
   * every read of the change log after the start: events were lost, and a removal notice may
   * have been among them.
   */
  recheckAccess: () => Promise<void>;
}

const REPLAY_PAGE = 500;

/**
 * entityChanged as a gap-free stream (docs/protocol.md, entityChanged). Every workspace change has
 * a sequence number and a change-log row, and sequence numbers have no holes, so the stream tracks
 * the last sequence it delivered: older events are duplicates and dropped; an event further ahead
 * than the next number means something was missed (another instance published out of order, Redis
 * dropped it) and the missing changes are read from the change log first.
 *
 * The live listener starts before the replay from `after`, so a change committing during
 * the replay is either read by the replay or arrives live; never neither, never twice.
 * Replayed events carry the entity as it was right after the change, exactly as live ones.
 *
 * Membership is re-read before each later catch-up and on every `recheck` signal: the
 * `revoked` signal travels through pub/sub and can be lost like any event, and the change
 * log records entity changes, not removals.
 */
export async function* entityChangeStream(
  prisma: PrismaClient,
  request: EntityStreamRequest,
  live: AsyncIterator<LiveSignal>,
): AsyncGenerator<EntityChangedEvent> {
  let pending = live.next();
  let last = request.after ?? (await workspaceSeq(prisma, request.workspaceId));
  const wanted = (event: EntityChangedEvent) =>
    !request.types || request.types.length === 0 || request.types.includes(event.entityType);

  async function* catchUp(until?: number): AsyncGenerator<EntityChangedEvent> {
    for await (const event of readChangeLog(prisma, request.workspaceId, last, until)) {
      last = event.seq;
      if (wanted(event)) yield event;
    }
  }

  async function* recheckThenCatchUp(until?: number): AsyncGenerator<EntityChangedEvent> {
    await request.recheckAccess();
    yield* catchUp(until);
  }

  yield* catchUp();
  for (;;) {
    const { value: signal, done } = await pending;
    if (done) return;
    pending = live.next();
    if (signal.kind === 'revoked') throw forbidden('You are no longer a member of this workspace');
    if (signal.kind === 'recheck') {
      await request.recheckAccess();
      continue;
    }
    if (signal.kind === 'resync') {
      yield* recheckThenCatchUp();
      continue;
    }
    const { event } = signal;
    if (event.seq <= last) continue;
    if (event.seq > last + 1) yield* recheckThenCatchUp(event.seq - 1);
    if (event.seq !== last + 1) continue; // the catch-up already delivered it
    last = event.seq;
    // An event that crossed Redis is plain JSON: its entity is tagged with its type again. The
    // event object itself is yielded, shared with every other stream of the workspace, so
    // that their subscribers can share its execution (transport/fanout.ts).
    if (wanted(event)) {
      tagRow(event.entityType, event.entity);
      yield event;
    }
  }
}

async function workspaceSeq(prisma: PrismaClient, workspaceId: string): Promise<number> {
  const workspace = await prisma.workspace.findUnique({
    where: { id: workspaceId },
    select: { seq: true },
  });
  return workspace?.seq ?? 0;
}

/** Change-log rows after `after` (up to `until`), in order, with each entity as it was then. */
async function* readChangeLog(
  prisma: PrismaClient,
  workspaceId: string,
  after: number,
  until?: number,
): AsyncGenerator<EntityChangedEvent> {
  let cursor = after;
  for (;;) {
    const rows = await prisma.changeLog.findMany({
      where: { workspaceId, seq: { gt: cursor, ...(until === undefined ? {} : { lte: until }) } },
      orderBy: { seq: 'asc' },
      take: REPLAY_PAGE,
    });
    if (rows.length === 0) return;
    const states = await statesAtChanges(prisma, workspaceId, rows);
    for (const row of rows) {
      const entity = states.get(row.seq);
      cursor = row.seq;
      if (!entity) continue; // rows are never physically deleted; kept defensive for restores
      yield {
        workspaceId,
        seq: row.seq,
        entityType: row.entityType,
        op: row.op,
        changedFields: changedFieldsOf(row.changes as object),
        actorId: row.actorId,
        clientId: row.clientId,
        entity,
      };
    }
    if (rows.length < REPLAY_PAGE) return;
  }
}

type LoggedChange = Pick<
  ChangeLog,
  'seq' | 'entityType' | 'entityId' | 'changes' | 'version' | 'actorId' | 'createdAt'
>;

/**
 * The state of each entity right after each of `rows`, so a replayed event carries exactly
 * what the live event carried. Every change logs the old value of each field it wrote, so
 * walking an entity's later changes backwards from its current row undoes them one by one.
 */
async function statesAtChanges(
  prisma: PrismaClient,
  workspaceId: string,
  rows: readonly LoggedChange[],
): Promise<Map<number, SyncEntity>> {
  const current = await loadEntities(prisma, rows);
  const first = rows[0]?.seq ?? 0;
  const history = await prisma.changeLog.findMany({
    where: {
      workspaceId,
      seq: { gte: first },
      entityId: { in: [...new Set(rows.map((row) => row.entityId))] },
    },
    orderBy: { seq: 'desc' },
    select: {
      seq: true,
      entityType: true,
      entityId: true,
      changes: true,
      version: true,
      actorId: true,
      createdAt: true,
    },
  });
  const wanted = new Set(rows.map((row) => row.seq));
  const working = new Map<string, Record<string, unknown>>();
  const states = new Map<number, SyncEntity>();
  for (const change of history) {
    const key = entityKey(change.entityType, change.entityId);
    const state = working.get(key) ?? (current.get(key) ? { ...current.get(key) } : null);
    if (!state) continue;
    if (wanted.has(change.seq)) {
      states.set(
        change.seq,
        tagRow(change.entityType, {
          ...state,
          seq: change.seq,
          version: change.version,
          updatedAt: change.createdAt,
          updatedBy: change.actorId,
        } as SyncEntity),
      );
    }
    working.set(key, undo(change.entityType, state, change.changes as FieldChanges));
  }
  return states;
}

function undo(
  type: EntityType,
  state: Record<string, unknown>,
  changes: FieldChanges | null,
): Record<string, unknown> {
  const fields = entityOfType(type).fields;
  const before = { ...state };
  for (const [name, { old }] of Object.entries(changes ?? {})) {
    before[name] = fromJsonValue(
      fields.find((field) => field.name === name),
      old,
    );
  }
  return before;
}

/** The current rows of the logged entities, without their merge state, by entity key. */
async function loadEntities(
  prisma: PrismaClient,
  rows: readonly { entityType: EntityType; entityId: string }[],
): Promise<Map<string, SyncEntity>> {
  const idsOf = (type: EntityType) => [
    ...new Set(rows.filter((row) => row.entityType === type).map((row) => row.entityId)),
  ];
  const found = await Promise.all(
    entityTypes.map((type) => selectEntities(prisma, type, idsOf(type), { withoutMeta: true })),
  );
  const entities = new Map<string, SyncEntity>();
  entityTypes.forEach((type, index) => {
    for (const entity of found[index] ?? []) entities.set(entityKey(type, entity.id), entity);
  });
  return entities;
}
