/**
 * The merge strategies (docs/protocol.md, Merge strategies), one registry entry each: the directive that
 * selects it, the field types it accepts and how its patch fields are named. The model reader
 * uses the entries to check fields and to derive patch inputs.
 *
 * The pure merge functions are in model/merge; the server's merge of each strategy is the entry
 * of the same name in server/sync/strategies.ts. The client's local effect is still to come.
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
  },
  TEXT: {
    strategy: 'TEXT',
    directive: 'text',
    accepts: 'String or String!',
    acceptsShape: (shape) => isSingleValue(shape) && shape.typeName === 'String',
    patchFields: valuePatchField,
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
  },
  MANUAL: {
    strategy: 'MANUAL',
    directive: 'manual',
    accepts: 'a scalar other than JSON, or an enum (not a list)',
    acceptsShape: (shape) => isSingleValue(shape) && shape.typeName !== 'JSON',
    patchFields: valuePatchField,
  },
};

/** The strategies selected by a directive, in the order error messages list them. */
export const directiveStrategies = [
  strategies.TEXT,
  strategies.SET,
  strategies.COUNTER,
  strategies.MANUAL,
] as const;
