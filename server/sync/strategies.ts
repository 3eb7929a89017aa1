import type { EntityDescription, FieldDescription, Strategy } from '../../model/index.ts';
import {
  applyCounterDelta,
  applySetOps,
  type Stamp,
  setStatesFromList,
  visibleItems,
} from '../../model/merge/index.ts';
import type { FieldMeta } from './entities.ts';
import type { FieldMerge, FieldPatch } from './field-merge.ts';
import { type FieldProblem, itemNoun, limits, wordsOf } from './validation.ts';

/**
 * The server side of each merge strategy (docs/protocol.md, Merge strategies), one entry per
 * strategy of model/strategies.ts: how a concurrent update merges (`merge`) and how a write
 * without concurrency, a create or a conflict's resolution, sets the field (`decide`). The
 * pure merge functions live in model/merge so the client can apply the same rules.
 */
export interface StrategyMerge {
  merge(
    merge: FieldMerge,
    field: FieldDescription,
    patch: FieldPatch,
  ): Promise<FieldProblem | null> | FieldProblem | null;
  decide(write: DecidedWrite): { value: unknown } | { problem: FieldProblem };
}

/** A write that is a decision, not a merge: a create (from defaults) or a resolution. */
export interface DecidedWrite {
  entity: EntityDescription;
  field: FieldDescription;
  patch: FieldPatch;
  /** The field's value before: its default for a create. */
  before: unknown;
  /** The row's merge state, updated in place (set states). */
  meta: FieldMeta;
  stamp: Stamp;
}

const decideValue: StrategyMerge['decide'] = ({ patch, before }) => ({
  value: 'value' in patch ? patch.value : before,
});

export const strategyMerges: Readonly<Record<Strategy, StrategyMerge>> = {
  LWW: {
    merge: (merge, field, patch) => {
      merge.mergeLww(field.name, patch.value);
      return null;
    },
    decide: decideValue,
  },
  TEXT: {
    merge: async (merge, field, patch) => {
      await merge.mergeText(field.name, patch.value as string);
      return null;
    },
    decide: decideValue,
  },
  MANUAL: {
    merge: async (merge, field, patch) => {
      await merge.mergeManual(field.name, patch.value);
      return null;
    },
    decide: decideValue,
  },
  SET: {
    merge: (merge, field, patch) => {
      const column = field.name;
      const concurrent = merge.isConcurrent(column);
      const serverStamp = merge.serverStamp(column) ?? { hlc: '0:0', clientId: '' };
      const states =
        merge.meta.sets?.[column] ?? setStatesFromList(listOf(merge.current(column)), serverStamp);
      const stamp = concurrent ? merge.stamp : merge.causalStamp(column);
      const next = applySetOps(states, opsOf(patch), stamp).states;
      const items = visibleItems(next);
      const problem = tooManyItems(merge.entity, field, items);
      if (problem) return problem;
      merge.meta.sets = { ...merge.meta.sets, [column]: next };
      if (concurrent) merge.mergedFields.push(column);
      merge.write(column, items, stamp);
      return null;
    },
    decide: ({ entity, field, patch, before, meta, stamp }) => {
      const states = meta.sets?.[field.name] ?? setStatesFromList(listOf(before), stamp);
      const next = applySetOps(states, opsOf(patch), stamp).states;
      const items = visibleItems(next);
      const problem = tooManyItems(entity, field, items);
      if (problem) return { problem };
      meta.sets = { ...meta.sets, [field.name]: next };
      return { value: items };
    },
  },
  COUNTER: {
    merge: (merge, field, patch) => {
      const column = field.name;
      const total = addToCounter(field, merge.current(column), patch.delta);
      if (typeof total !== 'number') return total.problem;
      if (merge.isConcurrent(column)) merge.mergedFields.push(column);
      merge.write(column, total, merge.causalStamp(column));
      return null;
    },
    decide: ({ field, patch, before }) => {
      if (patch.delta === undefined) return { value: before };
      const total = addToCounter(field, before, patch.delta);
      return typeof total === 'number' ? { value: total } : total;
    },
  },
};

function opsOf(patch: FieldPatch): { add: readonly string[]; remove: readonly string[] } {
  return { add: patch.add ?? [], remove: patch.remove ?? [] };
}

const listOf = (value: unknown): string[] => (Array.isArray(value) ? (value as string[]) : []);

/** @items bounds the whole set, not only each operation. */
function tooManyItems(
  entity: EntityDescription,
  field: FieldDescription,
  items: readonly string[],
): FieldProblem | null {
  const max = field.constraints.maxItems;
  if (max === null || items.length <= max) return null;
  const add = field.patchFields.find((patchField) => patchField.role === 'ADD');
  return {
    field: add?.name ?? field.name,
    message: `would give the ${wordsOf(entity.name)} more than ${max} ${itemNoun(field.name).plural}`,
  };
}

/**
 * The total after a delta. An Int counter's column is a 32-bit integer: a sum outside it would
 * fail the whole batch in the database. A Float counter stays finite.
 */
function addToCounter(
  field: FieldDescription,
  value: unknown,
  delta: number | undefined,
): number | { problem: FieldProblem } {
  const deltaField = field.patchFields.find((patchField) => patchField.role === 'DELTA');
  const problem = (range: string): { problem: FieldProblem } => ({
    problem: {
      field: deltaField?.name ?? field.name,
      message: `would take ${field.name} outside ${range}`,
    },
  });
  const isInt = field.scalar === 'Int';
  try {
    const total = applyCounterDelta(
      typeof value === 'number' ? value : 0,
      delta ?? 0,
      isInt ? 'Int' : 'Float',
    );
    if (isInt && (total < limits.intMin || total > limits.intMax)) {
      return problem(`${limits.intMin}..${limits.intMax}`);
    }
    return total;
  } catch {
    return problem(isInt ? `${limits.intMin}..${limits.intMax}` : 'the finite numbers');
  }
}
