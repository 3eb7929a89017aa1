import type { EntityDescription, FieldDescription } from '../../model/index.ts';
import {
  maxHlc,
  mergeLww,
  mergeManual,
  mergeText,
  type Stamp,
  successorHlc,
  valuesEqual,
} from '../../model/merge/index.ts';
import {
  defaultValueOf,
  type FieldMeta,
  readFieldMeta,
  toJsonValue,
  writableFields,
} from './entities.ts';
import { strategyMerges } from './strategies.ts';
import type { ChangeRequest, SyncEntity } from './types.ts';
import type { FieldProblem } from './validation.ts';
import type { FieldChanges, WorkspaceWriter } from './workspace-writer.ts';

export interface ConflictField {
  field: string;
  base: unknown;
  local: unknown;
  server: unknown;
}

/** What one change asks of one model field, gathered from the patch fields by their role. */
export interface FieldPatch {
  /** VALUE: the new value (null clears). */
  value?: unknown;
  /** ADD / REMOVE: a @set field's operations. */
  add?: readonly string[];
  remove?: readonly string[];
  /** DELTA: a @counter field's increment. */
  delta?: number;
}

/** The fields a patch changes, in the model's field order, with what it asks of each. */
export function fieldPatchesOf(
  entity: EntityDescription,
  patch: Record<string, unknown>,
): [FieldDescription, FieldPatch][] {
  const patches: [FieldDescription, FieldPatch][] = [];
  for (const field of entity.fields) {
    const fieldPatch: FieldPatch = {};
    let present = false;
    for (const patchField of field.patchFields) {
      const value = Object.hasOwn(patch, patchField.name) ? patch[patchField.name] : undefined;
      if (value === undefined) continue;
      present = true;
      if (patchField.role === 'ADD') fieldPatch.add = value as string[];
      else if (patchField.role === 'REMOVE') fieldPatch.remove = value as string[];
      else if (patchField.role === 'DELTA') fieldPatch.delta = value as number;
      else fieldPatch.value = value;
    }
    if (present) patches.push([field, fieldPatch]);
  }
  return patches;
}

/**
 * The values and merge state of a new entity: each field from the create's patch by its
 * strategy, or its default; the @owner field is the creator. Every written field is stamped
 * with the create's stamp at version 1.
 */
export function createdValues(
  entity: EntityDescription,
  patch: Record<string, unknown>,
  creatorId: string,
  stamp: Stamp,
): { values: Record<string, unknown>; meta: FieldMeta } | { problem: FieldProblem } {
  const values: Record<string, unknown> = {};
  const meta: FieldMeta = { fields: {} };
  const patches = new Map(fieldPatchesOf(entity, patch));
  for (const field of entity.fields) {
    if (field.owner) {
      values[field.name] = creatorId;
      continue;
    }
    const written = strategyMerges[field.strategy].decide({
      entity,
      field,
      patch: patches.get(field) ?? {},
      before: defaultValueOf(field),
      meta,
      stamp,
    });
    if ('problem' in written) return written;
    values[field.name] = written.value;
  }
  for (const field of writableFields(entity)) meta.fields[field.name] = { version: 1, ...stamp };
  return { values, meta };
}

/**
 * Field-by-field merge of one update against the server row (docs/protocol.md, Merge
 * strategies). Each field is merged by its strategy's entry in server/sync/strategies.ts,
 * which uses the helpers below to read the server's state and to write.
 */
export class FieldMerge {
  readonly values: Record<string, unknown> = {};
  readonly changes: FieldChanges = {};
  readonly mergedFields: string[] = [];
  readonly conflictFields: ConflictField[] = [];
  readonly meta: FieldMeta;
  readonly version: number;

  constructor(
    private readonly writer: WorkspaceWriter,
    private readonly change: ChangeRequest,
    readonly entity: EntityDescription,
    private readonly existing: SyncEntity,
    private readonly baseVersion: number,
    /** The change's own stamp. */
    readonly stamp: Stamp,
  ) {
    this.meta = readFieldMeta(existing);
    this.version = existing.version + 1;
  }

  /** Merges every field of the patch; a problem rejects the whole change. */
  async run(patch: Record<string, unknown>): Promise<{ problem: FieldProblem } | this> {
    for (const [field, fieldPatch] of fieldPatchesOf(this.entity, patch)) {
      const problem = await strategyMerges[field.strategy].merge(this, field, fieldPatch);
      if (problem) return { problem };
    }
    return this;
  }

  current(column: string): unknown {
    return this.existing[column];
  }

  isConcurrent(column: string): boolean {
    return (this.meta.fields[column]?.version ?? 1) > this.baseVersion;
  }

  /**
   * A write whose value equals the server's still counts when it carries a new stamp: an LWW
   * register's stamp is part of its state, and dropping it would let an older concurrent write
   * win in one arrival order but not another (found by the convergence property test).
   */
  write(column: string, value: unknown, stamp: Stamp): void {
    const old = this.current(column);
    const previous = this.meta.fields[column];
    const sameStamp = previous?.hlc === stamp.hlc && previous.clientId === stamp.clientId;
    if (valuesEqual(old, value) && sameStamp) return;
    this.meta.fields[column] = { version: this.version, ...stamp };
    this.values[column] = value;
    this.changes[column] = { old: toJsonValue(old), new: toJsonValue(value) };
  }

  serverStamp(column: string): Stamp | undefined {
    const write = this.meta.fields[column];
    return write ? { hlc: write.hlc, clientId: write.clientId } : undefined;
  }

  /** A change that saw the server's write is causally after it: its stamp must sort higher. */
  causalStamp(column: string): Stamp {
    const server = this.serverStamp(column);
    if (!server) return this.stamp;
    return { hlc: maxHlc(this.stamp.hlc, successorHlc(server.hlc)), clientId: this.stamp.clientId };
  }

  /** The value the field had at the change's baseVersion: the base of a three-way merge. */
  baseValue(column: string, server: unknown): Promise<unknown> {
    return this.writer.valueAtVersion(
      this.change.entityType,
      this.existing.id,
      column,
      this.baseVersion,
      server,
    );
  }

  mergeLww(column: string, value: unknown): void {
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

  async mergeText(column: string, local: string): Promise<void> {
    const server = this.current(column);
    if (!this.isConcurrent(column)) return this.write(column, local, this.causalStamp(column));
    const base = await this.baseValue(column, server);
    const merged = mergeText(
      typeof base === 'string' ? base : '',
      typeof server === 'string' ? server : '',
      local,
    );
    if (merged.ok) {
      this.mergedFields.push(column);
      this.write(column, merged.value, this.causalStamp(column));
    } else {
      this.conflictFields.push({ field: column, base, local, server });
    }
  }

  async mergeManual(column: string, local: unknown): Promise<void> {
    const server = this.current(column);
    const concurrent = this.isConcurrent(column);
    const result = mergeManual({ serverValue: server, localValue: local, concurrent });
    if (result.outcome === 'applied')
      return this.write(column, result.value, this.causalStamp(column));
    const base = await this.baseValue(column, server);
    this.conflictFields.push({ field: column, base, local, server });
  }
}
