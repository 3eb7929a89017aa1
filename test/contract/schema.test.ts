import { readFile } from 'node:fs/promises';
import {
  type GraphQLField,
  type GraphQLInputObjectType,
  GraphQLInterfaceType,
  type GraphQLNamedType,
  GraphQLObjectType,
  isEnumType,
  isInputObjectType,
  isUnionType,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../server/schema/index.ts';
import { printedSchema, schemaFile } from '../../server/schema/print.ts';

/**
 * The public API (docs/protocol.md; schema.graphql), written out so that a rename, a changed
 * nullability or a dropped argument fails here before it breaks a client.
 */
const objectFields: Record<string, Record<string, string>> = {
  Project: {
    id: 'ID!',
    workspaceId: 'ID!',
    version: 'Int!',
    updatedAt: 'DateTime!',
    updatedBy: 'ID',
    deleted: 'Boolean!',
    name: 'String!',
    color: 'String',
    archived: 'Boolean!',
  },
  Task: {
    id: 'ID!',
    workspaceId: 'ID!',
    version: 'Int!',
    updatedAt: 'DateTime!',
    updatedBy: 'ID',
    deleted: 'Boolean!',
    projectId: 'ID',
    title: 'String!',
    notes: 'String!',
    status: 'TaskStatus!',
    priority: 'Int!',
    tags: '[String!]!',
    assigneeId: 'ID',
    dueAt: 'DateTime',
    estimateMinutes: 'Int',
    timeSpentMinutes: 'Int!',
    sortKey: 'String!',
  },
  Comment: {
    id: 'ID!',
    workspaceId: 'ID!',
    version: 'Int!',
    updatedAt: 'DateTime!',
    updatedBy: 'ID',
    deleted: 'Boolean!',
    taskId: 'ID!',
    authorId: 'ID!',
    body: 'String!',
  },
  Workspace: {
    id: 'ID!',
    name: 'String!',
    role: 'Role!',
    cursor: 'Cursor!',
    members: '[Member!]!',
  },
  Member: { userId: 'ID!', role: 'Role!' },
  ChangeBatch: { entities: '[SyncEntity!]!', cursor: 'Cursor!', hasMore: 'Boolean!' },
  SyncError: { code: 'String!', message: 'String!', field: 'String' },
  ChangeResult: {
    mutationId: 'ID!',
    status: 'ChangeStatus!',
    entity: 'SyncEntity',
    conflict: 'Conflict',
    error: 'SyncError',
    mergedFields: '[String!]!',
  },
  PushChangesPayload: { results: '[ChangeResult!]!', cursor: 'Cursor!' },
  Conflict: {
    id: 'ID!',
    workspaceId: 'ID!',
    entityType: 'EntityType!',
    entityId: 'ID!',
    field: 'String!',
    baseValue: 'JSON',
    localValue: 'JSON',
    serverValue: 'JSON',
    status: 'ConflictStatus!',
    resolution: 'JSON',
    actorId: 'ID',
    clientId: 'ID',
    createdAt: 'DateTime!',
    resolvedAt: 'DateTime',
    resolvedBy: 'ID',
  },
};

const inputFields: Record<string, Record<string, string>> = {
  ProjectPatch: { name: 'String', color: 'String', archived: 'Boolean' },
  TaskPatch: {
    projectId: 'ID',
    title: 'String',
    notes: 'String',
    status: 'TaskStatus',
    priority: 'Int',
    tagsAdd: '[String!]',
    tagsRemove: '[String!]',
    assigneeId: 'ID',
    dueAt: 'DateTime',
    estimateMinutes: 'Int',
    timeSpentDelta: 'Int',
    sortKey: 'String',
  },
  CommentPatch: { taskId: 'ID', body: 'String' },
  ProjectChange: {
    mutationId: 'ID!',
    id: 'ID!',
    baseVersion: 'Int',
    hlc: 'String',
    delete: 'Boolean',
    patch: 'ProjectPatch',
  },
  TaskChange: {
    mutationId: 'ID!',
    id: 'ID!',
    baseVersion: 'Int',
    hlc: 'String',
    delete: 'Boolean',
    patch: 'TaskPatch',
  },
  CommentChange: {
    mutationId: 'ID!',
    id: 'ID!',
    baseVersion: 'Int',
    hlc: 'String',
    delete: 'Boolean',
    patch: 'CommentPatch',
  },
  ChangeInput: { project: 'ProjectChange', task: 'TaskChange', comment: 'CommentChange' },
  PushChangesInput: { workspaceId: 'ID!', clientId: 'ID!', changes: '[ChangeInput!]!' },
};

const enums: Record<string, string[]> = {
  Role: ['VIEWER', 'EDITOR', 'ADMIN'],
  EntityType: ['PROJECT', 'TASK', 'COMMENT'],
  TaskStatus: ['TODO', 'IN_PROGRESS', 'DONE'],
  ChangeStatus: ['APPLIED', 'MERGED', 'CONFLICT', 'REJECTED', 'DUPLICATE'],
  ConflictStatus: ['OPEN', 'RESOLVED'],
  ConflictChoice: ['SERVER', 'LOCAL', 'CUSTOM'],
};

/** Root fields with their arguments (name: type = default) and return type. */
const rootFields: Record<'Query' | 'Mutation', Record<string, string>> = {
  Query: {
    me: '(): ID',
    workspaces: '(): [Workspace!]!',
    changesSince:
      '(workspaceId: ID!, cursor: Cursor, limit: Int = 500, types: [EntityType!]): ChangeBatch!',
    project: '(id: ID!): Project',
    task: '(id: ID!): Task',
    comment: '(id: ID!): Comment',
    conflicts:
      '(workspaceId: ID!, status: ConflictStatus, first: Int = 50, after: String): [Conflict!]!',
  },
  Mutation: {
    createWorkspace: '(name: String!): Workspace!',
    addMember: '(workspaceId: ID!, userId: ID!, role: Role!): Member!',
    pushChanges: '(input: PushChangesInput!): PushChangesPayload!',
    resolveConflict: '(id: ID!, choice: ConflictChoice!, value: JSON): Conflict!',
  },
};

function signature(field: GraphQLField<unknown, unknown>): string {
  const args = field.args.map((arg) => {
    const defaultValue =
      arg.defaultValue === undefined ? '' : ` = ${JSON.stringify(arg.defaultValue)}`;
    return `${arg.name}: ${arg.type}${defaultValue}`;
  });
  return `(${args.join(', ')}): ${field.type}`;
}

function typeNamed(name: string): GraphQLNamedType {
  const type = schema.getType(name);
  if (!type) throw new Error(`schema has no type ${name}`);
  return type;
}

describe('schema contract (docs/protocol.md)', () => {
  it('schema.graphql is what the server builds (npm run schema:check)', async () => {
    expect(await readFile(schemaFile, 'utf8')).toBe(printedSchema());
  });

  it.each(Object.entries(objectFields))('type %s has the normative fields', (name, fields) => {
    const type = typeNamed(name) as GraphQLObjectType;
    expect(type).toBeInstanceOf(GraphQLObjectType);
    const actual = Object.fromEntries(
      Object.keys(fields).map((field) => [field, String(type.getFields()[field]?.type)]),
    );
    expect(actual).toEqual(fields);
  });

  it('Project, Task and Comment implement SyncRecord and form the SyncEntity union', () => {
    const syncRecord = typeNamed('SyncRecord');
    expect(syncRecord).toBeInstanceOf(GraphQLInterfaceType);
    expect(Object.keys((syncRecord as GraphQLInterfaceType).getFields())).toEqual([
      'id',
      'workspaceId',
      'version',
      'updatedAt',
      'updatedBy',
      'deleted',
    ]);
    for (const name of ['Project', 'Task', 'Comment']) {
      expect((typeNamed(name) as GraphQLObjectType).getInterfaces().map(String)).toEqual([
        'SyncRecord',
      ]);
    }
    const union = typeNamed('SyncEntity');
    expect(isUnionType(union) && union.getTypes().map(String)).toEqual([
      'Project',
      'Task',
      'Comment',
    ]);
  });

  it.each(Object.entries(inputFields))('input %s has the normative fields', (name, fields) => {
    const type = typeNamed(name) as GraphQLInputObjectType;
    expect(isInputObjectType(type)).toBe(true);
    const actual = Object.fromEntries(
      Object.entries(type.getFields()).map(([field, value]) => [field, String(value.type)]),
    );
    expect(actual).toEqual(fields);
  });

  it('ChangeInput is @oneOf', () => {
    expect((typeNamed('ChangeInput') as GraphQLInputObjectType).isOneOf).toBe(true);
    expect(printedSchema()).toMatch(/input ChangeInput @oneOf \{/);
  });

  it.each(Object.entries(enums))('enum %s has the normative values', (name, values) => {
    const type = typeNamed(name);
    expect(isEnumType(type) && type.getValues().map((value) => value.name)).toEqual(values);
  });

  it('declares the Cursor, DateTime and JSON scalars', () => {
    for (const name of ['Cursor', 'DateTime', 'JSON'])
      expect(typeNamed(name).constructor.name).toBe('GraphQLScalarType');
  });

  it.each(['Query', 'Mutation'] as const)('%s has the normative fields and arguments', (root) => {
    const type = root === 'Query' ? schema.getQueryType() : schema.getMutationType();
    const fields = type?.getFields() ?? {};
    for (const [name, expected] of Object.entries(rootFields[root])) {
      expect(fields[name] && signature(fields[name]), `${root}.${name}`).toBe(expected);
    }
  });
});
