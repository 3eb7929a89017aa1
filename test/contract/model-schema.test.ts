/**
 * The GraphQL layer is built from the model, not from names (docs/model.md, Names derived
 * from a type): the schema of the example field-service model has section 8's names, and for
 * every model each entity's types are exactly what its description says.
 */

import { fileURLToPath } from 'node:url';
import {
  type GraphQLEnumType,
  type GraphQLField,
  GraphQLInputObjectType,
  GraphQLObjectType,
  type GraphQLSchema,
  GraphQLUnionType,
  printSchema,
  buildSchema as schemaFromSdl,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import type { ModelDescription } from '../../model/index.ts';
import { loadModel } from '../../model/load.ts';
import { changeRequestReader } from '../../server/schema/entity-inputs.ts';
import { buildSchema } from '../../server/schema/index.ts';
import { tagRow } from '../../server/sync/model.ts';

const exampleModelPath = fileURLToPath(
  new URL('../../examples/field-service/model.graphql', import.meta.url),
);
const exampleModel = loadModel(exampleModelPath);
const example = buildSchema(exampleModel);
const syncRecordFields = ['id', 'workspaceId', 'version', 'updatedAt', 'updatedBy', 'deleted'];

function objectType(schema: GraphQLSchema, name: string): GraphQLObjectType {
  const type = schema.getType(name);
  if (!(type instanceof GraphQLObjectType)) throw new Error(`schema has no object type ${name}`);
  return type;
}

function inputType(schema: GraphQLSchema, name: string): GraphQLInputObjectType {
  const type = schema.getType(name);
  if (!(type instanceof GraphQLInputObjectType)) throw new Error(`schema has no input ${name}`);
  return type;
}

const fieldTypes = (type: GraphQLObjectType | GraphQLInputObjectType) =>
  Object.fromEntries(
    Object.values(type.getFields()).map((field) => [field.name, String(field.type)]),
  );

function enumValues(schema: GraphQLSchema, name: string): string[] {
  return (schema.getType(name) as GraphQLEnumType).getValues().map((value) => value.name);
}

function signature(field: GraphQLField<unknown, unknown> | undefined): string {
  if (!field) return 'missing';
  return `(${field.args.map((arg) => `${arg.name}: ${arg.type}`).join(', ')}): ${field.type}`;
}

describe('the schema of the field-service example model', () => {
  it('has the object type WorkOrder implementing SyncRecord, with sync and model fields', () => {
    const workOrder = objectType(example, 'WorkOrder');
    expect(workOrder.getInterfaces().map(String)).toEqual(['SyncRecord']);
    const fields = fieldTypes(workOrder);
    expect(Object.keys(fields).slice(0, syncRecordFields.length)).toEqual(syncRecordFields);
    expect(fields).toMatchObject({
      requiredSkills: '[Skill!]!',
      labels: '[String!]!',
      laborHours: 'Float!',
      partsFitted: 'Int!',
      dispatcherId: 'ID!',
      state: 'JobState!',
      quotedPrice: 'Float',
      checklist: 'JSON',
      scheduledFor: 'DateTime',
    });
  });

  it('has the query workOrder(id: ID!): WorkOrder and one query per entity', () => {
    const query = example.getQueryType()?.getFields() ?? {};
    expect(signature(query.workOrder)).toBe('(id: ID!): WorkOrder');
    expect(signature(query.partCategory)).toBe('(id: ID!): PartCategory');
    expect(signature(query.inventory)).toBe('(id: ID!): Inventory');
  });

  it('lists every entity in EntityType and SyncEntity, in the model order', () => {
    expect(enumValues(example, 'EntityType')).toEqual([
      'SITE',
      'WORK_ORDER',
      'PART_CATEGORY',
      'BATCH',
      'INVENTORY',
    ]);
    const union = example.getType('SyncEntity') as GraphQLUnionType;
    expect(union).toBeInstanceOf(GraphQLUnionType);
    expect(union.getTypes().map(String)).toEqual([
      'Site',
      'WorkOrder',
      'PartCategory',
      'Batch',
      'Inventory',
    ]);
  });

  it('pushes a work order through ChangeInput.workOrder: WorkOrderChange (@oneOf)', () => {
    const changeInput = inputType(example, 'ChangeInput');
    expect(changeInput.isOneOf).toBe(true);
    expect(fieldTypes(changeInput)).toMatchObject({ workOrder: 'WorkOrderChange' });
    expect(fieldTypes(inputType(example, 'WorkOrderChange')).patch).toBe('WorkOrderPatch');
  });

  it('replaces sets, counters and the owner in WorkOrderPatch as section 8 names them', () => {
    const patch = fieldTypes(inputType(example, 'WorkOrderPatch'));
    expect(patch).toMatchObject({
      labelsAttach: '[String!]',
      labelsDetach: '[String!]',
      requiredSkillsAdd: '[Skill!]',
      requiredSkillsRemove: '[Skill!]',
      laborHoursDelta: 'Float',
      partsFittedChange: 'Int',
      state: 'JobState',
      checklist: 'JSON',
    });
    for (const replaced of ['labels', 'requiredSkills', 'laborHours', 'partsFitted'])
      expect(patch, replaced).not.toHaveProperty(replaced);
    expect(patch).not.toHaveProperty('dispatcherId');
  });

  it("declares the model's enums with their descriptions", () => {
    expect(enumValues(example, 'JobState')).toEqual([
      'SCHEDULED',
      'EN_ROUTE',
      'ON_SITE',
      'COMPLETED',
      'CANCELLED',
    ]);
    expect(enumValues(example, 'Skill')).toEqual(['ELECTRICAL', 'PLUMBING', 'HVAC', 'CARPENTRY']);
    expect(example.getType('JobState')?.description).toBe('Where a work order is in its life.');
    expect(objectType(example, 'Site').description).toBe(
      'A customer location technicians drive to.',
    );
  });

  it('names nothing of the default model', () => {
    for (const name of ['Project', 'Task', 'Comment', 'TaskStatus', 'TaskPatch'])
      expect(example.getType(name), name).toBeUndefined();
    expect(printSchema(example)).not.toMatch(/\b(task|project|comment|tags|timeSpent)/i);
  });

  it('prints SDL that graphql-js builds again', () => {
    expect(() => schemaFromSdl(printSchema(example))).not.toThrow();
  });

  it('resolves a row to the object type of the entity its engine tag names', () => {
    const union = example.getType('SyncEntity') as GraphQLUnionType;
    const row = tagRow('WORK_ORDER', { id: 'w1' });
    const resolveType = union.resolveType as (value: unknown) => unknown;
    expect(resolveType(row)).toBe('WorkOrder');
    expect(resolveType(tagRow('PART_CATEGORY', { id: 'p1' }))).toBe('PartCategory');
    expect(() => resolveType(tagRow('TASK', { id: 't1' }))).toThrow(/TASK/);
  });

  it('reads the one ChangeInput key that is set as a change of that entity type', () => {
    const toChangeRequest = changeRequestReader(exampleModel);
    const request = toChangeRequest({
      site: null,
      workOrder: { mutationId: 'm1', id: 'w1', patch: { laborHoursDelta: 1.5 } },
    });
    expect(request).toEqual({
      entityType: 'WORK_ORDER',
      mutationId: 'm1',
      id: 'w1',
      baseVersion: null,
      hlc: null,
      delete: false,
      patch: { laborHoursDelta: 1.5 },
    });
  });
});

const models: [string, ModelDescription][] = [
  ['default', loadModel()],
  ['field-service', exampleModel],
];

describe.each(models)('the schema of the %s model follows its description', (_name, model) => {
  const schema = buildSchema(model);

  it.each(model.entities.map((entity) => [entity.name, entity] as const))(
    '%s: object fields, patch fields and names',
    (_entityName, entity) => {
      const object = objectType(schema, entity.name);
      expect(fieldTypes(object)).toEqual(
        Object.fromEntries([
          ...syncRecordFields.map((name) => [name, String(object.getFields()[name]?.type)]),
          ...entity.fields.map((field) => [field.name, field.graphqlType]),
        ]),
      );
      for (const field of entity.fields)
        expect(object.getFields()[field.name]?.description ?? null).toBe(field.description);
      expect(object.description ?? null).toBe(entity.description);
      expect(fieldTypes(inputType(schema, entity.patchInput))).toEqual(
        Object.fromEntries(entity.patchFields.map((field) => [field.name, field.graphqlType])),
      );
      expect(fieldTypes(inputType(schema, 'ChangeInput'))[entity.changeInputKey]).toBe(
        entity.changeInput,
      );
      expect(signature(schema.getQueryType()?.getFields()[entity.queryField])).toBe(
        `(id: ID!): ${entity.name}`,
      );
      expect(enumValues(schema, 'EntityType')).toContain(entity.entityType);
    },
  );
});
