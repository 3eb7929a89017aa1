import { columnOfPatchField, type FieldMeta, readFieldMeta, toJsonValue } from './entities.ts';
import { maxHlc, successorHlc } from './hlc.ts';
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
import type { ChangeRequest, SyncEntity } from './types.ts';
import { type FieldProblem, limits } from './validation.ts';
import type { FieldChanges, WorkspaceWriter } from './workspace-writer.ts';

export interface ConflictField {
  field: string;
  base: unknown;
  local: unknown;
  server: unknown;
}

/**
 * Field-by-field merge of one update against the server row (docs/protocol.md, Merge strategies).
 */
export class FieldMerge {
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

  /** Merges every field of the patch; a problem rejects the whole change. */
  async run(patch: Record<string, unknown>): Promise<{ problem: FieldProblem } | this> {
    for (const [field, value] of definedEntries(patch)) {
      const column = columnOfPatchField(field);
      if (field === 'tagsRemove' && 'tagsAdd' in patch && patch.tagsAdd !== undefined) continue;
      switch (this.strategies[column] ?? 'LWW') {
        case 'TEXT':
          await this.mergeTextField(column, value as string);
          break;
        case 'SET':
          if (!this.mergeTags(tagOpsOf(patch))) return { problem: tooManyTags };
          break;
        case 'COUNTER':
          if (!this.addToCounter(column, value as number)) return { problem: counterOutOfRange };
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

  /**
   * A write whose value equals the server's still counts when it carries a new stamp: an LWW
   * register's stamp is part of its state, and dropping it would let an older concurrent write
   * win in one arrival order but not another (found by the convergence property test).
   */
  private write(column: string, value: unknown, stamp: Stamp): void {
    const old = this.current(column);
    const previous = this.meta.fields[column];
    const sameStamp = previous?.hlc === stamp.hlc && previous.clientId === stamp.clientId;
    if (valuesEqual(old, value) && sameStamp) return;
    this.meta.fields[column] = { version: this.version, ...stamp };
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

  private addToCounter(column: string, delta: number): boolean {
    const total = applyCounterDelta(this.current(column) as number, delta);
    if (!isCounterInRange(total)) return false;
    if (this.isConcurrent(column)) this.mergedFields.push(column);
    this.write(column, total, this.causalStamp(column));
    return true;
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

export function definedEntries(patch: Record<string, unknown>): [string, unknown][] {
  return Object.entries(patch).filter(([, value]) => value !== undefined);
}

export function tagOpsOf(patch: Record<string, unknown>): { add: string[]; remove: string[] } {
  return {
    add: (patch.tagsAdd as string[] | null | undefined) ?? [],
    remove: (patch.tagsRemove as string[] | null | undefined) ?? [],
  };
}

export const tooManyTags: FieldProblem = {
  field: 'tagsAdd',
  message: `would give the task more than ${limits.maxTagsPerTask} tags`,
};

export const counterOutOfRange: FieldProblem = {
  field: 'timeSpentDelta',
  message: `would take timeSpentMinutes outside ${limits.counterMin}..${limits.counterMax}`,
};

/** The column is a 32-bit integer: a sum outside it would fail the whole batch in the database. */
export function isCounterInRange(total: number): boolean {
  return total >= limits.counterMin && total <= limits.counterMax;
}
