import type { EntityDescription } from '../../model/index.ts';
import { effectiveHlc, type Stamp } from '../../model/merge/index.ts';
import type { Conflict, Role } from '../db/generated/prisma/client.ts';
import type { SqlClient, SqlQueryable } from '../db/sql.ts';
import { badUserInput, type ChangeErrorCode, ConvergeError, ErrorCode } from '../errors.ts';
import { readBatch } from './bulk-sql.ts';
import {
  collectReferences,
  emptyReferences,
  ownerRuleProblem,
  referenceProblem,
} from './change-rules.ts';
import { toJsonValue, writableFields } from './entities.ts';
import { type ConflictField, createdValues, FieldMerge } from './field-merge.ts';
import { entityOfType, isEntityType, tagRow } from './model.ts';
import type {
  Actor,
  ChangeRequest,
  ChangeResult,
  EntityType,
  PushRequest,
  PushResult,
  SyncEntity,
} from './types.ts';
import {
  type FieldProblem,
  validateClientId,
  validateEntityId,
  validateHlcField,
  validateMutationId,
  validatePatch,
} from './validation.ts';
import { type FieldChanges, WorkspaceWriter } from './workspace-writer.ts';
import { notAMember, requireRole, requireValidWorkspaceId } from './workspaces.ts';

export interface PushOptions {
  /** Most changes one call may carry (MAX_BATCH). */
  maxBatch: number;
  /** Injectable clock for tests. */
  now?: () => Date;
}

/**
 * pushChanges (docs/protocol.md, Pushing changes: pushChanges): applies each change on its own
 * merits, in the order given, in one transaction under the workspace lock. The idempotency records
 * are written in that same transaction, so a replay after a crash either finds the whole batch
 * applied or none of it.
 *
 * The transaction is a handful of statements whatever the batch size: BEGIN, the lock with the
 * pusher's membership, the reads of what the batch touches, one write, COMMIT.
 */
export async function pushChanges(
  sql: SqlClient,
  actor: Actor,
  request: PushRequest,
  options: PushOptions,
): Promise<PushResult> {
  if (request.changes.length > options.maxBatch) {
    throw new ConvergeError(
      ErrorCode.BATCH_TOO_LARGE,
      `A batch may carry at most ${options.maxBatch} changes; split it (got ${request.changes.length})`,
      { maxBatch: options.maxBatch },
    );
  }
  const clientIdProblem = validateClientId(request.clientId);
  if (clientIdProblem)
    throw badUserInput(`clientId ${clientIdProblem.message}`, { field: 'clientId' });
  requireValidWorkspaceId(request.workspaceId);
  const now = options.now?.() ?? new Date();
  // Everything that needs no stored row is checked before the lock is taken.
  const checks = checkChanges(request.changes);

  return sql.transaction(async (tx) => {
    const writer = await WorkspaceWriter.open(tx, request.workspaceId, actor.userId, now);
    // An unknown workspace and a non-member get the same answer: existence never leaks.
    if (!writer) throw notAMember();
    const role = requireRole(writer.role, 'push');
    const batch = new Batch(writer, actor, role, request.clientId, now, checks);
    await batch.prefetch(tx, request.changes);
    const results: ChangeResult[] = [];
    for (const change of request.changes) results.push(await batch.apply(change));
    await writer.flush();
    return {
      results,
      seq: writer.currentSeq,
      committed: writer.committed,
      openedConflicts: writer.openedConflicts,
    };
  });
}

/** A change this user already applied from this client in this workspace. */
interface AppliedRecord {
  entityType: EntityType;
  entityId: string;
}

type Outcome =
  | {
      status: 'APPLIED' | 'MERGED' | 'CONFLICT' | 'DUPLICATE';
      entity: SyncEntity;
      conflict: Conflict | null;
      mergedFields: string[];
    }
  | { status: 'REJECTED'; code: ChangeErrorCode; message: string; field: string | null };

const rejected = (
  code: ChangeErrorCode,
  message: string,
  field: string | null = null,
): Outcome => ({
  status: 'REJECTED',
  code,
  message,
  field,
});

const validationRejection = (problem: FieldProblem): Outcome =>
  rejected(ErrorCode.VALIDATION, `${problem.field} ${problem.message}`, problem.field);

/** The state of one pushChanges call while its changes are applied in order. */
class Batch {
  private readonly applied = new Map<string, AppliedRecord>();
  private memberIds: ReadonlySet<string> = new Set();
  private readonly nowMillis: number;

  constructor(
    private readonly writer: WorkspaceWriter,
    private readonly actor: Actor,
    private readonly role: Role,
    private readonly clientId: string,
    now: Date,
    private readonly checks: ReadonlyMap<ChangeRequest, StaticChecks>,
  ) {
    this.nowMillis = now.getTime();
  }

  /** Every change of the batch was checked before the lock (checkChanges): no check twice. */
  private checksOf(change: ChangeRequest): StaticChecks {
    const checks = this.checks.get(change);
    if (!checks) throw new Error('A change reached the batch without its static checks');
    return checks;
  }

  /** Loads in one statement everything the batch will look at: no query per change. */
  async prefetch(tx: SqlQueryable, changes: readonly ChangeRequest[]): Promise<void> {
    const references = emptyReferences();
    // Only validated strings reach a query: PostgreSQL refuses NUL bytes and unpaired
    // surrogates (22021), which would fail the whole batch instead of rejecting one change.
    const valid = changes.filter((change) => this.checksOf(change).identity === null);
    for (const change of valid) {
      references.ids[change.entityType]?.add(change.id);
      collectReferences(entityOfType(change.entityType), change.patch ?? {}, references);
    }
    const read = await readBatch(tx, {
      workspaceId: this.writer.workspaceId,
      ids: references.ids,
      userIds: references.userIds,
      mutationIds: [...new Set(valid.map((change) => change.mutationId))],
      // Scoped to the pushing user: another user's ids are neither seen nor blocked by theirs.
      scope: {
        workspaceId: this.writer.workspaceId,
        userId: this.actor.userId,
        clientId: this.clientId,
      },
    });
    this.writer.track(read.rows);
    this.memberIds = read.memberIds;
    for (const { mutationId, ...record } of read.applied) this.applied.set(mutationId, record);
  }

  async apply(change: ChangeRequest): Promise<ChangeResult> {
    const outcome = await this.outcomeOf(change);
    if (outcome.status === 'REJECTED') {
      return {
        mutationId: change.mutationId,
        status: 'REJECTED',
        entity: null,
        conflict: null,
        error: { code: outcome.code, message: outcome.message, field: outcome.field },
        mergedFields: [],
      };
    }
    return { mutationId: change.mutationId, error: null, ...outcome };
  }

  private async outcomeOf(change: ChangeRequest): Promise<Outcome> {
    const problem = this.checksOf(change).identity;
    if (problem) return validationRejection(problem);

    const previous = this.applied.get(change.mutationId);
    if (previous) return this.duplicate(change, previous);

    const entity = entityOfType(change.entityType);
    const existing = this.writer.get(change.entityType, change.id);
    if (existing && existing.workspaceId !== this.writer.workspaceId) {
      return rejected(ErrorCode.WRONG_WORKSPACE, 'This id belongs to another workspace', 'id');
    }
    const ownerProblem = existing && ownerRuleProblem(this.role, this.actor, entity, existing);
    if (ownerProblem) return rejected(ownerProblem.code, ownerProblem.message);

    const stamp: Stamp = { hlc: effectiveHlc(change.hlc, this.nowMillis), clientId: this.clientId };
    const outcome = change.delete
      ? this.remove(change, existing)
      : existing
        ? await this.update(change, entity, existing, stamp)
        : this.create(change, entity, stamp);

    if (outcome.status !== 'REJECTED') this.remember(change);
    return outcome;
  }

  private duplicate(change: ChangeRequest, previous: AppliedRecord): Outcome {
    const sameChange = previous.entityType === change.entityType && previous.entityId === change.id;
    if (!sameChange) {
      return rejected(
        ErrorCode.VALIDATION,
        'mutationId was already used for another change',
        'mutationId',
      );
    }
    const entity = this.writer.get(change.entityType, change.id);
    if (!entity) return rejected(ErrorCode.NOT_FOUND, 'The entity no longer exists');
    return { status: 'DUPLICATE', entity, conflict: null, mergedFields: [] };
  }

  private remember(change: ChangeRequest): void {
    this.applied.set(change.mutationId, { entityType: change.entityType, entityId: change.id });
    this.writer.recordMutation({
      clientId: this.clientId,
      mutationId: change.mutationId,
      userId: this.actor.userId,
      entityType: change.entityType,
      entityId: change.id,
    });
  }

  private remove(change: ChangeRequest, existing: SyncEntity | undefined): Outcome {
    if (change.patch && Object.keys(change.patch).length > 0) {
      return rejected(ErrorCode.VALIDATION, 'a delete carries no patch', 'patch');
    }
    if (!existing) return rejected(ErrorCode.NOT_FOUND, 'No such entity to delete', 'id');
    if (existing.deleted)
      return { status: 'APPLIED', entity: existing, conflict: null, mergedFields: [] };
    const entity = this.writer.record({
      type: change.entityType,
      row: {
        ...existing,
        deleted: true,
        version: existing.version + 1,
        updatedBy: this.actor.userId,
      },
      op: 'DELETE',
      changes: { deleted: { old: false, new: true } },
      actorId: this.actor.userId,
      clientId: this.clientId,
      mutationId: change.mutationId,
    });
    return { status: 'APPLIED', entity, conflict: null, mergedFields: [] };
  }

  private create(change: ChangeRequest, entity: EntityDescription, stamp: Stamp): Outcome {
    if ((change.baseVersion ?? 0) > 0) return rejected(ErrorCode.NOT_FOUND, 'No such entity', 'id');
    const patch = change.patch ?? {};
    const problem = this.checksOf(change).patchOnCreate;
    if (problem) return validationRejection(problem);
    const referenceProblem = this.checkReferences(entity, patch);
    if (referenceProblem) return referenceProblem;

    const created = createdValues(entity, patch, this.actor.userId, stamp);
    if ('problem' in created) return validationRejection(created.problem);
    const { values, meta } = created;

    const row: SyncEntity = tagRow(change.entityType, {
      id: change.id,
      workspaceId: this.writer.workspaceId,
      ...values,
      version: 1,
      seq: 0,
      createdAt: this.writer.now,
      updatedAt: this.writer.now,
      updatedBy: this.actor.userId,
      deleted: false,
      fieldMeta: meta,
    });
    const changes: FieldChanges = {};
    for (const field of writableFields(entity)) {
      changes[field.name] = { old: null, new: toJsonValue(values[field.name]) };
    }
    const recorded = this.writer.record({
      type: change.entityType,
      row,
      op: 'CREATE',
      changes,
      actorId: this.actor.userId,
      clientId: this.clientId,
      mutationId: change.mutationId,
    });
    return { status: 'APPLIED', entity: recorded, conflict: null, mergedFields: [] };
  }

  private async update(
    change: ChangeRequest,
    entity: EntityDescription,
    existing: SyncEntity,
    stamp: Stamp,
  ): Promise<Outcome> {
    const baseVersion = change.baseVersion ?? 0;
    if (baseVersion < 0 || baseVersion > existing.version) {
      return rejected(
        ErrorCode.VALIDATION,
        `baseVersion must be between 0 and the server version ${existing.version}`,
        'baseVersion',
      );
    }
    const patch = change.patch ?? {};
    const problem = this.checksOf(change).patchOnUpdate;
    if (problem) return validationRejection(problem);
    if (existing.deleted) return this.editOfDeleted(change, existing, patch);
    const referenceProblem = this.checkReferences(entity, patch);
    if (referenceProblem) return referenceProblem;

    const merge = await new FieldMerge(
      this.writer,
      change,
      entity,
      existing,
      baseVersion,
      stamp,
    ).run(patch);
    if ('problem' in merge) return validationRejection(merge.problem);
    let row = existing;
    if (Object.keys(merge.changes).length > 0) {
      row = this.writer.record({
        type: change.entityType,
        row: {
          ...existing,
          ...merge.values,
          version: merge.version,
          updatedBy: this.actor.userId,
          fieldMeta: merge.meta,
        },
        op: 'UPDATE',
        changes: merge.changes,
        actorId: this.actor.userId,
        clientId: this.clientId,
        mutationId: change.mutationId,
      });
    }
    const conflict =
      merge.conflictFields.length > 0
        ? this.openConflicts(change, existing, merge.conflictFields)
        : null;
    const status = conflict ? 'CONFLICT' : merge.mergedFields.length > 0 ? 'MERGED' : 'APPLIED';
    return { status, entity: row, conflict, mergedFields: merge.mergedFields };
  }

  private openConflicts(
    change: ChangeRequest,
    existing: SyncEntity,
    fields: ConflictField[],
  ): Conflict {
    const opened = fields.map((field) =>
      this.writer.openConflict({
        entityType: change.entityType,
        entityId: existing.id,
        field: field.field,
        baseValue: field.base,
        localValue: field.local,
        serverValue: field.server,
        actorId: this.actor.userId,
        clientId: this.clientId,
        mutationId: change.mutationId,
      }),
    );
    return opened[0] as Conflict;
  }

  /** No edit disappears silently: an edit of a deleted entity becomes a `_deleted` conflict. */
  private editOfDeleted(
    change: ChangeRequest,
    existing: SyncEntity,
    patch: Record<string, unknown>,
  ): Outcome {
    const conflict = this.writer.openConflict({
      entityType: change.entityType,
      entityId: existing.id,
      field: '_deleted',
      baseValue: false,
      localValue: Object.fromEntries(
        definedEntries(patch).map(([field, value]) => [field, toJsonValue(value)]),
      ),
      serverValue: true,
      actorId: this.actor.userId,
      clientId: this.clientId,
      mutationId: change.mutationId,
    });
    return { status: 'CONFLICT', entity: existing, conflict, mergedFields: [] };
  }

  private checkReferences(
    entity: EntityDescription,
    patch: Record<string, unknown>,
  ): Outcome | null {
    const problem = referenceProblem(this.writer, this.memberIds, entity, patch);
    return problem ? rejected(problem.code, problem.message, problem.field) : null;
  }
}

/** A change's checks that need no stored row: made before the workspace lock is taken. */
interface StaticChecks {
  identity: FieldProblem | null;
  /** The patch as a create's (required fields present) and as an update's. */
  patchOnCreate: FieldProblem | null;
  patchOnUpdate: FieldProblem | null;
}

function checkChanges(changes: readonly ChangeRequest[]): Map<ChangeRequest, StaticChecks> {
  return new Map(changes.map((change) => [change, staticChecks(change)]));
}

function staticChecks(change: ChangeRequest): StaticChecks {
  const identity = validateIdentity(change);
  if (identity || change.delete) {
    return { identity, patchOnCreate: null, patchOnUpdate: null };
  }
  const entity = entityOfType(change.entityType);
  const patch = change.patch ?? {};
  return {
    identity,
    patchOnCreate: validatePatch(entity, patch, 'create'),
    patchOnUpdate: validatePatch(entity, patch, 'update'),
  };
}

function validateIdentity(change: ChangeRequest): FieldProblem | null {
  // The GraphQL layer only passes the model's types; a direct caller gets a problem, not a crash.
  if (!isEntityType(change.entityType)) {
    return { field: 'entityType', message: 'is not an entity type of the model' };
  }
  return (
    validateMutationId(change.mutationId) ??
    validateEntityId(change.id) ??
    (change.hlc === null ? null : validateHlcField(change.hlc))
  );
}

function definedEntries(patch: Record<string, unknown>): [string, unknown][] {
  return Object.entries(patch).filter(([, value]) => value !== undefined);
}
