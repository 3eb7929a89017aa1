import type { EntityDescription } from '../../model/index.ts';
import { formatHlc, type Stamp } from '../../model/merge/index.ts';
import type { Conflict, ConflictStatus, PrismaClient } from '../db/generated/prisma/client.ts';
import type { SqlClient, SqlQueryable } from '../db/sql.ts';
import { badUserInput, ConvergeError, ErrorCode, forbidden } from '../errors.ts';
import { markConflictResolved, selectConflict } from './bulk-sql.ts';
import {
  type ChangeProblem,
  collectReferences,
  emptyReferences,
  loadReferences,
  ownerRuleProblem,
  referenceProblem,
} from './change-rules.ts';
import { type FieldMeta, fromJsonValue, readFieldMeta, toJsonValue } from './entities.ts';
import { fieldPatchesOf } from './field-merge.ts';
import { entityOfType } from './model.ts';
import { strategyMerges } from './strategies.ts';
import type { Actor, CommittedChange, SyncEntity } from './types.ts';
import { validateEntityId, validatePatch } from './validation.ts';
import { type FieldChanges, WorkspaceWriter } from './workspace-writer.ts';
import { notAMember, requireAccess, requireRole } from './workspaces.ts';

export const MAX_CONFLICT_PAGE = 500;
export type ConflictChoice = 'SERVER' | 'LOCAL' | 'CUSTOM';

export interface ListConflictsRequest {
  workspaceId: string;
  status: ConflictStatus | null | undefined;
  first: number;
  after: string | null | undefined;
}

/** Conflicts oldest first; `after` is the id of the last conflict of the previous page. */
export async function listConflicts(
  prisma: PrismaClient,
  actor: Actor,
  request: ListConflictsRequest,
): Promise<Conflict[]> {
  if (!Number.isInteger(request.first) || request.first < 1 || request.first > MAX_CONFLICT_PAGE) {
    throw badUserInput(`first must be between 1 and ${MAX_CONFLICT_PAGE}`, { field: 'first' });
  }
  await requireAccess(prisma, actor, request.workspaceId, 'read');
  const where = {
    workspaceId: request.workspaceId,
    ...(request.status ? { status: request.status } : {}),
  };
  const after = request.after
    ? await conflictPosition(prisma, request.workspaceId, request.after)
    : null;
  return prisma.conflict.findMany({
    where: after
      ? {
          ...where,
          OR: [
            { createdAt: { gt: after.createdAt } },
            { createdAt: after.createdAt, id: { gt: after.id } },
          ],
        }
      : where,
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    take: request.first,
  });
}

async function conflictPosition(prisma: PrismaClient, workspaceId: string, id: string) {
  const position = validateEntityId(id)
    ? null
    : await prisma.conflict.findFirst({
        where: { id, workspaceId },
        select: { id: true, createdAt: true },
      });
  if (!position)
    throw badUserInput('Invalid after: pass the id of a conflict from the previous page', {
      field: 'after',
    });
  return position;
}

export interface ResolveConflictRequest {
  id: string;
  choice: ConflictChoice;
  /** The value for CUSTOM: a field value, or for `_deleted` conflicts a patch object. */
  value: unknown;
}

export interface ResolveConflictResult {
  conflict: Conflict;
  committed: CommittedChange[];
}

/**
 * resolveConflict (docs/protocol.md, Conflicts and resolution): allowed to ADMINs and to the EDITOR
 * whose change opened the conflict. The resolution is an applied change of its own (new version,
 * change log row), so every replica learns the outcome through the normal sync path. It is checked
 * as a pushed change is (field validation, references, membership, the comment owner rule), with
 * the same codes, so a resolution cannot write what a push could not.
 */
export async function resolveConflict(
  sql: SqlClient,
  actor: Actor,
  request: ResolveConflictRequest,
  now: () => Date = () => new Date(),
): Promise<ResolveConflictResult> {
  if (validateEntityId(request.id)) throw badUserInput('Invalid conflict id', { field: 'id' });
  // Read first to learn which workspace to lock; read again under the lock below.
  const found = await selectConflict(sql, request.id);
  if (!found) throw new ConvergeError(ErrorCode.NOT_FOUND, 'No such conflict');

  return sql.transaction(async (tx) => {
    const writer = await WorkspaceWriter.open(tx, found.workspaceId, actor.userId, now());
    if (!writer) throw notAMember();
    // The role is read under the workspace lock, which membership changes take too.
    const role = requireRole(writer.role, 'read');
    if (role === 'VIEWER' || (role === 'EDITOR' && found.actorId !== actor.userId)) {
      throw forbidden('Only an ADMIN or the editor whose change opened it may resolve a conflict');
    }
    if (request.choice === 'CUSTOM' && request.value === undefined) {
      throw badUserInput('CUSTOM needs a value', { field: 'value' });
    }
    const conflict = await selectConflict(tx, found.id);
    if (!conflict) throw new ConvergeError(ErrorCode.NOT_FOUND, 'No such conflict');
    if (conflict.status === 'RESOLVED')
      throw badUserInput('This conflict is already resolved', { field: 'id' });
    await writer.load(conflict.entityType, [conflict.entityId]);
    const entity = writer.get(conflict.entityType, conflict.entityId);
    if (!entity)
      throw new ConvergeError(ErrorCode.NOT_FOUND, 'The conflicting entity no longer exists');

    const description = entityOfType(conflict.entityType);
    const ownerProblem = ownerRuleProblem(role, actor, description, entity);
    if (ownerProblem) throw refusal(ownerProblem);
    const resolution = resolutionOf(description, conflict, entity, request, writer.now);
    await checkReferences(tx, writer, description, resolution.written);
    writer.record({
      type: conflict.entityType,
      row: resolution.row,
      op: 'UPDATE',
      changes: resolution.changes,
      actorId: actor.userId,
      clientId: null,
      mutationId: null,
    });
    await writer.flush();
    const resolved = await markConflictResolved(tx, {
      id: conflict.id,
      resolution: toJsonValue(resolution.value),
      resolvedAt: writer.now,
      resolvedBy: actor.userId,
    });
    return { conflict: resolved, committed: writer.committed };
  });
}

interface Resolution {
  row: SyncEntity;
  changes: FieldChanges;
  /** What the conflict records as its resolution. */
  value: unknown;
  /** The values taken from the conflict or the client, as a patch: checked as a push is. */
  written: Record<string, unknown>;
}

/** A resolution refers only to what a pushed change could: the same checks, the same codes. */
async function checkReferences(
  tx: SqlQueryable,
  writer: WorkspaceWriter,
  entity: EntityDescription,
  patch: Record<string, unknown>,
): Promise<void> {
  const references = emptyReferences();
  collectReferences(entity, patch, references);
  const memberIds = await loadReferences(tx, writer, references);
  const problem = referenceProblem(writer, memberIds, entity, patch);
  if (problem) throw refusal(problem);
}

function refusal(problem: ChangeProblem): ConvergeError {
  return new ConvergeError(
    problem.code,
    problem.message,
    problem.field ? { field: problem.field } : {},
  );
}

/** The entity after the decision, and the change-log entry that records it. */
function resolutionOf(
  description: EntityDescription,
  conflict: Conflict,
  entity: SyncEntity,
  request: ResolveConflictRequest,
  now: Date,
): Resolution {
  const chosenRaw = request.choice === 'LOCAL' ? conflict.localValue : request.value;
  const meta = readFieldMeta(entity);
  const version = entity.version + 1;
  const stamp = { hlc: formatHlc(now.getTime(), 0), clientId: '' };

  let values: Record<string, unknown>;
  let value: unknown;
  let written: Record<string, unknown> = {};
  if (conflict.field === '_deleted') {
    // SERVER keeps the tombstone; LOCAL and CUSTOM bring the entity back with a patch.
    const patch = request.choice === 'SERVER' ? null : decodePatch(description, chosenRaw);
    values = patch
      ? { deleted: false, ...decidedValues(description, entity, meta, patch, stamp) }
      : { deleted: true };
    value = patch ? chosenRaw : { deleted: true };
    written = patch ?? {};
  } else {
    const chosen =
      request.choice === 'SERVER'
        ? entity[conflict.field]
        : decodePatch(description, { [conflict.field]: chosenRaw })[conflict.field];
    values = { [conflict.field]: chosen };
    value = chosen;
    // SERVER rewrites the value the entity already has: nothing new is referred to.
    if (request.choice !== 'SERVER') written = { [conflict.field]: chosen };
  }

  const changes: FieldChanges = {};
  for (const [field, next] of Object.entries(values)) {
    changes[field] = { old: toJsonValue(entity[field]), new: toJsonValue(next) };
    if (field !== 'deleted') meta.fields[field] = { version, ...stamp };
  }
  const row: SyncEntity = { ...entity, ...values, version, fieldMeta: meta };
  return { row, changes, value, written };
}

/** A JSON object from a conflict or a client, checked exactly as a patch would be. */
function decodePatch(entity: EntityDescription, raw: unknown): Record<string, unknown> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw badUserInput('value must be an object of patch fields', { field: 'value' });
  }
  // JSON carries dates as strings; the validator checks them as the DateTime scalar would.
  const patch: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  for (const field of entity.fields) {
    if (Object.hasOwn(patch, field.name))
      patch[field.name] = fromJsonValue(field, patch[field.name]);
  }
  const problem = validatePatch(entity, patch, 'update');
  if (problem) throw badUserInput(`value: ${problem.field} ${problem.message}`, { field: 'value' });
  return patch;
}

/** A patch applied as plain writes: a resolution is a decision, not another merge. */
function decidedValues(
  entity: EntityDescription,
  before: SyncEntity,
  meta: FieldMeta,
  patch: Record<string, unknown>,
  stamp: Stamp,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [field, fieldPatch] of fieldPatchesOf(entity, patch)) {
    const written = strategyMerges[field.strategy].decide({
      entity,
      field,
      patch: fieldPatch,
      before: before[field.name],
      meta,
      stamp,
    });
    if ('problem' in written) {
      const { problem } = written;
      throw badUserInput(`value: ${problem.field} ${problem.message}`, { field: 'value' });
    }
    values[field.name] = written.value;
  }
  return values;
}
