/**
 * The model's half of the Prisma schema (prisma/schema/model.prisma): the `EntityType` enum,
 * the model's enums, one Prisma model per entity with the sync metadata columns, and the
 * Workspace model. Workspace is written here, not in platform.prisma, because Prisma needs a
 * back-relation on it for every entity and a model cannot be split across files.
 *
 * Table and column names are the model's type and field names (Prisma's defaults): the sync
 * engine's raw SQL relies on exactly that.
 */

import type {
  EntityDescription,
  EnumDescription,
  FieldDescription,
  JsonValue,
  ModelDescription,
  ModelScalar,
} from '../../model/index.ts';

export const prismaModelHeader = `// Generated from model.graphql by \`npm run generate\`; do not edit.
// The platform's own models (members, change log, conflicts, idempotency) are in
// platform.prisma. Every entity carries the sync metadata of docs/protocol.md, "Entity
// metadata and versions": version, seq, timestamps, updatedBy, a tombstone flag and fieldMeta
// (per-field stamps, so merges are field-level).
`;

/**
 * Workspace's own columns and its relations to the platform models. Kept here, the one place
 * that writes the Workspace model; the entities' back-relations are appended after them.
 */
const workspacePlatformFields: readonly PrismaField[] = [
  { name: 'id', type: 'String', attributes: '@id' },
  { name: 'name', type: 'String', attributes: '' },
  {
    doc: [
      "Last sequence number handed out. Writers take the next numbers under this row's lock,",
      'so sequence order equals commit order within the workspace.',
    ],
    name: 'seq',
    type: 'Int',
    attributes: '@default(0)',
  },
  { name: 'createdAt', type: 'DateTime', attributes: '@default(now())' },
  { name: 'createdBy', type: 'String', attributes: '' },
];

const workspacePlatformRelations: readonly PrismaField[] = [
  { name: 'members', type: 'Member[]', attributes: '' },
  { name: 'changes', type: 'ChangeLog[]', attributes: '' },
  { name: 'conflicts', type: 'Conflict[]', attributes: '' },
];

/** The columns of section "Entity metadata" that follow the model's fields on every entity. */
const syncMetadataFields: readonly PrismaField[] = [
  { name: 'version', type: 'Int', attributes: '@default(1)' },
  { name: 'seq', type: 'Int', attributes: '' },
  { name: 'createdAt', type: 'DateTime', attributes: '@default(now())' },
  { name: 'updatedAt', type: 'DateTime', attributes: '@updatedAt' },
  { name: 'updatedBy', type: 'String?', attributes: '' },
  { name: 'deleted', type: 'Boolean', attributes: '@default(false)' },
  { name: 'fieldMeta', type: 'Json', attributes: '@default("{}")' },
];

const prismaScalars: Record<ModelScalar, string> = {
  String: 'String',
  ID: 'String',
  Int: 'Int',
  // Prisma's Float is PostgreSQL's double precision.
  Float: 'Float',
  Boolean: 'Boolean',
  DateTime: 'DateTime',
  JSON: 'Json',
};

interface PrismaField {
  /** `///` lines Prisma keeps as the field's documentation. */
  doc?: readonly string[];
  name: string;
  type: string;
  attributes: string;
}

/** The text of prisma/schema/model.prisma for a model. */
export function renderPrismaModel(model: ModelDescription): string {
  const blocks = [
    renderEnum(
      'EntityType',
      model.entities.map((entity) => entity.entityType),
    ),
    ...model.enums.map(renderModelEnum),
    renderWorkspace(model.entities),
    ...model.entities.map(renderEntity),
  ];
  return `${prismaModelHeader}\n${blocks.join('\n\n')}\n`;
}

function renderModelEnum(enumType: EnumDescription): string {
  return renderEnum(enumType.name, enumType.values);
}

function renderEnum(name: string, values: readonly string[]): string {
  return [`enum ${name} {`, ...values.map((value) => `  ${value}`), '}'].join('\n');
}

function renderWorkspace(entities: readonly EntityDescription[]): string {
  const relations = [
    ...workspacePlatformRelations,
    ...entities.map((entity) => ({
      name: workspaceRelationName(entity),
      type: `${entity.prismaModel}[]`,
      attributes: '',
    })),
  ];
  return renderModel('Workspace', [workspacePlatformFields, relations], []);
}

/**
 * The back-relation on Workspace is the entity's plural (`tasks`), unless the plural is one of
 * Workspace's own fields (an entity `Change` would give `changes`).
 */
export function workspaceRelationName(entity: EntityDescription): string {
  const taken = [...workspacePlatformFields, ...workspacePlatformRelations].map((f) => f.name);
  return taken.includes(entity.plural) ? `${entity.plural}Rows` : entity.plural;
}

function renderEntity(entity: EntityDescription): string {
  const columns: PrismaField[] = [
    { name: 'id', type: 'String', attributes: '@id' },
    { name: 'workspaceId', type: 'String', attributes: '' },
    ...entity.fields.map(prismaField),
    ...syncMetadataFields,
  ];
  const relation: PrismaField = {
    name: 'workspace',
    type: 'Workspace',
    attributes: '@relation(fields: [workspaceId], references: [id], onDelete: Cascade)',
  };
  const indexes = [
    '@@index([workspaceId, seq])',
    ...entity.fields
      .filter((field) => field.ref !== null)
      .map((field) => `@@index([workspaceId, ${field.name}])`),
  ];
  return renderModel(entity.prismaModel, [columns, [relation]], indexes);
}

function prismaField(field: FieldDescription): PrismaField {
  const base = field.kind === 'ENUM' ? field.typeName : prismaScalars[field.scalar ?? 'String'];
  const type = field.list ? `${base}[]` : field.nullable ? `${base}?` : base;
  const defaultValue = columnDefault(field);
  return { name: field.name, type, attributes: defaultValue ? `@default(${defaultValue})` : '' };
}

/**
 * The column default: the value a create falls back to (@default, [] for sets, 0 for
 * counters). Nullable fields fall back to null, which needs no default.
 */
function columnDefault(field: FieldDescription): string | null {
  if (!field.hasDefault || field.defaultValue === null) return null;
  return prismaLiteral(field, field.defaultValue);
}

function prismaLiteral(field: FieldDescription, value: JsonValue): string {
  if (field.scalar === 'JSON') return JSON.stringify(JSON.stringify(value));
  if (Array.isArray(value))
    return `[${value.map((item) => prismaLiteral(field, item)).join(', ')}]`;
  // Enum values are written bare; strings (and DateTime's ISO strings) quoted.
  if (field.kind === 'ENUM') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

/** A model block aligned as `prisma format` does: each group of fields on its own columns. */
function renderModel(
  name: string,
  groups: readonly (readonly PrismaField[])[],
  blockAttributes: readonly string[],
): string {
  const body = groups.map(renderFieldGroup);
  if (blockAttributes.length > 0) {
    body.push(blockAttributes.map((attribute) => `  ${attribute}`).join('\n'));
  }
  return `model ${name} {\n${body.join('\n\n')}\n}`;
}

function renderFieldGroup(fields: readonly PrismaField[]): string {
  const nameWidth = Math.max(...fields.map((field) => field.name.length));
  const typeWidth = Math.max(...fields.map((field) => field.type.length));
  const lines = fields.flatMap((field) => [
    ...(field.doc ?? []).map((doc) => `  /// ${doc}`),
    field.attributes
      ? `  ${field.name.padEnd(nameWidth)} ${field.type.padEnd(typeWidth)} ${field.attributes}`
      : `  ${field.name.padEnd(nameWidth)} ${field.type}`,
  ]);
  return lines.join('\n');
}
