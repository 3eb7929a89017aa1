/**
 * The default model.graphql must describe today's API exactly (docs/model.md, Writing a model): the names
 * in the committed schema.graphql, the fields, defaults and strategies the engine had before it
 * read the model, and every limit of server/sync/validation.ts.
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
  // The engine's hand-written descriptors before it read the model, kept as the reference.
  const previousDescriptors = [
    {
      type: 'PROJECT',
      typename: 'Project',
      dataFields: ['name', 'color', 'archived'],
      requiredOnCreate: ['name'],
      defaults: { color: null, archived: false },
    },
    {
      type: 'TASK',
      typename: 'Task',
      dataFields: [
        'projectId',
        'title',
        'notes',
        'status',
        'priority',
        'tags',
        'assigneeId',
        'dueAt',
        'estimateMinutes',
        'timeSpentMinutes',
        'sortKey',
      ],
      requiredOnCreate: ['title'],
      defaults: {
        projectId: null,
        notes: '',
        status: 'TODO',
        priority: 0,
        tags: [],
        assigneeId: null,
        dueAt: null,
        estimateMinutes: null,
        timeSpentMinutes: 0,
        sortKey: '',
      },
    },
    {
      type: 'COMMENT',
      typename: 'Comment',
      dataFields: ['taskId', 'body'],
      requiredOnCreate: ['taskId', 'body'],
      defaults: {},
    },
  ];

  it('has the data fields, required fields and defaults the engine had', () => {
    for (const descriptor of previousDescriptors) {
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

  it('names the set and counter patch fields as the API did', () => {
    const operations = model.entities
      .flatMap((e) => e.patchFields)
      .filter((f) => f.role !== 'VALUE')
      .map((f) => [f.name, f.field]);
    expect(Object.fromEntries(operations)).toEqual({
      tagsAdd: 'tags',
      tagsRemove: 'tags',
      timeSpentDelta: 'timeSpentMinutes',
    });
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
  const platformLimits = {
    idMaxLength: 64, // every ID that is not a user id (ids, @ref fields, ID set items)
    clientIdMaxLength: 64,
    mutationIdMaxLength: 128,
    userIdMaxLength: 128, // @member and @owner fields
    workspaceNameMaxLength: 200, // workspaces are not entities of the model
    intMin: -(2 ** 31), // every Int, and Int counter totals
    intMax: 2 ** 31 - 1,
    dateMinMillis: Date.UTC(1970, 0, 1), // every DateTime
    dateMaxMillis: Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    jsonMaxLength: 100_000, // every JSON value
  };

  it('is a platform limit; the limits of fields are directives', () => {
    expect(limits).toEqual(platformLimits);
  });

  it('keeps every per-field limit the engine had, as a directive of the default model', () => {
    const tags = field('Task', 'tags').constraints;
    const timeSpent = field('Task', 'timeSpentMinutes').constraints;
    expect({
      projectNameMaxLength: field('Project', 'name').constraints.maxLength,
      projectColorPattern: field('Project', 'color').constraints.pattern?.regex,
      taskTitleMaxLength: field('Task', 'title').constraints.maxLength,
      taskNotesMaxLength: field('Task', 'notes').constraints.maxLength,
      commentBodyMaxLength: field('Comment', 'body').constraints.maxLength,
      sortKeyMaxLength: field('Task', 'sortKey').constraints.maxLength,
      tagMaxLength: tags.maxLength,
      maxTagsPerTask: tags.maxItems,
      timeSpentInt32: timeSpent.int32,
      priorityMin: field('Task', 'priority').constraints.min,
      priorityMax: field('Task', 'priority').constraints.max,
      estimateMinutesMin: field('Task', 'estimateMinutes').constraints.min,
      estimateMinutesMax: field('Task', 'estimateMinutes').constraints.max,
      timeSpentDeltaMaxAbs: timeSpent.maxDelta,
      taskStatuses: field('Task', 'status').enumValues,
    }).toEqual({
      projectNameMaxLength: 200,
      projectColorPattern: '^#[0-9A-Fa-f]{6}$',
      taskTitleMaxLength: 200,
      taskNotesMaxLength: 100_000,
      commentBodyMaxLength: 20_000,
      sortKeyMaxLength: 200,
      tagMaxLength: 50,
      maxTagsPerTask: 50,
      timeSpentInt32: true,
      priorityMin: 0,
      priorityMax: 5,
      estimateMinutesMin: 0,
      estimateMinutesMax: 1_000_000,
      timeSpentDeltaMaxAbs: 100_000,
      taskStatuses: ['TODO', 'IN_PROGRESS', 'DONE'],
    });
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
