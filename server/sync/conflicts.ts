import type { Tx } from '../db/client.ts';
import {
  type Conflict,
  type ConflictStatus,
  type EntityType,
  Prisma,
  type PrismaClient,
} from '../db/generated/prisma/client.ts';
import { badUserInput, ConvergeError, ErrorCode, forbidden } from '../errors.ts';
import {
  type ChangeProblem,
  collectReferences,
  emptyReferences,
  loadReferences,
  mayModify,
  notTheAuthor,
  referenceProblem,
} from './change-rules.ts';
import { columnOfPatchField, type FieldMeta, readFieldMeta, toJsonValue } from './entities.ts';
import { tooManyTags } from './field-merge.ts';
import { formatHlc } from './hlc.ts';
import {
  applyCounterDelta,
  applyTagOps,
  type Stamp,
  tagStatesFromList,
  visibleTags,
} from './merge/index.ts';
import type { Actor, CommittedChange, SyncEntity } from './types.ts';
import { limits, patchValidators, validateEntityId } from './validation.ts';
import { type FieldChanges, WorkspaceWriter } from './workspace-writer.ts';
import { requireAccess } from './workspaces.ts';

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
  prisma: PrismaClient,
  actor: Actor,
  request: ResolveConflictRequest,
  now: () => Date = () => new Date(),
): Promise<ResolveConflictResult> {
  if (validateEntityId(request.id)) throw badUserInput('Invalid conflict id', { field: 'id' });
  const conflict = await prisma.conflict.findUnique({ where: { id: request.id } });
  if (!conflict) throw new ConvergeError(ErrorCode.NOT_FOUND, 'No such conflict');
  const role = await requireAccess(prisma, actor, conflict.workspaceId, 'read');
  if (role === 'VIEWER' || (role === 'EDITOR' && conflict.actorId !== actor.userId)) {
    throw forbidden('Only an ADMIN or the editor whose change opened it may resolve a conflict');
  }
  if (request.choice === 'CUSTOM' && request.value === undefined) {
    throw badUserInput('CUSTOM needs a value', { field: 'value' });
  }

  return prisma.$transaction(async (tx) => {
    const writer = await WorkspaceWriter.open(tx, conflict.workspaceId, now());
    if (!writer) throw forbidden('You are not a member of this workspace');
    const current = await tx.conflict.findUniqueOrThrow({ where: { id: conflict.id } });
    if (current.status === 'RESOLVED')
      throw badUserInput('This conflict is already resolved', { field: 'id' });
    await writer.load(conflict.entityType, [conflict.entityId]);
    const entity = writer.get(conflict.entityType, conflict.entityId);
    if (!entity)
      throw new ConvergeError(ErrorCode.NOT_FOUND, 'The conflicting entity no longer exists');

    if (!mayModify(role, actor, conflict.entityType, entity)) throw refusal(notTheAuthor);
    const resolution = resolutionOf(conflict, entity, request, writer.now);
    await checkReferences(tx, writer, resolution.written);
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
    const resolved = await tx.conflict.update({
      where: { id: conflict.id },
      data: {
        status: 'RESOLVED',
        resolution: toJsonValue(resolution.value) ?? Prisma.DbNull,
        resolvedAt: writer.now,
        resolvedBy: actor.userId,
      },
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
  tx: Tx,
  writer: WorkspaceWriter,
  patch: Record<string, unknown>,
): Promise<void> {
  const references = emptyReferences();
  collectReferences(patch, references);
  const memberIds = await loadReferences(tx, writer, references);
  const problem = referenceProblem(writer, memberIds, patch);
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
  conflict: Conflict,
  entity: SyncEntity,
  request: ResolveConflictRequest,
  now: Date,
): Resolution {
  const chosenRaw = request.choice === 'LOCAL' ? conflict.localValue : request.value;
  const before = entity as unknown as Record<string, unknown>;
  const meta = readFieldMeta(entity);
  const version = entity.version + 1;
  const stamp = { hlc: formatHlc(now.getTime(), 0), clientId: '' };

  let values: Record<string, unknown>;
  let value: unknown;
  let written: Record<string, unknown> = {};
  if (conflict.field === '_deleted') {
    // SERVER keeps the tombstone; LOCAL and CUSTOM bring the entity back with a patch.
    const patch = request.choice === 'SERVER' ? null : decodePatch(conflict.entityType, chosenRaw);
    values = patch
      ? { deleted: false, ...plainPatchValues(before, meta, patch, stamp) }
      : { deleted: true };
    value = patch ? chosenRaw : { deleted: true };
    written = patch ?? {};
  } else {
    const chosen =
      request.choice === 'SERVER'
        ? before[conflict.field]
        : decodeFieldValue(conflict.entityType, conflict.field, chosenRaw);
    values = { [conflict.field]: chosen };
    value = chosen;
    // SERVER rewrites the value the entity already has: nothing new is referred to.
    if (request.choice !== 'SERVER') written = { [conflict.field]: chosen };
  }
  if (Array.isArray(values.tags) && values.tags.length > limits.maxTagsPerTask) {
    throw badUserInput(`value: ${tooManyTags.field} ${tooManyTags.message}`, { field: 'value' });
  }

  const changes: FieldChanges = {};
  for (const [field, next] of Object.entries(values)) {
    changes[field] = { old: toJsonValue(before[field]), new: toJsonValue(next) };
    if (field !== 'deleted') meta.fields[field] = { version, ...stamp };
  }
  const row = { ...entity, ...values, version, fieldMeta: meta } as unknown as SyncEntity;
  return { row, changes, value, written };
}

/** A JSON value from a conflict or a client, checked exactly as a patch of that field would be. */
function decodeFieldValue(type: EntityType, field: string, raw: unknown): unknown {
  return decodePatch(type, { [field]: raw })[field];
}

function decodePatch(type: EntityType, raw: unknown): Record<string, unknown> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw badUserInput('value must be an object of patch fields', { field: 'value' });
  }
  // JSON carries dates as strings; the validator checks them as the DateTime scalar would.
  const patch: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  if (typeof patch.dueAt === 'string') patch.dueAt = new Date(patch.dueAt);
  const problem = patchValidators[type](patch, 'update');
  if (problem) throw badUserInput(`value: ${problem.field} ${problem.message}`, { field: 'value' });
  return patch;
}

/** A patch applied as plain writes: a resolution is a decision, not another merge. */
function plainPatchValues(
  before: Record<string, unknown>,
  meta: FieldMeta,
  patch: Record<string, unknown>,
  stamp: Stamp,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined || field === 'tagsAdd' || field === 'tagsRemove') continue;
    values[columnOfPatchField(field)] =
      field === 'timeSpentDelta'
        ? applyCounterDelta(before.timeSpentMinutes as number, value as number)
        : value;
  }
  if (patch.tagsAdd || patch.tagsRemove) {
    const states = meta.tags ?? tagStatesFromList(before.tags as string[], stamp);
    const ops = {
      add: (patch.tagsAdd as string[]) ?? [],
      remove: (patch.tagsRemove as string[]) ?? [],
    };
    meta.tags = applyTagOps(states, ops, stamp).states;
    values.tags = visibleTags(meta.tags);
  }
  return values;
}
