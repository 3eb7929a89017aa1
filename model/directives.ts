/**
 * The vocabulary of model.graphql: the scalars a field may use and the directives that say how
 * it is stored, checked and merged (docs/model.md, Directives). A model is validated against this
 * SDL by graphql-js, so unknown directives, misplaced ones and missing arguments are reported
 * by graphql-js itself; model/rules.ts checks what SDL cannot express.
 */

/**
 * `ModelValue` is the type of `@default(value:)`: a scalar without parseLiteral, so any
 * literal is accepted here and checked against the field's own type by the rules.
 */
export const modelDirectivesSdl = /* GraphQL */ `
  scalar DateTime
  scalar JSON
  scalar ModelValue

  directive @entity(plural: String) on OBJECT
  directive @text on FIELD_DEFINITION
  directive @set(add: String, remove: String) on FIELD_DEFINITION
  directive @counter(delta: String, maxDelta: Float) on FIELD_DEFINITION
  directive @manual on FIELD_DEFINITION
  directive @length(max: Int!) on FIELD_DEFINITION
  directive @items(max: Int!) on FIELD_DEFINITION
  directive @range(min: Float, max: Float) on FIELD_DEFINITION
  directive @ascii on FIELD_DEFINITION
  directive @pattern(regex: String!, description: String!) on FIELD_DEFINITION
  directive @default(value: ModelValue) on FIELD_DEFINITION
  directive @ref(entity: String!) on FIELD_DEFINITION
  directive @member on FIELD_DEFINITION
  directive @owner on FIELD_DEFINITION
`;

/** The directive names a model may use, without the `@`. */
export const modelDirectiveNames = [
  'entity',
  'text',
  'set',
  'counter',
  'manual',
  'length',
  'items',
  'range',
  'ascii',
  'pattern',
  'default',
  'ref',
  'member',
  'owner',
] as const;

export type ModelDirectiveName = (typeof modelDirectiveNames)[number];

/** The scalars a model field may use (lists only with @set). */
export const modelScalars = [
  'String',
  'Int',
  'Float',
  'Boolean',
  'ID',
  'DateTime',
  'JSON',
] as const;

export type ModelScalar = (typeof modelScalars)[number];

/**
 * Columns and GraphQL fields every synced row carries (docs/protocol.md, Entity metadata and versions) or that Prisma uses for the
 * workspace relation: a model field of the same name would shadow them.
 */
export const syncFieldNames = [
  'id',
  'workspaceId',
  'workspace',
  'version',
  'seq',
  'createdAt',
  'updatedAt',
  'updatedBy',
  'deleted',
  'fieldMeta',
] as const;

/**
 * Type names the platform defines in schema.graphql or prisma/schema.prisma; an entity or enum
 * of the same name would collide with them.
 */
export const platformTypeNames = [
  'Query',
  'Mutation',
  'Subscription',
  'SyncRecord',
  'SyncEntity',
  'EntityType',
  'Role',
  'ChangeOp',
  'ChangeStatus',
  'ConflictStatus',
  'ConflictChoice',
  'ChangeInput',
  'PushChangesInput',
  'PushChangesPayload',
  'ChangeResult',
  'ChangeBatch',
  'ChangeLog',
  'AppliedMutation',
  'EntityChange',
  'Conflict',
  'SyncError',
  'AuditEntry',
  'AuditLogPage',
  'Workspace',
  'Member',
  'Cursor',
  'DateTime',
  'JSON',
  'ModelValue',
] as const;

/** Root query fields the platform defines: an entity's `<entity>(id:)` query must not reuse them. */
export const platformQueryFields = [
  'me',
  'workspaces',
  'changesSince',
  'conflicts',
  'auditLog',
] as const;

/** Members of the client's `SyncClient` object besides the entity accessors. */
export const clientReservedNames = [
  'client',
  'status',
  'onStatus',
  'on',
  'flush',
  'pull',
  'setToken',
  'ready',
  'close',
] as const;
