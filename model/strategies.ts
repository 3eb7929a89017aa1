/**
 * The merge strategies (docs/protocol.md, Merge strategies), one registry entry each: the directive that
 * selects it, the field types it accepts and how its patch fields are named. The model reader
 * uses the entries to check fields and to derive patch inputs.
 *
 * Each entry also carries its local effect: what a patch does to the field when nobody wrote it
 * concurrently, which the client applies at once (model/effects.ts) and the server answers in
 * the common case. The pure merge functions are in model/merge; the server's merge of each
 * strategy is the entry of the same name in server/sync/strategies.ts.
 */

import type { FieldShape, PatchFieldDescription, Strategy } from './description.ts';
import type { ModelDirectiveName } from './directives.ts';
import { counterDeltaFieldName, setAddFieldName, setRemoveFieldName } from './naming.ts';

/** Names given in the strategy's directive, e.g. `@set(add: "tagsAdd")`. */
export interface PatchNameArguments {
  add?: string | null | undefined;
  remove?: string | null | undefined;
  delta?: string | null | undefined;
}

export interface StrategyDefinition {
  strategy: Strategy;
  /** The directive that selects it; null for LWW, the default. */
  directive: ModelDirectiveName | null;
  /** The field types it accepts, as a sentence for error messages. */
  accepts: string;
  acceptsShape(shape: FieldShape): boolean;
  /** The patch input fields that change a field of this strategy. */
  patchFields(field: string, shape: FieldShape, names: PatchNameArguments): PatchFieldDescription[];
  /** The field's next value from its current value and a patch's operations on it. */
  localEffect: LocalEffect;
}

export type PatchRole = PatchFieldDescription['role'];

/** One field's part of a patch, by role (`{ ADD: ['a'], REMOVE: ['b'] }`): only roles present. */
export type FieldOperations = Partial<Record<PatchRole, unknown>>;

/** A field's next value from its current value and the patch's operations on it. */
export type LocalEffect = (current: unknown, operations: FieldOperations) => unknown;

const replaceValue: LocalEffect = (current, operations) =>
  'VALUE' in operations ? operations.VALUE : current;

/**
 * The server orders a set by the stamp each item was last added with, ties by item (code-unit
 * order): everything a change adds, even an item already there, goes last, sorted; an item both
 * added and removed by one change stays (add wins at equal stamps).
 */
const applySetOperations: LocalEffect = (current, operations) => {
  if (!('ADD' in operations) && !('REMOVE' in operations)) return current;
  const added = [...new Set(listOf(operations.ADD))].sort(compareCodeUnits);
  const touched = new Set([...listOf(operations.REMOVE), ...added]);
  return [...listOf(current).filter((item) => !touched.has(item)), ...added];
};

const addDelta: LocalEffect = (current, operations) =>
  'DELTA' in operations ? Number(current ?? 0) + Number(operations.DELTA ?? 0) : current;

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function compareCodeUnits(a: unknown, b: unknown): number {
  const left = String(a);
  const right = String(b);
  if (left === right) return 0;
  return left < right ? -1 : 1;
}

const isSingleValue = (shape: FieldShape): boolean => !shape.list;

const valuePatchField = (field: string, shape: FieldShape): PatchFieldDescription[] => [
  { name: field, field, role: 'VALUE', graphqlType: shape.typeName },
];

export const strategies: Readonly<Record<Strategy, StrategyDefinition>> = {
  LWW: {
    strategy: 'LWW',
    directive: null,
    accepts: 'any scalar or enum field (not a list)',
    acceptsShape: isSingleValue,
    patchFields: valuePatchField,
    localEffect: replaceValue,
  },
  TEXT: {
    strategy: 'TEXT',
    directive: 'text',
    accepts: 'String or String!',
    acceptsShape: (shape) => isSingleValue(shape) && shape.typeName === 'String',
    patchFields: valuePatchField,
    localEffect: replaceValue,
  },
  SET: {
    strategy: 'SET',
    directive: 'set',
    accepts: '[String!]!, [ID!]! or a list of an enum such as [Color!]!',
    acceptsShape: (shape) =>
      shape.list &&
      !shape.nullable &&
      !shape.itemNullable &&
      (shape.kind === 'ENUM' || shape.typeName === 'String' || shape.typeName === 'ID'),
    patchFields: (field, shape, names) => {
      const listType = `[${shape.typeName}!]`;
      return [
        { name: names.add ?? setAddFieldName(field), field, role: 'ADD', graphqlType: listType },
        {
          name: names.remove ?? setRemoveFieldName(field),
          field,
          role: 'REMOVE',
          graphqlType: listType,
        },
      ];
    },
    localEffect: applySetOperations,
  },
  COUNTER: {
    strategy: 'COUNTER',
    directive: 'counter',
    accepts: 'Int! or Float!',
    acceptsShape: (shape) =>
      isSingleValue(shape) &&
      !shape.nullable &&
      (shape.typeName === 'Int' || shape.typeName === 'Float'),
    patchFields: (field, shape, names) => [
      {
        name: names.delta ?? counterDeltaFieldName(field),
        field,
        role: 'DELTA',
        graphqlType: shape.typeName,
      },
    ],
    localEffect: addDelta,
  },
  MANUAL: {
    strategy: 'MANUAL',
    directive: 'manual',
    accepts: 'a scalar other than JSON, or an enum (not a list)',
    acceptsShape: (shape) => isSingleValue(shape) && shape.typeName !== 'JSON',
    patchFields: valuePatchField,
    localEffect: replaceValue,
  },
};

/** The strategies selected by a directive, in the order error messages list them. */
export const directiveStrategies = [
  strategies.TEXT,
  strategies.SET,
  strategies.COUNTER,
  strategies.MANUAL,
] as const;
