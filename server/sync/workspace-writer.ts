import { randomUUID } from 'node:crypto';
import type { Conflict, Prisma, Role } from '../db/generated/prisma/client.ts';
import type { SqlQueryable } from '../db/sql.ts';
import { selectChangesAfter, selectEntities, writeBatch } from './bulk-sql.ts';
import { entityKey, toJsonValue } from './entities.ts';
import { typeOfRow } from './model.ts';
import type { CommittedChange, EntityType, SyncEntity } from './types.ts';

// FOR UPDATE OF: only the workspace row is locked, not the member row read beside it. The
// inner join means only a member takes the lock: anyone else finds no row and waits for no
// one, nor makes the workspace's writers wait.
const lockStatement = `SELECT w."seq", m."role" FROM "Workspace" w
    JOIN "Member" m ON m."workspaceId" = w."id" AND m."userId" = $2
    WHERE w."id" = $1 FOR UPDATE OF w`;

/** The database's EntityType enum, generated from the same model as the engine's values. */
type StoredEntityType = Conflict['entityType'];
const asStoredType = (type: EntityType) => type as StoredEntityType;

/** Old and new value of each field a change wrote, as stored in the change log. */
export type FieldChanges = Record<
  string,
  { old: Prisma.InputJsonValue | null; new: Prisma.InputJsonValue | null }
>;

interface TrackedRow {
  type: EntityType;
  row: SyncEntity;
  state: 'clean' | 'created' | 'updated';
}

export interface RecordedChange {
  type: EntityType;
  row: SyncEntity;
  op: 'CREATE' | 'UPDATE' | 'DELETE';
  changes: FieldChanges;
  actorId: string;
  clientId: string | null;
  mutationId: string | null;
}

export interface NewConflict {
  entityType: EntityType;
  entityId: string;
  field: string;
  baseValue: unknown;
  localValue: unknown;
  serverValue: unknown;
  actorId: string;
  clientId: string | null;
  mutationId: string | null;
}

/**
 * One write transaction on one workspace. Opening it takes the workspace row lock, which serialises
 * writers of the workspace so that sequence order equals commit order (docs/protocol.md, Sequence).
 * Changes are applied to rows held in memory and written in bulk by `flush()`, so a batch costs a
 * handful of statements rather than several per change.
 */
export class WorkspaceWriter {
  readonly committed: CommittedChange[] = [];
  readonly openedConflicts: Conflict[] = [];
  private readonly rows = new Map<string, TrackedRow>();
  private readonly log: Prisma.ChangeLogCreateManyInput[] = [];
  private readonly mutations: Prisma.AppliedMutationCreateManyInput[] = [];
  private readonly startSeq: number;

  private constructor(
    private readonly tx: SqlQueryable,
    readonly workspaceId: string,
    private seq: number,
    readonly now: Date,
    /** The role of the user the writer was opened for, read under the lock. */
    readonly role: Role,
  ) {
    this.startSeq = seq;
  }

  /**
   * Locks the workspace row and reads `userId`'s membership with it, in one statement.
   * Membership changes take the same lock, so the role holds until the writer commits.
   * Null when the workspace does not exist or the user is not a member of it.
   */
  static async open(
    tx: SqlQueryable,
    workspaceId: string,
    userId: string,
    now = new Date(),
  ): Promise<WorkspaceWriter | null> {
    const [locked] = await tx.query<{ seq: number; role: Role }>(lockStatement, [
      workspaceId,
      userId,
    ]);
    return locked
      ? new WorkspaceWriter(tx, workspaceId, Number(locked.seq), now, locked.role)
      : null;
  }

  get currentSeq(): number {
    return this.seq;
  }

  /** Loads rows by id whatever their workspace, so callers can tell WRONG_WORKSPACE from NOT_FOUND. */
  async load(type: EntityType, ids: Iterable<string>): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.rows.has(entityKey(type, id)));
    if (missing.length === 0) return;
    const found = await selectEntities(this.tx, type, missing);
    for (const row of found) this.rows.set(entityKey(type, row.id), { type, row, state: 'clean' });
  }

  /** Tracks rows read elsewhere (bulk-sql.ts, readBatch), tagged with their type. */
  track(rows: readonly SyncEntity[]): void {
    for (const row of rows) {
      const type = typeOfRow(row);
      const key = entityKey(type, row.id);
      if (!this.rows.has(key)) this.rows.set(key, { type, row, state: 'clean' });
    }
  }

  get(type: EntityType, id: string): SyncEntity | undefined {
    return this.rows.get(entityKey(type, id))?.row;
  }

  /** Records an applied change: takes the next sequence number and logs old and new values. */
  record(change: RecordedChange): SyncEntity {
    this.seq += 1;
    // The spread keeps the row's entity type tag (server/sync/model.ts).
    const row: SyncEntity = {
      ...change.row,
      seq: this.seq,
      updatedAt: this.now,
      updatedBy: change.actorId,
    };
    const key = entityKey(change.type, row.id);
    const previous = this.rows.get(key);
    // A row created earlier in this batch is still inserted once, with its final state.
    const state = !previous || previous.state === 'created' ? 'created' : 'updated';
    this.rows.set(key, { type: change.type, row, state });
    this.log.push({
      workspaceId: this.workspaceId,
      seq: this.seq,
      entityType: asStoredType(change.type),
      entityId: row.id,
      op: change.op,
      changes: change.changes,
      version: row.version,
      actorId: change.actorId,
      clientId: change.clientId,
      mutationId: change.mutationId,
      createdAt: this.now,
    });
    this.committed.push({
      workspaceId: this.workspaceId,
      seq: this.seq,
      entityType: change.type,
      op: change.op,
      changedFields: changedFieldsOf(change.changes),
      actorId: change.actorId,
      clientId: change.clientId,
      entity: row,
    });
    return row;
  }

  recordMutation(input: {
    clientId: string;
    mutationId: string;
    userId: string;
    entityType: EntityType;
    entityId: string;
  }): void {
    this.mutations.push({
      ...input,
      entityType: asStoredType(input.entityType),
      workspaceId: this.workspaceId,
      createdAt: this.now,
    });
  }

  openConflict(input: NewConflict): Conflict {
    const conflict: Conflict = {
      id: randomUUID(),
      workspaceId: this.workspaceId,
      entityType: asStoredType(input.entityType),
      entityId: input.entityId,
      field: input.field,
      baseValue: toJsonValue(input.baseValue) as Prisma.JsonValue,
      localValue: toJsonValue(input.localValue) as Prisma.JsonValue,
      serverValue: toJsonValue(input.serverValue) as Prisma.JsonValue,
      status: 'OPEN',
      resolution: null,
      actorId: input.actorId,
      clientId: input.clientId,
      mutationId: input.mutationId,
      createdAt: this.now,
      resolvedAt: null,
      resolvedBy: null,
    };
    this.openedConflicts.push(conflict);
    return conflict;
  }

  /**
   * The value a field had at `version`: the old value of the first later change that wrote
   * it. This is the base of a three-way merge. Returns `current` when nothing wrote the
   * field after `version`.
   */
  async valueAtVersion(
    type: EntityType,
    id: string,
    field: string,
    version: number,
    current: unknown,
  ): Promise<unknown> {
    const stored = await selectChangesAfter(this.tx, this.workspaceId, { type, id }, version);
    const pending = this.log.filter((entry) => entry.entityType === type && entry.entityId === id);
    for (const entry of [...stored, ...pending]) {
      const changes = entry.changes as FieldChanges | null;
      const written = changes?.[field];
      if (written) return written.old;
    }
    return current;
  }

  /**
   * Writes everything recorded, conflicts included, and advances the workspace counter in one
   * statement (bulk-sql.ts), whatever the batch size.
   */
  async flush(): Promise<void> {
    await writeBatch(this.tx, {
      workspaceId: this.workspaceId,
      seq: this.seq === this.startSeq ? null : this.seq,
      created: this.rowsIn('created'),
      updated: this.rowsIn('updated'),
      log: this.log,
      mutations: this.mutations,
      conflicts: this.openedConflicts,
    });
  }

  private rowsIn(state: TrackedRow['state']): Record<EntityType, SyncEntity[]> {
    const rows: Record<EntityType, SyncEntity[]> = {};
    for (const entry of this.rows.values()) {
      if (entry.state !== state) continue;
      const ofType = rows[entry.type] ?? [];
      ofType.push(entry.row);
      rows[entry.type] = ofType;
    }
    return rows;
  }
}

/** Sorted, so live events and events replayed from the change log (JSONB reorders keys) agree. */
export function changedFieldsOf(changes: object | null): string[] {
  return Object.keys(changes ?? {}).sort();
}
