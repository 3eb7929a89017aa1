/**
 * Renders client/generated/model.ts from the model description: what the offline client needs
 * to know of the model (docs/client.md, Entity accessors). The description subset the client
 * embeds, the names that tie a typename to its ChangeInput key, EntityType value and accessor,
 * and per entity the types apps write against: `<Name>Entity`, `<Name>Create`, `<Name>Patch`
 * and `ModelAccessors` (`sync.<plural>`). `npm run generate` writes it (scripts/generate.ts).
 *
 * The module imports from the codegen output beside it (client/generated/graphql.ts) the
 * fragment `<Name>Fields`, the query `<Name>($id)` and the patch input `<Name>Patch`, so the
 * client operations must define them for every entity.
 */

import type {
  EntityDescription,
  FieldDescription,
  ModelDescription,
} from '../../model/description.ts';

export const clientModelHeader = '// generated from model.graphql by npm run generate; do not edit';

/** What the client embeds of each entity and field (no source locations, no constraints). */
const entityKeys = [
  'name',
  'description',
  'plural',
  'queryField',
  'changeInputKey',
  'entityType',
  'patchInput',
  'ownerField',
  'requiredOnCreate',
] as const satisfies readonly (keyof EntityDescription)[];

const fieldKeys = [
  'name',
  'description',
  'graphqlType',
  'typeName',
  'kind',
  'scalar',
  'nullable',
  'list',
  'enumValues',
  'strategy',
  'patchFields',
  'hasDefault',
  'defaultValue',
  'requiredOnCreate',
  'ref',
  'member',
  'owner',
] as const satisfies readonly (keyof FieldDescription)[];

/** The TypeScript type of a model scalar as a create carries it (an ID is a string). */
const scalarTypes: Readonly<Record<string, string>> = {
  String: 'string',
  ID: 'string',
  DateTime: 'string',
  Int: 'number',
  Float: 'number',
  Boolean: 'boolean',
  JSON: 'unknown',
};

export function renderClientModel(model: ModelDescription): string {
  return [
    clientModelHeader,
    '',
    renderImports(model),
    renderDescriptionTypes(),
    ...model.entities.map(renderEntityTypes),
    renderUnions(model),
    renderDescription(model),
    renderDocuments(model),
    '',
  ].join('\n');
}

function renderImports(model: ModelDescription): string {
  const names = new Set<string>();
  for (const entity of model.entities) {
    names.add(`${entity.name}Document`);
    names.add(`${entity.name}FieldsFragmentDoc`);
    names.add(`type ${entity.name}FieldsFragment`);
    names.add(`type ${entity.patchInput}`);
    for (const field of entity.fields) {
      if (createTypeNamesEnum(field)) names.add(`type ${field.typeName}`);
    }
  }
  // Code-unit order: the same output whatever the machine's locale.
  const sorted = [...names].sort((a, b) => (importName(a) < importName(b) ? -1 : 1));
  return [
    "import type { EntityDescription, EnumDescription, FieldDescription } from '../../model/description.ts';",
    "import type { EntityApi } from '../entities.ts';",
    `import {\n${sorted.map((name) => `  ${name},`).join('\n')}\n} from './graphql.ts';`,
    '',
  ].join('\n');
}

const importName = (specifier: string): string => specifier.replace(/^type /, '');

function renderDescriptionTypes(): string {
  const union = (keys: readonly string[]) => keys.map((key) => `'${key}'`).join(' | ');
  return [
    '/** The part of the model description the client embeds. */',
    `export type ClientFieldDescription = Pick<FieldDescription, ${union(fieldKeys)}>;`,
    `export type ClientEntityDescription = Pick<EntityDescription, ${union(entityKeys)}> & {`,
    '  readonly fields: readonly ClientFieldDescription[];',
    '};',
    'export interface ClientModelDescription {',
    '  readonly entities: readonly ClientEntityDescription[];',
    "  readonly enums: readonly Pick<EnumDescription, 'name' | 'values'>[];",
    '}',
    '',
  ].join('\n');
}

function renderEntityTypes(entity: EntityDescription): string {
  const createFields = entity.fields.filter(usedInCreate).map((field) => {
    const required = field.requiredOnCreate ? '' : '?';
    return `  ${field.name}${required}: ${createFieldType(entity, field)};`;
  });
  return [
    `export type ${entity.name}Entity = ${entity.name}FieldsFragment;`,
    `export type { ${entity.patchInput} };`,
    `/** What \`sync.${entity.plural}.create\` takes: field values (a set as its items, a counter as its total). */`,
    `export type ${entity.name}Create = {`,
    '  /** A client-chosen id; a UUIDv7 is made when absent. */',
    '  id?: string;',
    ...createFields,
    '};',
    '',
  ].join('\n');
}

/** @owner fields are set by the server; a create never carries them. */
const usedInCreate = (field: FieldDescription): boolean => !field.owner;

/** An enum's own type appears in a create type for sets of it and for required values. */
const createTypeNamesEnum = (field: FieldDescription): boolean =>
  field.kind === 'ENUM' &&
  usedInCreate(field) &&
  (field.strategy === 'SET' || field.requiredOnCreate);

/**
 * Required values by their own type; optional plain values as the patch input types them
 * (nullable, an ID also a number); sets as arrays of their items and counters as numbers.
 */
function createFieldType(entity: EntityDescription, field: FieldDescription): string {
  const itemType =
    field.kind === 'ENUM' ? field.typeName : (scalarTypes[field.typeName] ?? 'unknown');
  if (field.strategy === 'SET') return `${itemType}[]`;
  if (field.strategy === 'COUNTER') return 'number';
  if (field.requiredOnCreate) return itemType;
  return `${entity.patchInput}['${field.name}']`;
}

function renderUnions(model: ModelDescription): string {
  const union = (parts: string[]) => (parts.length === 0 ? 'never' : parts.join(' | '));
  const entities = model.entities;
  return [
    `export type SyncEntity = ${union(entities.map((entity) => `${entity.name}Entity`))};`,
    `export type Typename = ${union(entities.map((entity) => `'${entity.name}'`))};`,
    '/** The key of a change in ChangeInput (`@oneOf`), one per entity type. */',
    `export type EntityKind = ${union(entities.map((entity) => `'${entity.changeInputKey}'`))};`,
    '/** Patch fields as the server takes them; absent fields stay as they are. */',
    `export type Patch = ${union(entities.map((entity) => entity.patchInput))};`,
    '',
    "/** The sync client's typed accessor per entity type: `sync.<plural>`. */",
    'export interface ModelAccessors {',
    ...entities.map(
      (entity) =>
        `  ${entity.plural}: EntityApi<${entity.name}Create, ${entity.patchInput}, ${entity.name}Entity>;`,
    ),
    '}',
    '',
  ].join('\n');
}

function renderDescription(model: ModelDescription): string {
  const description = {
    entities: model.entities.map((entity) => ({
      ...pick(entity, entityKeys),
      fields: entity.fields.map((field) => pick(field, fieldKeys)),
    })),
    enums: model.enums.map((enumType) => ({ name: enumType.name, values: enumType.values })),
  };
  return [
    'function deepFreeze<T>(value: T): T {',
    "  if (value !== null && typeof value === 'object') {",
    '    for (const child of Object.values(value)) deepFreeze(child);',
    '    Object.freeze(value);',
    '  }',
    '  return value;',
    '}',
    '',
    `export const clientModel: ClientModelDescription = deepFreeze(${JSON.stringify(description, null, 2)});`,
    '',
  ].join('\n');
}

function renderDocuments(model: ModelDescription): string {
  return [
    '/** Per typename: the fragment with every field and the `<queryField>(id:)` query. */',
    'export const entityDocuments = {',
    ...model.entities.map(
      (entity) =>
        `  ${entity.name}: { fragment: ${entity.name}FieldsFragmentDoc, query: ${entity.name}Document },`,
    ),
    '} as const;',
  ].join('\n');
}

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((key) => [key, value[key]])) as Pick<T, K>;
}
