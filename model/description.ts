/**
 * The typed description of a model: what every other part (server, generator, client,
 * dashboard) reads instead of model.graphql. Plain JSON data, deeply frozen, so it can be
 * embedded in generated code and compared in tests.
 */

import type { ModelScalar } from './directives.ts';

export type Strategy = 'LWW' | 'TEXT' | 'SET' | 'COUNTER' | 'MANUAL';

export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** Where something is written in the model file (1-based, as editors count). */
export interface SourceLocation {
  line: number;
  column: number;
}

/** The shape of a field's GraphQL type, which is all a strategy needs to accept or refuse it. */
export interface FieldShape {
  /** The named type: a model scalar or an enum of the model. */
  typeName: string;
  kind: 'SCALAR' | 'ENUM';
  nullable: boolean;
  list: boolean;
  /** For lists: whether the items may be null (models allow only `[T!]!`). */
  itemNullable: boolean;
}

/**
 * A field of the entity's patch input. `VALUE` carries the field's new value; `ADD`/`REMOVE`
 * are a @set field's operations; `DELTA` is a @counter field's increment.
 */
export interface PatchFieldDescription {
  name: string;
  /** The model field (database column) it changes. */
  field: string;
  role: 'VALUE' | 'ADD' | 'REMOVE' | 'DELTA';
  /** The input type in schema.graphql, always nullable: `String`, `[String!]`, `Int`. */
  graphqlType: string;
}

export interface FieldConstraints {
  /** @length: max characters (Unicode code points) of the value, or of each item of a set. */
  maxLength: number | null;
  /** @items: max items of a set, and of each add or remove operation. */
  maxItems: number | null;
  /** @range: inclusive bounds. */
  min: number | null;
  max: number | null;
  /** @ascii: printable ASCII only (U+0020..U+007E). */
  ascii: boolean;
  /**
   * @pattern: the whole value must match `regex` (a JavaScript regular expression, `u` flag);
   * a value that does not is refused with "must be <description>".
   */
  pattern: { regex: string; description: string } | null;
  /** @counter(maxDelta:): a delta is non-zero and its size at most this. */
  maxDelta: number | null;
  /** An Int counter's total stays a 32-bit integer; a delta that would leave it is refused. */
  int32: boolean;
  /**
   * A String that a create must carry (non-null, no @default) must not be blank: an empty
   * required value is almost always a mistake. A @default (even "") allows blank values.
   */
  notBlank: boolean;
}

export interface FieldDescription {
  name: string;
  description: string | null;
  /** The object field's type as written, e.g. `[String!]!`, `TaskStatus!`, `ID`. */
  graphqlType: string;
  typeName: string;
  kind: 'SCALAR' | 'ENUM';
  /** The model scalar, or null for enums. */
  scalar: ModelScalar | null;
  nullable: boolean;
  list: boolean;
  /** The enum's values when `kind` is ENUM. */
  enumValues: readonly string[] | null;
  strategy: Strategy;
  /** The patch input fields that change this field; empty for @owner. */
  patchFields: readonly PatchFieldDescription[];
  constraints: FieldConstraints;
  /**
   * What a create falls back to: @default's value; otherwise null for nullable fields, [] for
   * sets, 0 for counters. Absent (`hasDefault` false) when a create must carry the field.
   */
  hasDefault: boolean;
  defaultValue: JsonValue;
  /** True when a create must carry the field (non-null, no default, not @owner). */
  requiredOnCreate: boolean;
  /** @ref: the entity type the id names. */
  ref: string | null;
  /** @member: the id names a member of the workspace (a user id). */
  member: boolean;
  /** @owner: set by the server to the creator's user id, never patched. */
  owner: boolean;
  location: SourceLocation;
}

export interface EntityDescription {
  /** The type name: GraphQL object and Prisma model, e.g. `WorkOrder`. */
  name: string;
  description: string | null;
  /** Client accessor `sync.<plural>`, e.g. `workOrders`. */
  plural: string;
  /** Root query field `<queryField>(id: ID!)`, also the `ChangeInput` key: `workOrder`. */
  queryField: string;
  changeInputKey: string;
  /** `EntityType` enum value: `WORK_ORDER`. */
  entityType: string;
  patchInput: string;
  changeInput: string;
  prismaModel: string;
  fields: readonly FieldDescription[];
  /** In the order of the patch input type (the model's field order). */
  patchFields: readonly PatchFieldDescription[];
  /** Patch field names a create must carry. */
  requiredOnCreate: readonly string[];
  /** The @owner field, if any. */
  ownerField: string | null;
  location: SourceLocation;
}

export interface EnumDescription {
  name: string;
  description: string | null;
  values: readonly string[];
  location: SourceLocation;
}

export interface ModelDescription {
  /** The file the model was read from, as given to the reader. */
  path: string;
  /** In the order they are written. */
  entities: readonly EntityDescription[];
  enums: readonly EnumDescription[];
}

/** A mistake in a model, with where it is and what to write instead. */
export interface ModelProblem {
  path: string;
  line: number;
  column: number;
  message: string;
}
