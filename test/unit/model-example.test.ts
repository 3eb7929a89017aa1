/**
 * The example model (examples/field-service) is read like the default: it shares no name with
 * it, uses every directive, and derives section 8's names for irregular plurals, several sets
 * and counters on one entity and a chain of references.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  describeModel,
  type EntityDescription,
  type ModelDescription,
  modelDirectiveNames,
} from '../../model/index.ts';
import { defaultModelPath, loadModel } from '../../model/load.ts';

const examplePath = fileURLToPath(
  new URL('../../examples/field-service/model.graphql', import.meta.url),
);
const example = loadModel(examplePath);

function entity(model: ModelDescription, name: string): EntityDescription {
  const found = model.entities.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no entity ${name}`);
  return found;
}

const allNames = (model: ModelDescription): string[] => [
  ...model.enums.flatMap((e) => [e.name, ...e.values]),
  ...model.entities.flatMap((e) => [e.name, e.plural, ...e.patchFields.map((f) => f.name)]),
];

describe('the field-service example model', () => {
  it('shares no name with the default model', () => {
    const defaults = new Set(allNames(loadModel(defaultModelPath)));
    expect(allNames(example).filter((name) => defaults.has(name))).toEqual([]);
  });

  it('uses every directive', () => {
    const text = readFileSync(examplePath, 'utf8');
    const unused = modelDirectiveNames.filter((name) => !text.includes(`@${name}`));
    expect(unused).toEqual([]);
    const strategies = new Set(example.entities.flatMap((e) => e.fields.map((f) => f.strategy)));
    expect([...strategies].sort()).toEqual(['COUNTER', 'LWW', 'MANUAL', 'SET', 'TEXT']);
  });

  it('derives section 8 names for WorkOrder', () => {
    expect(entity(example, 'WorkOrder')).toMatchObject({
      plural: 'workOrders',
      queryField: 'workOrder',
      changeInputKey: 'workOrder',
      entityType: 'WORK_ORDER',
      patchInput: 'WorkOrderPatch',
      changeInput: 'WorkOrderChange',
      prismaModel: 'WorkOrder',
      ownerField: 'dispatcherId',
      requiredOnCreate: ['siteId', 'summary'],
    });
  });

  it('derives plurals by the rules and by @entity(plural:)', () => {
    expect(example.entities.map((e) => [e.name, e.plural])).toEqual([
      ['Site', 'sites'],
      ['WorkOrder', 'workOrders'],
      ['PartCategory', 'partCategories'],
      ['Batch', 'batches'],
      ['Inventory', 'inventory'],
    ]);
  });

  it('replaces two sets and two counters of one entity by their operations', () => {
    const operations = entity(example, 'WorkOrder')
      .patchFields.filter((f) => f.role !== 'VALUE')
      .map((f) => [f.name, f.role, f.field, f.graphqlType]);
    expect(operations).toEqual([
      ['requiredSkillsAdd', 'ADD', 'requiredSkills', '[Skill!]'],
      ['requiredSkillsRemove', 'REMOVE', 'requiredSkills', '[Skill!]'],
      ['labelsAttach', 'ADD', 'labels', '[String!]'],
      ['labelsDetach', 'REMOVE', 'labels', '[String!]'],
      ['laborHoursDelta', 'DELTA', 'laborHours', 'Float'],
      ['partsFittedChange', 'DELTA', 'partsFitted', 'Int'],
    ]);
    const counters = entity(example, 'WorkOrder').fields.filter((f) => f.strategy === 'COUNTER');
    expect(counters.map((f) => [f.name, f.constraints.maxDelta, f.constraints.int32])).toEqual([
      ['laborHours', 24, false],
      ['partsFitted', 500, true],
    ]);
    expect(entity(example, 'WorkOrder').patchFields.map((f) => f.name)).not.toContain(
      'dispatcherId',
    );
  });

  it('follows the chain of references Inventory -> Batch -> WorkOrder -> Site', () => {
    const refOf = (name: string) =>
      entity(example, name).fields.find((f) => f.ref !== null && !f.nullable)?.ref;
    expect([refOf('Inventory'), refOf('Batch'), refOf('WorkOrder')]).toEqual([
      'Batch',
      'WorkOrder',
      'Site',
    ]);
  });

  it('reads enum values, defaults and constraints', () => {
    const workOrder = entity(example, 'WorkOrder');
    const state = workOrder.fields.find((f) => f.name === 'state');
    expect(state).toMatchObject({
      kind: 'ENUM',
      strategy: 'MANUAL',
      enumValues: ['SCHEDULED', 'EN_ROUTE', 'ON_SITE', 'COMPLETED', 'CANCELLED'],
      defaultValue: 'SCHEDULED',
    });
    const batch = entity(example, 'Batch').fields.find((f) => f.name === 'deliveredAt');
    expect(batch?.defaultValue).toBe('2026-01-01T00:00:00.000Z');
    const gateCode = entity(example, 'Site').fields.find((f) => f.name === 'gateCode');
    expect(gateCode?.constraints).toMatchObject({ maxLength: 32, ascii: true, pattern: null });
    const code = entity(example, 'PartCategory').fields.find((f) => f.name === 'code');
    expect(code?.constraints.pattern).toEqual({
      regex: '^[A-Z0-9-]+$',
      description: 'capital letters, digits and dashes',
    });
    expect(workOrder.fields.find((f) => f.name === 'technicianId')?.member).toBe(true);
  });
});

describe('the description', () => {
  it('is deeply frozen', () => {
    const workOrder = entity(example, 'WorkOrder');
    const field = workOrder.fields[0];
    expect(Object.isFrozen(example)).toBe(true);
    expect(Object.isFrozen(example.entities)).toBe(true);
    expect(Object.isFrozen(field?.constraints)).toBe(true);
    expect(Object.isFrozen(field?.patchFields[0])).toBe(true);
    expect(() => {
      (example.entities as EntityDescription[]).push(workOrder);
    }).toThrow(TypeError);
    expect(() => {
      (workOrder as { plural: string }).plural = 'orders';
    }).toThrow(TypeError);
  });

  it('is plain data: JSON round trips it', () => {
    expect(JSON.parse(JSON.stringify(example))).toEqual(example);
  });

  it('is the same for the same text, wherever it is read from', () => {
    const text = readFileSync(examplePath, 'utf8');
    expect(describeModel(text, { path: example.path })).toEqual(example);
  });
});
