/**
 * The rules of one model field (docs/model.md, Writing a model): its type, its strategy directive, its
 * constraint directives and its default. Each problem names the directive or type at fault and
 * says what to write instead.
 */

import {
  type ConstDirectiveNode,
  type ConstValueNode,
  type FieldDefinitionNode,
  GraphQLEnumType,
  type GraphQLSchema,
  getDirectiveValues,
  isInputType,
  isObjectType,
  Kind,
  print,
  type TypeNode,
  typeFromAST,
  valueFromAST,
} from 'graphql';
import type {
  FieldConstraints,
  FieldDescription,
  FieldShape,
  JsonValue,
  Strategy,
} from './description.ts';
import {
  type ModelDirectiveName,
  type ModelScalar,
  modelDirectiveNames,
  modelScalars,
  syncFieldNames,
} from './directives.ts';
import { GRAPHQL_NAME, lowerCamel } from './naming.ts';
import { directivesSchema } from './parse.ts';
import { locationOf, type ProblemList } from './problems.ts';
import { directiveStrategies, type StrategyDefinition, strategies } from './strategies.ts';

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

export interface FieldContext {
  schema: GraphQLSchema;
  problems: ProblemList;
  /** Names of the types marked @entity, for @ref. */
  entityNames: ReadonlySet<string>;
  entityName: string;
}

export interface DescribedField {
  field: FieldDescription;
  /** The strategy directive, where a patch field name collision is reported. */
  strategyNode: ConstDirectiveNode | null;
}

/** A directive as written on the field, with its argument values read by graphql-js. */
interface WrittenDirective {
  node: ConstDirectiveNode;
  args: Record<string, unknown>;
}

type Directives = Map<ModelDirectiveName, WrittenDirective>;

/** Returns null (after reporting why) when the field has a problem. */
export function describeField(
  node: FieldDefinitionNode,
  context: FieldContext,
): DescribedField | null {
  const { problems } = context;
  const before = problems.size;
  checkFieldName(node, context);
  if (node.arguments?.length) {
    problems.at(node.arguments[0], `Field "${node.name.value}" takes no arguments: remove them.`);
  }
  const shape = shapeOf(node, context);
  const directives = readDirectives(node, context);
  if (!shape) return null;
  const strategy = chooseStrategy(node, shape, directives, context);
  const constraints = readConstraints(node, shape, strategy.strategy, directives, context);
  const links = readLinks(node, shape, strategy, directives, context);
  const fallback = readDefault(node, shape, strategy.strategy, constraints, directives, context);
  if (problems.size > before) return null;

  const name = node.name.value;
  const enumType = context.schema.getType(shape.typeName);
  const strategyNode = strategy.directive
    ? (directives.get(strategy.directive)?.node ?? null)
    : null;
  const field: FieldDescription = {
    name,
    description: node.description?.value ?? null,
    graphqlType: print(node.type),
    typeName: shape.typeName,
    kind: shape.kind,
    scalar: shape.kind === 'SCALAR' ? (shape.typeName as ModelScalar) : null,
    nullable: shape.nullable,
    list: shape.list,
    enumValues:
      enumType instanceof GraphQLEnumType ? enumType.getValues().map((v) => v.name) : null,
    strategy: strategy.strategy,
    patchFields: links.owner
      ? []
      : strategy.patchFields(name, shape, patchNames(strategyNode, directives)),
    constraints: {
      ...constraints,
      notBlank: isSingle(shape, 'String') && !shape.nullable && !fallback.hasDefault,
    },
    hasDefault: fallback.hasDefault,
    defaultValue: fallback.value,
    requiredOnCreate: !shape.nullable && !fallback.hasDefault && !links.owner,
    ref: links.ref,
    member: links.member,
    owner: links.owner,
    location: locationOf(node),
  };
  return { field, strategyNode };
}

function checkFieldName(node: FieldDefinitionNode, { problems, entityName }: FieldContext): void {
  const name = node.name.value;
  if ((syncFieldNames as readonly string[]).includes(name)) {
    problems.at(
      node.name,
      `Field "${entityName}.${name}" collides with the sync field "${name}" that every entity has (${syncFieldNames.join(', ')}): rename it, e.g. "${lowerCamel(entityName)}${name.charAt(0).toUpperCase()}${name.slice(1)}".`,
    );
  } else if (name.startsWith('__')) {
    problems.at(node.name, `Field "${name}": names starting with "__" are reserved by GraphQL.`);
  }
}

// ---- type --------------------------------------------------------------------------------

function shapeOf(node: FieldDefinitionNode, context: FieldContext): FieldShape | null {
  const name = node.name.value;
  let typeNode: TypeNode = node.type;
  const nullable = typeNode.kind !== Kind.NON_NULL_TYPE;
  if (typeNode.kind === Kind.NON_NULL_TYPE) typeNode = typeNode.type;
  let list = false;
  let itemNullable = false;
  if (typeNode.kind === Kind.LIST_TYPE) {
    list = true;
    typeNode = typeNode.type;
    itemNullable = typeNode.kind !== Kind.NON_NULL_TYPE;
    if (typeNode.kind === Kind.NON_NULL_TYPE) typeNode = typeNode.type;
  }
  if (typeNode.kind !== Kind.NAMED_TYPE) {
    context.problems.at(
      node.type,
      `Field "${name}" is a list of lists: a model list is a set of single values, e.g. \`${name}: [String!]! @set\`.`,
    );
    return null;
  }
  const typeName = typeNode.name.value;
  const type = context.schema.getType(typeName);
  if (type instanceof GraphQLEnumType)
    return { typeName, kind: 'ENUM', nullable, list, itemNullable };
  if ((modelScalars as readonly string[]).includes(typeName)) {
    return { typeName, kind: 'SCALAR', nullable, list, itemNullable };
  }
  context.problems.at(typeNode, unsupportedTypeMessage(name, typeName, isObjectType(type)));
  return null;
}

function unsupportedTypeMessage(field: string, typeName: string, isObject: boolean): string {
  const scalars = modelScalars.join(', ');
  if (isObject) {
    const idField = field.endsWith('Id') ? field : `${field}Id`;
    return `Field "${field}" cannot hold the type "${typeName}": a field holds a scalar or an enum, and another entity is referenced by its id: write \`${idField}: ID @ref(entity: "${typeName}")\`.`;
  }
  return `Field "${field}" has type "${typeName}", which a model cannot store: use one of ${scalars}, or an enum of the model.`;
}

const isSingle = (shape: FieldShape, typeName: string): boolean =>
  !shape.list && shape.typeName === typeName;

const isNumber = (shape: FieldShape): boolean => isSingle(shape, 'Int') || isSingle(shape, 'Float');

const typeText = (node: FieldDefinitionNode): string => print(node.type);

// ---- directives --------------------------------------------------------------------------

function readDirectives(node: FieldDefinitionNode, { problems }: FieldContext): Directives {
  const directives: Directives = new Map();
  for (const directiveNode of node.directives ?? []) {
    const name = directiveNode.name.value as ModelDirectiveName;
    if (!modelDirectiveNames.includes(name)) {
      problems.at(
        directiveNode,
        `@${name} is not a model directive: the model directives are ${modelDirectiveNames.map((n) => `@${n}`).join(', ')}.`,
      );
      continue;
    }
    const definition = directivesSchema.getDirective(name);
    if (!definition) continue;
    try {
      // @default's value is typed by the field, not the directive: it is read by readDefault.
      const args = name === 'default' ? {} : (getDirectiveValues(definition, node) ?? {});
      directives.set(name, { node: directiveNode, args });
    } catch (error) {
      problems.fromGraphQLError(error, directiveNode, `Write ${signatureOf(name)}.`);
    }
  }
  return directives;
}

function signatureOf(name: string): string {
  const definition = directivesSchema.getDirective(name);
  if (!definition || definition.args.length === 0) return `@${name}`;
  return `@${name}(${definition.args.map((arg) => `${arg.name}: ${String(arg.type)}`).join(', ')})`;
}

function chooseStrategy(
  node: FieldDefinitionNode,
  shape: FieldShape,
  directives: Directives,
  { problems }: FieldContext,
): StrategyDefinition {
  const chosen = directiveStrategies.filter(
    (definition) => definition.directive && directives.has(definition.directive),
  );
  const [first, second] = chosen;
  if (first?.directive && second?.directive) {
    problems.at(
      directives.get(second.directive)?.node,
      `@${first.directive} and @${second.directive} both choose how "${node.name.value}" merges: keep one, a field has one merge strategy.`,
    );
  }
  const definition = first ?? strategies.LWW;
  if (!definition.acceptsShape(shape)) {
    const at = definition.directive ? directives.get(definition.directive)?.node : node.type;
    problems.at(at, strategyMismatchMessage(node, shape, definition));
  }
  return definition;
}

function strategyMismatchMessage(
  node: FieldDefinitionNode,
  shape: FieldShape,
  definition: StrategyDefinition,
): string {
  const name = node.name.value;
  const written = `"${name}" is ${typeText(node)}`;
  switch (definition.strategy) {
    case 'LWW':
      return `Field ${written}: a list is a set, write \`${name}: [${shape.typeName}!]! @set\`.`;
    case 'SET':
      return `@set needs ${definition.accepts}; ${written}: write \`${name}: [${shape.typeName}!]! @set\`, or remove @set.`;
    case 'COUNTER':
      return isNumber(shape)
        ? `@counter needs ${definition.accepts}; ${written}: write \`${name}: ${shape.typeName}! @counter\` (a counter starts at 0 and is never null).`
        : `@counter needs ${definition.accepts}; ${written}: counters add up numbers, use Int! or Float!, or remove @counter.`;
    case 'TEXT':
      return `@text needs ${definition.accepts}; ${written}: three-way text merge works on String only, remove @text.`;
    default:
      return `@manual needs ${definition.accepts}; ${written}: ${shape.typeName === 'JSON' ? 'JSON fields are last-writer-wins only' : 'lists merge as sets'}, remove @manual.`;
  }
}

function patchNames(strategyNode: ConstDirectiveNode | null, directives: Directives) {
  if (!strategyNode) return {};
  const args = directives.get(strategyNode.name.value as ModelDirectiveName)?.args ?? {};
  return {
    add: args.add as string | undefined,
    remove: args.remove as string | undefined,
    delta: args.delta as string | undefined,
  };
}

// ---- constraints -------------------------------------------------------------------------

function readConstraints(
  node: FieldDefinitionNode,
  shape: FieldShape,
  strategy: Strategy,
  directives: Directives,
  context: FieldContext,
): Omit<FieldConstraints, 'notBlank'> {
  const maxLength = readLength(node, shape, directives.get('length'), context);
  const maxItems = readItems(node, shape, directives.get('items'), context);
  const range = readRange(node, shape, strategy, directives.get('range'), context);
  const ascii = directives.get('ascii');
  if (ascii && !isSingle(shape, 'String')) {
    context.problems.at(
      ascii.node,
      `@ascii applies to String fields; "${node.name.value}" is ${typeText(node)}: remove @ascii.`,
    );
  }
  checkPatchNames(directives, context);
  return {
    maxLength,
    maxItems,
    min: range.min,
    max: range.max,
    ascii: ascii !== undefined,
    pattern: readPattern(node, shape, directives.get('pattern'), context),
    maxDelta: readMaxDelta(shape, directives.get('counter'), context),
    int32: strategy === 'COUNTER' && shape.typeName === 'Int',
  };
}

function readLength(
  node: FieldDefinitionNode,
  shape: FieldShape,
  directive: WrittenDirective | undefined,
  { problems }: FieldContext,
): number | null {
  if (!directive) return null;
  const max = directive.args.max as number;
  if (shape.typeName !== 'String') {
    const instead = isNumber(shape)
      ? ' Bound numbers with @range(min:, max:).'
      : shape.typeName === 'ID'
        ? ' IDs have fixed limits (1 to 64 characters; 128 for @member and @owner user ids).'
        : '';
    problems.at(
      directive.node,
      `@length limits the characters of String and [String!]! fields; "${node.name.value}" is ${typeText(node)}: remove @length.${instead}`,
    );
  } else if (max < 1) {
    problems.at(
      directive.node,
      `@length(max: ${max}) allows nothing: write a maximum of at least 1.`,
    );
  }
  return max;
}

function readPattern(
  node: FieldDefinitionNode,
  shape: FieldShape,
  directive: WrittenDirective | undefined,
  context: FieldContext,
): FieldConstraints['pattern'] {
  if (!directive) return null;
  if (!isSingle(shape, 'String') && !isSingle(shape, 'ID')) {
    context.problems.at(
      directive.node,
      `@pattern applies to String and ID fields; "${node.name.value}" is ${typeText(node)}: remove @pattern.`,
    );
    return null;
  }
  const regex = String(directive.args.regex);
  const description = String(directive.args.description);
  try {
    new RegExp(regex, 'u');
  } catch (error) {
    context.problems.at(
      directive.node,
      `@pattern(regex: ${JSON.stringify(regex)}) is not a valid regular expression (${(error as Error).message}): fix it, e.g. "^#[0-9A-Fa-f]{6}$".`,
    );
    return null;
  }
  if (description.trim() === '') {
    context.problems.at(
      directive.node,
      '@pattern needs a description for its error message: write @pattern(regex: "...", description: "a #RRGGBB hex color").',
    );
    return null;
  }
  return { regex, description };
}

function readItems(
  node: FieldDefinitionNode,
  shape: FieldShape,
  directive: WrittenDirective | undefined,
  { problems }: FieldContext,
): number | null {
  if (!directive) return null;
  const max = directive.args.max as number;
  if (!shape.list) {
    problems.at(
      directive.node,
      `@items limits the items of a @set list; "${node.name.value}" is ${typeText(node)}: remove @items${shape.typeName === 'String' ? ', or limit characters with @length(max:)' : ''}.`,
    );
  } else if (max < 1) {
    problems.at(
      directive.node,
      `@items(max: ${max}) allows nothing: write a maximum of at least 1.`,
    );
  }
  return max;
}

function readRange(
  node: FieldDefinitionNode,
  shape: FieldShape,
  strategy: Strategy,
  directive: WrittenDirective | undefined,
  { problems }: FieldContext,
): { min: number | null; max: number | null } {
  if (!directive) return { min: null, max: null };
  const min = (directive.args.min as number | undefined) ?? null;
  const max = (directive.args.max as number | undefined) ?? null;
  const name = node.name.value;
  if (!isNumber(shape)) {
    const instead = shape.typeName === 'String' ? ' Limit characters with @length(max:).' : '';
    problems.at(
      directive.node,
      `@range bounds Int and Float fields; "${name}" is ${typeText(node)}: remove @range.${instead}`,
    );
  } else if (strategy === 'COUNTER') {
    problems.at(
      directive.node,
      `@range cannot hold a counter: concurrent deltas add up past any bound. Limit each delta with @counter(maxDelta:) instead.`,
    );
  } else if (min === null && max === null) {
    problems.at(
      directive.node,
      '@range without bounds: write @range(min: 0, max: 100), or only one of them.',
    );
  } else if (min !== null && max !== null && min > max) {
    problems.at(
      directive.node,
      `@range(min: ${min}, max: ${max}) is empty: min must be at most max.`,
    );
  } else if (
    shape.typeName === 'Int' &&
    [min, max].some((bound) => bound !== null && !Number.isInteger(bound))
  ) {
    problems.at(directive.node, `"${name}" is an Int: write whole numbers in @range.`);
  }
  return { min, max };
}

function readMaxDelta(
  shape: FieldShape,
  directive: WrittenDirective | undefined,
  { problems }: FieldContext,
): number | null {
  const maxDelta = (directive?.args.maxDelta as number | undefined) ?? null;
  if (!directive || maxDelta === null) return null;
  if (!(maxDelta > 0)) {
    problems.at(
      directive.node,
      `@counter(maxDelta: ${maxDelta}): write a size greater than 0 (a delta of d means -d..d).`,
    );
  } else if (shape.typeName === 'Int' && (!Number.isInteger(maxDelta) || maxDelta > INT32_MAX)) {
    problems.at(
      directive.node,
      `@counter(maxDelta: ${maxDelta}) on an Int counter: write a whole number up to ${INT32_MAX}.`,
    );
  }
  return maxDelta;
}

/** @set(add:, remove:) and @counter(delta:) name patch input fields: they must be GraphQL names. */
function checkPatchNames(directives: Directives, { problems }: FieldContext): void {
  for (const name of ['set', 'counter'] as const) {
    const directive = directives.get(name);
    for (const [argument, value] of Object.entries(directive?.args ?? {})) {
      if (typeof value === 'string' && !GRAPHQL_NAME.test(value)) {
        problems.at(
          directive?.node,
          `@${name}(${argument}: "${value}") is not a GraphQL name: use letters, digits and _, not starting with a digit, e.g. "tagsAdd".`,
        );
      }
    }
  }
}

// ---- @ref, @member, @owner ---------------------------------------------------------------

interface Links {
  ref: string | null;
  member: boolean;
  owner: boolean;
}

function readLinks(
  node: FieldDefinitionNode,
  shape: FieldShape,
  strategy: StrategyDefinition,
  directives: Directives,
  context: FieldContext,
): Links {
  const { problems } = context;
  const name = node.name.value;
  const ref = directives.get('ref');
  const member = directives.get('member');
  const owner = directives.get('owner');
  const target = (ref?.args.entity as string | undefined) ?? null;
  if (ref && !isSingle(shape, 'ID')) {
    problems.at(
      ref.node,
      `@ref holds another entity's id; "${name}" is ${typeText(node)}: write \`${name}: ID @ref(entity: "${target}")\`.`,
    );
  } else if (ref && target !== null && !context.entityNames.has(target)) {
    problems.at(ref.node, refTargetMessage(target, context));
  }
  if (member && !isSingle(shape, 'ID')) {
    problems.at(
      member.node,
      `@member holds a user id; "${name}" is ${typeText(node)}: write \`${name}: ID @member\`.`,
    );
  }
  if (ref && member) {
    problems.at(
      member.node,
      `"${name}" has @ref and @member: a field names either an entity (@ref) or a member (@member), keep one.`,
    );
  }
  if (owner) checkOwner(node, shape, strategy, directives, owner, context);
  return { ref: target, member: member !== undefined, owner: owner !== undefined };
}

function refTargetMessage(target: string, context: FieldContext): string {
  const entities = [...context.entityNames].join(', ') || 'none yet';
  const type = context.schema.getType(target);
  const what =
    type instanceof GraphQLEnumType
      ? 'an enum, not an entity'
      : type
        ? 'not marked @entity'
        : 'not declared in the model';
  const suggestion = [...context.entityNames].find(
    (name) => name.toLowerCase() === target.toLowerCase(),
  );
  const instead = suggestion ? ` Did you mean "${suggestion}"?` : '';
  return `@ref(entity: "${target}"): "${target}" is ${what}. A reference names an entity of this model (${entities}).${instead}`;
}

function checkOwner(
  node: FieldDefinitionNode,
  shape: FieldShape,
  strategy: StrategyDefinition,
  directives: Directives,
  owner: WrittenDirective,
  { problems }: FieldContext,
): void {
  const name = node.name.value;
  if (!isSingle(shape, 'ID') || shape.nullable) {
    problems.at(
      owner.node,
      `@owner holds the creator's user id; "${name}" is ${typeText(node)}: write \`${name}: ID! @owner\`.`,
    );
  }
  const extra = [strategy.directive, 'default', 'ref', 'member'].find(
    (directive): directive is ModelDirectiveName =>
      directive !== null && directives.has(directive as ModelDirectiveName),
  );
  if (extra) {
    problems.at(
      directives.get(extra)?.node,
      `@owner fields are set by the server to the creator and never patched: remove @${extra} from "${name}".`,
    );
  }
}

// ---- @default ----------------------------------------------------------------------------

interface Fallback {
  hasDefault: boolean;
  value: JsonValue;
}

function readDefault(
  node: FieldDefinitionNode,
  shape: FieldShape,
  strategy: Strategy,
  constraints: Omit<FieldConstraints, 'notBlank'>,
  directives: Directives,
  context: FieldContext,
): Fallback {
  const directive = directives.get('default');
  if (!directive) return implicitDefault(shape, strategy);
  const valueNode = directive.node.arguments?.find((arg) => arg.name.value === 'value')?.value;
  if (!valueNode) {
    context.problems.at(
      directive.node,
      `@default needs a value: write @default(value: ${exampleValue(shape)}).`,
    );
    return implicitDefault(shape, strategy);
  }
  const value = coerceDefault(node, shape, valueNode, context);
  if (value === undefined) return implicitDefault(shape, strategy);
  const problem = constraintProblem(value, shape, constraints);
  if (problem) {
    context.problems.at(valueNode, `@default(value: ${print(valueNode)}) ${problem}.`);
  }
  return { hasDefault: true, value };
}

/** Sets start empty, counters at 0 and nullable fields at null; other fields have none. */
function implicitDefault(shape: FieldShape, strategy: Strategy): Fallback {
  if (strategy === 'SET') return { hasDefault: true, value: [] };
  if (strategy === 'COUNTER') return { hasDefault: true, value: 0 };
  if (shape.nullable) return { hasDefault: true, value: null };
  return { hasDefault: false, value: null };
}

/** The default as a value of the field's type, or undefined after reporting it is not one. */
function coerceDefault(
  node: FieldDefinitionNode,
  shape: FieldShape,
  valueNode: ConstValueNode,
  context: FieldContext,
): JsonValue | undefined {
  const name = node.name.value;
  const written = `@default(value: ${print(valueNode)})`;
  if (valueNode.kind === Kind.NULL) {
    if (shape.nullable) return null;
    context.problems.at(
      valueNode,
      `${written}: "${name}" is ${typeText(node)}, never null: write @default(value: ${exampleValue(shape)}), or make the field nullable.`,
    );
    return undefined;
  }
  const type = typeFromAST(context.schema, node.type);
  const value = type && isInputType(type) ? valueFromAST(valueNode, type) : undefined;
  const valid = value !== undefined && (shape.typeName !== 'DateTime' || isDateTimeValue(value));
  if (!valid) {
    context.problems.at(
      valueNode,
      `${written} is not of type ${typeText(node)}: write e.g. @default(value: ${exampleValue(shape)}).`,
    );
    return undefined;
  }
  return value as JsonValue;
}

function isDateTimeValue(value: unknown): boolean {
  const values = Array.isArray(value) ? value : [value];
  return values.every(
    (item) =>
      typeof item === 'string' &&
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(item) &&
      !Number.isNaN(Date.parse(item)),
  );
}

function exampleValue(shape: FieldShape): string {
  if (shape.list) return '[]';
  switch (shape.typeName) {
    case 'Int':
    case 'Float':
      return '0';
    case 'Boolean':
      return 'false';
    case 'DateTime':
      return '"2026-01-01T00:00:00.000Z"';
    case 'JSON':
      return '{}';
    default:
      return shape.kind === 'ENUM' ? 'ONE_OF_ITS_VALUES' : '""';
  }
}

/** Why a value breaks the field's own directives, or null when it keeps them. */
function constraintProblem(
  value: JsonValue,
  shape: FieldShape,
  constraints: Omit<FieldConstraints, 'notBlank'>,
): string | null {
  const items = Array.isArray(value) ? value : [value];
  if (constraints.maxItems !== null && items.length > constraints.maxItems) {
    return `has more than ${constraints.maxItems} items (@items)`;
  }
  for (const item of items) {
    if (typeof item === 'string' && shape.typeName === 'String') {
      if (constraints.maxLength !== null && [...item].length > constraints.maxLength) {
        return `is longer than ${constraints.maxLength} characters (@length)`;
      }
      if (constraints.ascii && !/^[\x20-\x7E]*$/.test(item)) {
        return 'has characters outside printable ASCII (@ascii)';
      }
    }
    if (typeof item === 'string' && constraints.pattern) {
      if (!new RegExp(constraints.pattern.regex, 'u').test(item)) {
        return `is not ${constraints.pattern.description} (@pattern)`;
      }
    }
    if (typeof item === 'number') {
      if (constraints.min !== null && item < constraints.min)
        return `is below ${constraints.min} (@range)`;
      if (constraints.max !== null && item > constraints.max)
        return `is above ${constraints.max} (@range)`;
      if (constraints.int32 && (item < INT32_MIN || item > INT32_MAX))
        return 'does not fit in 32 bits';
    }
  }
  return null;
}
