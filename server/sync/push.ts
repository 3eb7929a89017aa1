import type { Conflict, EntityType, PrismaClient, Role } from '../db/generated/prisma/client.ts';
import { badUserInput, type ChangeErrorCode, ConvergeError, ErrorCode } from '../errors.ts';
import {
  columnOfPatchField,
  entityDescriptors,
  type FieldMeta,
  readFieldMeta,
  toJsonValue,
} from './entities.ts';
import { effectiveHlc, maxHlc, successorHlc } from './hlc.ts';
import {
  applyCounterDelta,
  applyTagOps,
  fieldStrategies,
  mergeLww,
  mergeManual,
  mergeText,
  type Stamp,
  tagStatesFromList,
  valuesEqual,
  visibleTags,
} from './merge/index.ts';
import type {
  Actor,
  ChangeRequest,
  ChangeResult,
  PushRequest,
  PushResult,
  SyncEntity,
} from './types.ts';
import {
  type FieldProblem,
  limits,
  patchValidators,
  validateClientId,
  validateEntityId,
  validateHlcField,
  validateMutationId,
} from './validation.ts';
import { type FieldChanges, WorkspaceWriter } from './workspace-writer.ts';
import { requireAccess } from './workspaces.ts';

export interface PushOptions {
  /** Most changes one call may carry (MAX_BATCH). */
  maxBatch: number;
  /** Injectable clock for tests. */
  now?: () => Date;
}

const TRANSACTION_OPTIONS = { maxWait: 15_000, timeout: 60_000 } as const;

/**
 * pushChanges (DESIGN.md sections 3 and 4): applies each change on its own merits, in the
 * order given, in one transaction under the workspace lock. The idempotency records are
 * written in that same transaction, so a replay after a crash either finds the whole batch
 * applied or none of it.
 */
export async function pushChanges(
  prisma: PrismaClient,
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
  const role = await requireAccess(prisma, actor, request.workspaceId, 'push');
  const now = options.now?.() ?? new Date();

  return prisma.$transaction(async (tx) => {
    const writer = await WorkspaceWriter.open(tx, request.workspaceId, now);
    if (!writer)
      throw new ConvergeError(ErrorCode.FORBIDDEN, 'You are not a member of this workspace');
    const batch = new Batch(writer, actor, role, request.clientId, now);
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
  }, TRANSACTION_OPTIONS);
}

interface AppliedRecord {
  workspaceId: string;
  entityType: EntityType;
  entityId: string;
}

type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

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
  private readonly memberIds = new Set<string>();
  private readonly nowMillis: number;

  constructor(
    private readonly writer: WorkspaceWriter,
    private readonly actor: Actor,
    private readonly role: Role,
    private readonly clientId: string,
    now: Date,
  ) {
    this.nowMillis = now.getTime();
  }

  /** Loads in a few queries everything the batch will look at: no query per change. */
  async prefetch(tx: Tx, changes: readonly ChangeRequest[]): Promise<void> {
    const ids: Record<EntityType, Set<string>> = {
      PROJECT: new Set(),
      TASK: new Set(),
      COMMENT: new Set(),
    };
    const assignees = new Set<string>();
    for (const change of changes) {
      ids[change.entityType].add(change.id);
      const patch = change.patch ?? {};
      if (typeof patch.projectId === 'string') ids.PROJECT.add(patch.projectId);
      if (typeof patch.taskId === 'string') ids.TASK.add(patch.taskId);
      if (typeof patch.assigneeId === 'string') assignees.add(patch.assigneeId);
    }
    for (const type of ['PROJECT', 'TASK', 'COMMENT'] as const)
      await this.writer.load(type, ids[type]);

    const mutationIds = [...new Set(changes.map((change) => change.mutationId))];
    const records = await tx.appliedMutation.findMany({
      where: { clientId: this.clientId, mutationId: { in: mutationIds } },
      select: { mutationId: true, workspaceId: true, entityType: true, entityId: true },
    });
    for (const { mutationId, ...record } of records) this.applied.set(mutationId, record);

    if (assignees.size > 0) {
      const members = await tx.member.findMany({
        where: { workspaceId: this.writer.workspaceId, userId: { in: [...assignees] } },
        select: { userId: true },
      });
      for (const member of members) this.memberIds.add(member.userId);
    }
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
    const problem = validateIdentity(change);
    if (problem) return validationRejection(problem);

    const previous = this.applied.get(change.mutationId);
    if (previous) return this.duplicate(change, previous);

    const existing = this.writer.get(change.entityType, change.id);
    if (existing && existing.workspaceId !== this.writer.workspaceId) {
      return rejected(ErrorCode.WRONG_WORKSPACE, 'This id belongs to another workspace', 'id');
    }
    if (existing && !this.mayModify(change.entityType, existing)) {
      return rejected(ErrorCode.FORBIDDEN, 'Only the author or an ADMIN may change a comment');
    }

    const stamp: Stamp = { hlc: effectiveHlc(change.hlc, this.nowMillis), clientId: this.clientId };
    const outcome = change.delete
      ? this.remove(change, existing)
      : existing
        ? await this.update(change, existing, stamp)
        : this.create(change, stamp);

    if (outcome.status !== 'REJECTED') this.remember(change);
    return outcome;
  }

  private duplicate(change: ChangeRequest, previous: AppliedRecord): Outcome {
    const sameChange =
      previous.workspaceId === this.writer.workspaceId &&
      previous.entityType === change.entityType &&
      previous.entityId === change.id;
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
    const record = {
      workspaceId: this.writer.workspaceId,
      entityType: change.entityType,
      entityId: change.id,
    };
    this.applied.set(change.mutationId, record);
    this.writer.recordMutation({
      clientId: this.clientId,
      mutationId: change.mutationId,
      userId: this.actor.userId,
      entityType: change.entityType,
      entityId: change.id,
    });
  }

  // Comments belong to their author: other editors may read them but not rewrite them.
  private mayModify(type: EntityType, entity: SyncEntity): boolean {
    if (type !== 'COMMENT' || this.role === 'ADMIN') return true;
    return 'authorId' in entity && entity.authorId === this.actor.userId;
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

  private create(change: ChangeRequest, stamp: Stamp): Outcome {
    if ((change.baseVersion ?? 0) > 0) return rejected(ErrorCode.NOT_FOUND, 'No such entity', 'id');
    const patch = change.patch ?? {};
    const problem = patchValidators[change.entityType](patch, 'create');
    if (problem) return validationRejection(problem);
    const referenceProblem = this.checkReferences(patch);
    if (referenceProblem) return referenceProblem;

    const descriptor = entityDescriptors[change.entityType];
    const values: Record<string, unknown> = { ...descriptor.defaults };
    const meta: FieldMeta = { fields: {} };
    for (const [field, value] of definedEntries(patch)) {
      if (field === 'tagsAdd' || field === 'tagsRemove') continue;
      if (field === 'timeSpentDelta')
        values.timeSpentMinutes = applyCounterDelta(0, value as number);
      else values[field] = value;
    }
    if (change.entityType === 'TASK') {
      const tags = applyTagOps({}, tagOpsOf(patch), stamp);
      meta.tags = tags.states;
      values.tags = visibleTags(tags.states);
      if ((values.tags as string[]).length > limits.maxTagsPerTask) return tooManyTags();
    }
    if (change.entityType === 'COMMENT') values.authorId = this.actor.userId;
    for (const field of descriptor.dataFields) meta.fields[field] = { version: 1, ...stamp };

    const row = {
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
    } as unknown as SyncEntity;
    const changes: FieldChanges = {};
    for (const field of descriptor.dataFields)
      changes[field] = { old: null, new: toJsonValue(values[field]) };
    const entity = this.writer.record({
      type: change.entityType,
      row,
      op: 'CREATE',
      changes,
      actorId: this.actor.userId,
      clientId: this.clientId,
      mutationId: change.mutationId,
    });
    return { status: 'APPLIED', entity, conflict: null, mergedFields: [] };
  }

  private async update(
    change: ChangeRequest,
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
    const problem = patchValidators[change.entityType](patch, 'update');
    if (problem) return validationRejection(problem);
    if (existing.deleted) return this.editOfDeleted(change, existing, patch);
    const referenceProblem = this.checkReferences(patch);
    if (referenceProblem) return referenceProblem;

    const merge = await new FieldMerge(this.writer, change, existing, baseVersion, stamp).run(
      patch,
    );
    if ('rejection' in merge) return merge.rejection;
    let entity = existing;
    if (Object.keys(merge.changes).length > 0) {
      entity = this.writer.record({
        type: change.entityType,
        row: {
          ...existing,
          ...merge.values,
          version: merge.version,
          updatedBy: this.actor.userId,
          fieldMeta: merge.meta,
        } as unknown as SyncEntity,
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
    return { status, entity, conflict, mergedFields: merge.mergedFields };
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

  private checkReferences(patch: Record<string, unknown>): Outcome | null {
    if (typeof patch.projectId === 'string' && !this.isLiveEntity('PROJECT', patch.projectId)) {
      return rejected(
        ErrorCode.INVALID_REFERENCE,
        'projectId names no project of this workspace',
        'projectId',
      );
    }
    if (typeof patch.taskId === 'string' && !this.isLiveEntity('TASK', patch.taskId)) {
      return rejected(
        ErrorCode.INVALID_REFERENCE,
        'taskId names no task of this workspace',
        'taskId',
      );
    }
    if (typeof patch.assigneeId === 'string' && !this.memberIds.has(patch.assigneeId)) {
      return rejected(
        ErrorCode.INVALID_REFERENCE,
        'assigneeId names no member of this workspace',
        'assigneeId',
      );
    }
    return null;
  }

  private isLiveEntity(type: EntityType, id: string): boolean {
    const entity = this.writer.get(type, id);
    return !!entity && entity.workspaceId === this.writer.workspaceId && !entity.deleted;
  }
}

interface ConflictField {
  field: string;
  base: unknown;
  local: unknown;
  server: unknown;
}

/** Field-by-field merge of one update against the server row (DESIGN.md section 3). */
class FieldMerge {
  readonly values: Record<string, unknown> = {};
  readonly changes: FieldChanges = {};
  readonly mergedFields: string[] = [];
  readonly conflictFields: ConflictField[] = [];
  readonly meta: FieldMeta;
  readonly version: number;
  private readonly strategies: Record<string, string>;

  constructor(
    private readonly writer: WorkspaceWriter,
    private readonly change: ChangeRequest,
    private readonly existing: SyncEntity,
    private readonly baseVersion: number,
    private readonly stamp: Stamp,
  ) {
    this.meta = readFieldMeta(existing);
    this.version = existing.version + 1;
    this.strategies = fieldStrategies[change.entityType];
  }

  async run(patch: Record<string, unknown>): Promise<{ rejection: Outcome } | this> {
    for (const [field, value] of definedEntries(patch)) {
      const column = columnOfPatchField(field);
      if (field === 'tagsRemove' && 'tagsAdd' in patch && patch.tagsAdd !== undefined) continue;
      switch (this.strategies[column] ?? 'LWW') {
        case 'TEXT':
          await this.mergeTextField(column, value as string);
          break;
        case 'SET':
          if (!this.mergeTags(tagOpsOf(patch))) return { rejection: tooManyTags() };
          break;
        case 'COUNTER':
          this.addToCounter(column, value as number);
          break;
        case 'MANUAL':
          await this.mergeManualField(column, value);
          break;
        default:
          this.mergeLwwField(column, value);
      }
    }
    return this;
  }

  private current(column: string): unknown {
    return (this.existing as unknown as Record<string, unknown>)[column];
  }

  private isConcurrent(column: string): boolean {
    return (this.meta.fields[column]?.version ?? 1) > this.baseVersion;
  }

  private write(column: string, value: unknown, stamp: Stamp): void {
    const old = this.current(column);
    this.meta.fields[column] = { version: this.version, ...stamp };
    if (valuesEqual(old, value)) return;
    this.values[column] = value;
    this.changes[column] = { old: toJsonValue(old), new: toJsonValue(value) };
  }

  private serverStamp(column: string): Stamp | undefined {
    const write = this.meta.fields[column];
    return write ? { hlc: write.hlc, clientId: write.clientId } : undefined;
  }

  private mergeLwwField(column: string, value: unknown): void {
    const concurrent = this.isConcurrent(column);
    const result = mergeLww({
      serverValue: this.current(column),
      serverStamp: this.serverStamp(column),
      localValue: value,
      localStamp: this.stamp,
      concurrent,
    });
    if (concurrent) this.mergedFields.push(column);
    // The losing side of a concurrent write leaves the field, and its stamp, as they were.
    if (valuesEqual(result.value, value)) this.write(column, value, result.stamp);
  }

  private async mergeTextField(column: string, local: string): Promise<void> {
    const server = this.current(column) as string;
    if (!this.isConcurrent(column)) return this.write(column, local, this.causalStamp(column));
    const base = await this.baseValue(column, server);
    const merged = mergeText(typeof base === 'string' ? base : '', server, local);
    if (merged.ok) {
      this.mergedFields.push(column);
      this.write(column, merged.value, this.causalStamp(column));
    } else {
      this.conflictFields.push({ field: column, base, local, server });
    }
  }

  private mergeTags(ops: { add: string[]; remove: string[] }): boolean {
    const concurrent = this.isConcurrent('tags');
    const serverStamp = this.serverStamp('tags') ?? { hlc: '0:0', clientId: '' };
    const states =
      this.meta.tags ?? tagStatesFromList((this.existing as { tags: string[] }).tags, serverStamp);
    const stamp = concurrent ? this.stamp : this.causalStamp('tags');
    const result = applyTagOps(states, ops, stamp);
    const tags = visibleTags(result.states);
    if (tags.length > limits.maxTagsPerTask) return false;
    this.meta.tags = result.states;
    if (concurrent) this.mergedFields.push('tags');
    this.write('tags', tags, stamp);
    return true;
  }

  private addToCounter(column: string, delta: number): void {
    if (this.isConcurrent(column)) this.mergedFields.push(column);
    this.write(
      column,
      applyCounterDelta(this.current(column) as number, delta),
      this.causalStamp(column),
    );
  }

  private async mergeManualField(column: string, local: unknown): Promise<void> {
    const server = this.current(column);
    const concurrent = this.isConcurrent(column);
    const result = mergeManual({ serverValue: server, localValue: local, concurrent });
    if (result.outcome === 'applied')
      return this.write(column, result.value, this.causalStamp(column));
    const base = await this.baseValue(column, server);
    this.conflictFields.push({ field: column, base, local, server });
  }

  private baseValue(column: string, server: unknown): Promise<unknown> {
    const { entityType } = this.change;
    return this.writer.valueAtVersion(
      entityType,
      this.existing.id,
      column,
      this.baseVersion,
      server,
    );
  }

  /** A change that saw the server's write is causally after it: its stamp must sort higher. */
  private causalStamp(column: string): Stamp {
    const server = this.serverStamp(column);
    if (!server) return this.stamp;
    return { hlc: maxHlc(this.stamp.hlc, successorHlc(server.hlc)), clientId: this.stamp.clientId };
  }
}

function validateIdentity(change: ChangeRequest): FieldProblem | null {
  return (
    validateMutationId(change.mutationId) ??
    validateEntityId(change.id) ??
    (change.hlc === null ? null : validateHlcField(change.hlc))
  );
}

function definedEntries(patch: Record<string, unknown>): [string, unknown][] {
  return Object.entries(patch).filter(([, value]) => value !== undefined);
}

function tagOpsOf(patch: Record<string, unknown>): { add: string[]; remove: string[] } {
  return {
    add: (patch.tagsAdd as string[] | null | undefined) ?? [],
    remove: (patch.tagsRemove as string[] | null | undefined) ?? [],
  };
}

const tooManyTags = (): Outcome =>
  rejected(ErrorCode.VALIDATION, `a task has at most ${limits.maxTagsPerTask} tags`, 'tagsAdd');
