/**
 * Reads model.graphql into one typed, deeply frozen description (docs/model.md, Writing a model). The
 * graphql-js stage (parse.ts) validates the SDL against the declared directives; the rules
 * here and in field.ts check what SDL cannot say, and every problem found is reported, each
 * with its line and column and what to write instead.
 */

import {
  type ConstDirectiveNode,
  type DocumentNode,
  type EnumTypeDefinitionNode,
  type GraphQLSchema,
  getDirectiveValues,
  Kind,
  type ObjectTypeDefinitionNode,
} from 'graphql';
import type {
  EntityDescription,
  EnumDescription,
  FieldDescription,
  ModelDescription,
  ModelProblem,
} from './description.ts';
import { clientReservedNames, platformQueryFields, platformTypeNames } from './directives.ts';
import { type DescribedField, describeField } from './field.ts';
import {
  changeInputName,
  constantCase,
  defaultPlural,
  lowerCamel,
  patchInputName,
} from './naming.ts';
import { declareAnEntity, directivesSchema, parseModel } from './parse.ts';
import { locationOf, ModelError, ProblemList } from './problems.ts';

export interface ReadModelOptions {
  /** The path problems name; defaults to `model.graphql`. */
  path?: string;
}

export type ModelCheck =
  | { ok: true; model: ModelDescription; problems: readonly [] }
  | { ok: false; model: null; problems: readonly ModelProblem[] };

/** Every problem of the model, or its description when there is none. Never throws. */
export function checkModel(text: string, options: ReadModelOptions = {}): ModelCheck {
  const path = options.path ?? 'model.graphql';
  const problems = new ProblemList(path);
  const parsed = parseModel(text, path, problems);
  const model = parsed?.schema
    ? describeDocument(parsed.document, parsed.schema, path, problems)
    : null;
  if (model && problems.size === 0) return { ok: true, model: deepFreeze(model), problems: [] };
  return { ok: false, model: null, problems: problems.sorted() };
}

/** The model's description; throws ModelError listing every problem. */
export function describeModel(text: string, options: ReadModelOptions = {}): ModelDescription {
  const check = checkModel(text, options);
  if (!check.ok) throw new ModelError(check.problems);
  return check.model;
}

const PASCAL_CASE = /^[A-Z][A-Za-z0-9]*$/;
const LOWER_CAMEL = /^[a-z][A-Za-z0-9]*$/;

function describeDocument(
  document: DocumentNode,
  schema: GraphQLSchema,
  path: string,
  problems: ProblemList,
): ModelDescription {
  const objects = document.definitions.filter(
    (definition): definition is ObjectTypeDefinitionNode =>
      definition.kind === Kind.OBJECT_TYPE_DEFINITION,
  );
  const enumNodes = document.definitions.filter(
    (definition): definition is EnumTypeDefinitionNode =>
      definition.kind === Kind.ENUM_TYPE_DEFINITION,
  );
  const entityNames = new Set(objects.filter(isMarkedEntity).map((node) => node.name.value));
  const enums = enumNodes.map((node) => describeEnum(node, problems));
  const entities: EntityDescription[] = [];
  for (const node of objects) {
    const entity = describeEntity(node, { schema, problems, entityNames });
    if (entity) entities.push(entity);
  }
  if (objects.length === 0) {
    problems.at(document, `The model declares no entity: ${declareAnEntity}`);
  }
  checkDerivedNames(entities, enums, problems);
  return { path, entities, enums };
}

const isMarkedEntity = (node: ObjectTypeDefinitionNode): boolean =>
  node.directives?.some((directive) => directive.name.value === 'entity') ?? false;

function describeEnum(node: EnumTypeDefinitionNode, problems: ProblemList): EnumDescription {
  checkTypeName(node, 'Enum', problems);
  if (!node.values?.length) {
    problems.at(
      node.name,
      `Enum "${node.name.value}" has no values: list them, e.g. \`enum ${node.name.value} { LOW HIGH }\`.`,
    );
  }
  return {
    name: node.name.value,
    description: node.description?.value ?? null,
    values: (node.values ?? []).map((value) => value.name.value),
    location: locationOf(node),
  };
}

function checkTypeName(
  node: ObjectTypeDefinitionNode | EnumTypeDefinitionNode,
  what: 'Entity' | 'Enum',
  problems: ProblemList,
): void {
  const name = node.name.value;
  if ((platformTypeNames as readonly string[]).includes(name)) {
    problems.at(
      node.name,
      `${what} "${name}" collides with the platform's type "${name}": rename it, e.g. "App${name}".`,
    );
  } else if (!PASCAL_CASE.test(name)) {
    problems.at(
      node.name,
      `${what} "${name}": write type names in PascalCase (letters and digits, starting with a capital), e.g. "${pascalCase(name)}".`,
    );
  }
}

const pascalCase = (name: string): string =>
  name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase())
    .join('') || 'Thing';

interface EntityContext {
  schema: GraphQLSchema;
  problems: ProblemList;
  entityNames: ReadonlySet<string>;
}

function describeEntity(
  node: ObjectTypeDefinitionNode,
  context: EntityContext,
): EntityDescription | null {
  const { problems } = context;
  const name = node.name.value;
  const entityDirective = node.directives?.find((directive) => directive.name.value === 'entity');
  if (!entityDirective) {
    problems.at(
      node.name,
      `Type "${name}" is not marked @entity: write \`type ${name} @entity { ... }\` to sync it, or declare an enum; a model holds only entities and enums.`,
    );
    return null;
  }
  const before = problems.size;
  checkTypeName(node, 'Entity', problems);
  if (node.interfaces?.length) {
    problems.at(
      node.interfaces[0],
      `Entity "${name}" implements SyncRecord by itself: remove \`implements ${node.interfaces.map((i) => i.name.value).join(' & ')}\`.`,
    );
  }
  const plural = readPlural(name, entityDirective, problems);
  const fieldNodes = node.fields ?? [];
  if (fieldNodes.length === 0) {
    problems.at(
      node.name,
      `Entity "${name}" has no fields: add at least one, e.g. \`type ${name} @entity { name: String! }\`.`,
    );
  }
  const described = fieldNodes
    .map((field) => describeField(field, { ...context, entityName: name }))
    .filter((field): field is DescribedField => field !== null);
  checkOwners(described, name, problems);
  checkPatchFieldNames(described, problems);
  if (problems.size > before) return null;
  return entityOf(
    node,
    plural,
    described.map((item) => item.field),
  );
}

function readPlural(name: string, directive: ConstDirectiveNode, problems: ProblemList): string {
  const definition = directivesSchema.getDirective('entity');
  let written: unknown;
  try {
    written = definition
      ? getDirectiveValues(definition, { directives: [directive] })?.plural
      : undefined;
  } catch (error) {
    problems.fromGraphQLError(error, directive, 'Write @entity(plural: "things").');
  }
  if (typeof written !== 'string') return defaultPlural(name);
  if (!LOWER_CAMEL.test(written)) {
    problems.at(
      directive,
      `@entity(plural: "${written}"): the plural names the client accessor \`sync.${written}\`; write it in lowerCamelCase, e.g. "${defaultPlural(name)}".`,
    );
  }
  return written;
}

function checkOwners(
  described: readonly DescribedField[],
  entity: string,
  problems: ProblemList,
): void {
  const owners = described.filter((item) => item.field.owner);
  const [first, ...others] = owners;
  for (const other of others) {
    problems.atLocation(
      other.field.location,
      `Entity "${entity}" already has the @owner field "${first?.field.name}": an entity has at most one owner, remove @owner from "${other.field.name}".`,
    );
  }
}

/**
 * Set operations and counter deltas get their own patch field names; each must differ from
 * every model field and every other patch field, or the patch input could not hold both.
 */
function checkPatchFieldNames(described: readonly DescribedField[], problems: ProblemList): void {
  const fieldNames = new Set(described.map((item) => item.field.name));
  const taken = new Map<string, string>();
  for (const { field, strategyNode } of described) {
    for (const patchField of field.patchFields) {
      if (patchField.role === 'VALUE') continue;
      const takenBy = fieldNames.has(patchField.name)
        ? `the field "${patchField.name}"`
        : taken.get(patchField.name);
      const at = strategyNode ? locationOf(strategyNode) : field.location;
      if (takenBy) {
        problems.atLocation(
          at,
          `The patch field "${patchField.name}" of "${field.name}" (@${strategyNode?.name.value ?? 'set'}) collides with ${takenBy}: name it otherwise, e.g. @${strategyNode?.name.value ?? 'set'}(${argumentOf(patchField.role)}: "${field.name}${roleSuffix(patchField.role)}").`,
        );
      } else {
        taken.set(patchField.name, `the patch field "${patchField.name}" of "${field.name}"`);
      }
    }
  }
}

const argumentOf = (role: 'ADD' | 'REMOVE' | 'DELTA'): string =>
  ({ ADD: 'add', REMOVE: 'remove', DELTA: 'delta' })[role];

const roleSuffix = (role: 'ADD' | 'REMOVE' | 'DELTA'): string =>
  ({ ADD: 'Added', REMOVE: 'Removed', DELTA: 'Increment' })[role];

function entityOf(
  node: ObjectTypeDefinitionNode,
  plural: string,
  fields: readonly FieldDescription[],
): EntityDescription {
  const name = node.name.value;
  const queryField = lowerCamel(name);
  return {
    name,
    description: node.description?.value ?? null,
    plural,
    queryField,
    changeInputKey: queryField,
    entityType: constantCase(name),
    patchInput: patchInputName(name),
    changeInput: changeInputName(name),
    prismaModel: name,
    fields,
    patchFields: fields.flatMap((field) => field.patchFields),
    requiredOnCreate: fields.filter((field) => field.requiredOnCreate).map((field) => field.name),
    ownerField: fields.find((field) => field.owner)?.name ?? null,
    location: locationOf(node),
  };
}

/**
 * Names derived from different types must not meet: two entities with one plural, EntityType
 * value or query field, a derived input type named like a declared type, or a derived name
 * the platform already uses.
 */
function checkDerivedNames(
  entities: readonly EntityDescription[],
  enums: readonly EnumDescription[],
  problems: ProblemList,
): void {
  const typeNames = new Map<string, string>();
  for (const name of platformTypeNames) typeNames.set(name, `the platform's type "${name}"`);
  for (const item of [...enums, ...entities]) typeNames.set(item.name, `the type "${item.name}"`);
  const claims: Array<[keyof EntityDescription, Map<string, string>]> = [
    ['queryField', new Map(platformQueryFields.map((name) => [name, 'a platform query']))],
    ['entityType', new Map()],
    ['patchInput', typeNames],
    ['changeInput', typeNames],
    ['plural', new Map(clientReservedNames.map((name) => [name, 'a member of the sync client']))],
  ];
  for (const entity of entities) {
    // One problem per entity (ABC and Abc share EntityType value, query field and plural),
    // type-level names first: renaming the type fixes the plural too.
    const collision = claims.find(([key, taken]) => taken.has(String(entity[key])));
    if (collision) {
      const [key, taken] = collision;
      const value = String(entity[key]);
      problems.atLocation(
        entity.location,
        derivedNameMessage(entity, key, value, taken.get(value) ?? ''),
      );
      continue;
    }
    for (const [key, taken] of claims) {
      taken.set(String(entity[key]), `the ${describeKey(key)} of "${entity.name}"`);
    }
  }
}

function describeKey(key: keyof EntityDescription): string {
  switch (key) {
    case 'plural':
      return 'plural';
    case 'queryField':
      return 'query field';
    case 'entityType':
      return 'EntityType value';
    default:
      return 'derived input type';
  }
}

function derivedNameMessage(
  entity: EntityDescription,
  key: keyof EntityDescription,
  value: string,
  takenBy: string,
): string {
  const byPlatform = !takenBy.includes(' of "');
  const fix =
    key === 'plural'
      ? `give ${byPlatform ? 'it' : 'one'} a different plural with @entity(plural: "...")`
      : `rename ${byPlatform ? 'the type' : 'one of the types'}`;
  return `Entity "${entity.name}": its ${describeKey(key)} "${value}" collides with ${takenBy}: ${fix}.`;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
