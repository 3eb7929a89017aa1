/**
 * The default model.graphql must describe today's API exactly (docs/model.md, Writing a model): the names
 * in the committed schema.graphql, the engine's entity descriptors and every limit of
 * server/sync/validation.ts. The server is imported here only to compare against.
 */

import { readFileSync } from 'node:fs';
import {
  buildSchema,
  type GraphQLEnumType,
  type GraphQLInputObjectType,
  type GraphQLObjectType,
  type GraphQLUnionType,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import type { EntityDescription, FieldDescription } from '../../model/index.ts';
import { loadModel } from '../../model/load.ts';
import { entityDescriptors, patchFieldColumns } from '../../server/sync/entities.ts';
import { limits } from '../../server/sync/validation.ts';

const model = loadModel();
const schema = buildSchema(readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8'));
const syncRecordFields = ['id', 'workspaceId', 'version', 'updatedAt', 'updatedBy', 'deleted'];

function entity(name: string): EntityDescription {
  const found = model.entities.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no entity ${name}`);
  return found;
}

function field(entityName: string, fieldName: string): FieldDescription {
  const found = entity(entityName).fields.find((candidate) => candidate.name === fieldName);
  if (!found) throw new Error(`no field ${entityName}.${fieldName}`);
  return found;
}

describe('the default model and schema.graphql', () => {
  it('declares Project, Task and Comment with TaskStatus', () => {
    expect(model.entities.map((e) => e.name)).toEqual(['Project', 'Task', 'Comment']);
    expect(model.enums).toEqual([
      expect.objectContaining({ name: 'TaskStatus', values: ['TODO', 'IN_PROGRESS', 'DONE'] }),
    ]);
  });

  it('gives each entity the object type schema.graphql has, after the SyncRecord fields', () => {
    for (const described of model.entities) {
      const type = schema.getType(described.name) as GraphQLObjectType;
      const fields = Object.values(type.getFields()).map((f) => [f.name, String(f.type)]);
      expect(fields).toEqual([
        ...syncRecordFields.map((name) => [name, String(type.getFields()[name]?.type)]),
        ...described.fields.map((f) => [f.name, f.graphqlType]),
      ]);
      expect(type.getInterfaces().map(String)).toEqual(['SyncRecord']);
    }
  });

  it('derives the patch inputs field by field, in order, with their types', () => {
    for (const described of model.entities) {
      const patch = schema.getType(described.patchInput) as GraphQLInputObjectType;
      expect(described.patchFields.map((f) => [f.name, f.graphqlType])).toEqual(
        Object.values(patch.getFields()).map((f) => [f.name, String(f.type)]),
      );
      expect(schema.getType(described.changeInput)).toBeDefined();
    }
  });

  it('derives the EntityType values, ChangeInput keys, queries and SyncEntity members', () => {
    const entityType = schema.getType('EntityType') as GraphQLEnumType;
    expect(model.entities.map((e) => e.entityType)).toEqual(
      entityType.getValues().map((value) => value.name),
    );
    const changeInput = schema.getType('ChangeInput') as GraphQLInputObjectType;
    expect(model.entities.map((e) => [e.changeInputKey, e.changeInput])).toEqual(
      Object.values(changeInput.getFields()).map((f) => [f.name, String(f.type)]),
    );
    const queries = schema.getQueryType()?.getFields() ?? {};
    for (const described of model.entities) {
      expect(String(queries[described.queryField]?.type)).toBe(described.name);
    }
    const union = schema.getType('SyncEntity') as GraphQLUnionType;
    expect(union.getTypes().map(String)).toEqual(model.entities.map((e) => e.name));
    expect(model.entities.map((e) => e.plural)).toEqual(['projects', 'tasks', 'comments']);
  });
});

describe('the default model and the sync engine', () => {
  it('has the data fields, required fields and defaults of the entity descriptors', () => {
    for (const descriptor of Object.values(entityDescriptors)) {
      const described = entity(descriptor.typename);
      expect(described.entityType).toBe(descriptor.type);
      const writable = described.fields.filter((f) => !f.owner);
      expect(writable.map((f) => f.name)).toEqual(descriptor.dataFields);
      expect(described.requiredOnCreate).toEqual(descriptor.requiredOnCreate);
      const defaults = Object.fromEntries(
        writable.filter((f) => f.hasDefault).map((f) => [f.name, f.defaultValue]),
      );
      expect(defaults).toEqual(descriptor.defaults);
    }
  });

  it('names the set and counter patch fields the engine maps onto columns', () => {
    const operations = model.entities
      .flatMap((e) => e.patchFields)
      .filter((f) => f.role !== 'VALUE')
      .map((f) => [f.name, f.field]);
    expect(Object.fromEntries(operations)).toEqual(patchFieldColumns);
  });

  it('puts Comment.authorId under the owner rule and out of the patch', () => {
    expect(entity('Comment').ownerField).toBe('authorId');
    expect(field('Comment', 'authorId').patchFields).toEqual([]);
  });

  it('gives each field the strategy of the merge table', () => {
    const strategyOf = Object.fromEntries(
      model.entities.flatMap((e) => e.fields.map((f) => [`${e.name}.${f.name}`, f.strategy])),
    );
    expect(strategyOf).toMatchObject({
      'Project.name': 'LWW',
      'Task.title': 'TEXT',
      'Task.notes': 'TEXT',
      'Task.tags': 'SET',
      'Task.timeSpentMinutes': 'COUNTER',
      'Task.estimateMinutes': 'MANUAL',
      'Task.status': 'LWW',
      'Comment.body': 'LWW',
    });
  });
});

describe('every limit of server/sync/validation.ts', () => {
  /** Limits of a change's identity or of a field's type, not written on any one field. */
  const platformLimits = [
    'idMaxLength', // every ID that is not a user id (ids, @ref fields)
    'clientIdMaxLength',
    'mutationIdMaxLength',
    'userIdMaxLength', // @member and @owner fields
    'dueAtMinMillis', // every DateTime
    'dueAtMaxMillis',
  ];

  it('is expressed by a directive of the default model, or is a platform limit', () => {
    const tags = field('Task', 'tags').constraints;
    const timeSpent = field('Task', 'timeSpentMinutes').constraints;
    const expressed = {
      projectNameMaxLength: field('Project', 'name').constraints.maxLength,
      taskTitleMaxLength: field('Task', 'title').constraints.maxLength,
      taskNotesMaxLength: field('Task', 'notes').constraints.maxLength,
      commentBodyMaxLength: field('Comment', 'body').constraints.maxLength,
      sortKeyMaxLength: field('Task', 'sortKey').constraints.maxLength,
      tagMaxLength: tags.maxLength,
      maxTagsPerTask: tags.maxItems,
      maxTagsPerOperation: tags.maxItems,
      counterMin: timeSpent.int32 ? -(2 ** 31) : null,
      counterMax: timeSpent.int32 ? 2 ** 31 - 1 : null,
      priorityMin: field('Task', 'priority').constraints.min,
      priorityMax: field('Task', 'priority').constraints.max,
      estimateMinutesMin: field('Task', 'estimateMinutes').constraints.min,
      estimateMinutesMax: field('Task', 'estimateMinutes').constraints.max,
      timeSpentDeltaMaxAbs: timeSpent.maxDelta,
      taskStatuses: field('Task', 'status').enumValues,
    };
    const expected: Record<string, unknown> = { ...limits };
    for (const key of platformLimits) delete expected[key];
    expect(expressed).toEqual(expected);
    // A limit added to validation.ts without a directive (or a platform reason) fails here.
    expect(Object.keys(limits).sort()).toEqual(
      [...Object.keys(expressed), ...platformLimits].sort(),
    );
  });

  it('keeps sort keys ASCII and refuses blank required strings only', () => {
    expect(field('Task', 'sortKey').constraints.ascii).toBe(true);
    const notBlank = model.entities.flatMap((e) =>
      e.fields.filter((f) => f.constraints.notBlank).map((f) => `${e.name}.${f.name}`),
    );
    // validation.ts: name, title and body must not be blank; notes and sortKey may be.
    expect(notBlank).toEqual(['Project.name', 'Task.title', 'Comment.body']);
  });

  it('links the id fields as the push engine checks them', () => {
    expect(field('Task', 'projectId').ref).toBe('Project');
    expect(field('Comment', 'taskId').ref).toBe('Task');
    expect(field('Task', 'assigneeId').member).toBe(true);
  });
});
