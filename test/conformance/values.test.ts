import { describe, expect, it } from 'vitest';
import { dependencyOrder } from '../../conformance/context.ts';
import { sampleRegex } from '../../conformance/sample-regex.ts';
import {
  invalidCases,
  meetsStringConstraints,
  patternOf,
  setItems,
  type ValueWorld,
  validDeltas,
  validValues,
} from '../../conformance/values.ts';
import type { FieldDescription, ModelDescription } from '../../model/index.ts';
import { loadModel } from '../../model/load.ts';

const models: [string, ModelDescription][] = [
  ['the default model', loadModel()],
  ['the field-service example', loadModel('examples/field-service/model.graphql')],
];

const world: ValueWorld = {
  liveIds: (entity) => [`${entity}-1`, `${entity}-2`],
  memberIds: ['member-1', 'member-2'],
  nonMemberId: 'outsider',
  missingId: 'missing-1',
};

/** Whether a value meets every rule of the field: the property valid values must have. */
function isValid(field: FieldDescription, value: unknown): boolean {
  if (field.kind === 'ENUM') return field.enumValues?.includes(value as string) ?? false;
  const { min, max } = field.constraints;
  switch (field.scalar) {
    case 'String':
      return typeof value === 'string' && meetsStringConstraints(value, field.constraints);
    case 'Int':
    case 'Float':
      return (
        typeof value === 'number' &&
        (field.scalar === 'Float' || Number.isInteger(value)) &&
        (min === null || value >= min) &&
        (max === null || value <= max)
      );
    case 'Boolean':
      return typeof value === 'boolean';
    case 'DateTime':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value));
    case 'ID':
      return typeof value === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(value);
    default:
      return value !== undefined;
  }
}

describe.each(models)('values for %s', (_name, model) => {
  const fields = model.entities.flatMap((entity) =>
    entity.fields.map((field) => ({ entity, field })),
  );

  it('finds at least one valid value for every field, and every value meets the field rules', () => {
    for (const { entity, field } of fields) {
      for (const patchField of field.patchFields) {
        const label = `${entity.name}.${field.name}`;
        if (patchField.role === 'VALUE') {
          const values = validValues(field, world);
          expect(values.length, label).toBeGreaterThan(0);
          for (const value of values)
            expect(isValid(field, value), `${label} ${JSON.stringify(value)}`).toBe(true);
        }
        if (patchField.role === 'ADD') {
          const items = setItems(field, 2);
          expect(new Set(items).size, label).toBe(2);
          const itemField = {
            ...field,
            list: false,
            constraints: { ...field.constraints, notBlank: true },
          };
          for (const item of items)
            expect(isValid(itemField, item), `${label} item ${item}`).toBe(true);
        }
        if (patchField.role === 'DELTA') {
          for (const delta of validDeltas(field)) {
            expect(delta, label).not.toBe(0);
            expect(Math.abs(delta), label).toBeLessThanOrEqual(
              field.constraints.maxDelta ?? Number.POSITIVE_INFINITY,
            );
            if (field.scalar === 'Int') expect(Number.isInteger(delta), label).toBe(true);
          }
        }
      }
    }
  });

  it('derives a refusal for every directive and type rule of every field', () => {
    for (const { entity, field } of fields) {
      const rules = invalidCases(entity, field, world).map((refusal) => refusal.rule);
      const label = `${entity.name}.${field.name}`;
      const { constraints } = field;
      if (constraints.maxLength !== null)
        expect(rules, label).toContainEqual(expect.stringMatching(/^@length/));
      if (constraints.min !== null || constraints.max !== null)
        expect(rules, label).toContainEqual(expect.stringMatching(/^@range/));
      if (constraints.ascii) expect(rules, label).toContain('@ascii');
      if (patternOf(constraints))
        expect(rules, label).toContainEqual(expect.stringMatching(/^@pattern/));
      if (constraints.notBlank) expect(rules, label).toContain('not blank (required String)');
      if (field.ref) expect(rules, label).toContain(`@ref(entity: "${field.ref}")`);
      if (field.member) expect(rules, label).toContain('@member');
      if (field.owner) expect(rules, label).toContain('@owner');
      if (field.strategy === 'COUNTER') expect(rules, label).toContain('@counter');
      if (field.kind === 'ENUM') expect(rules, label).toContain(`enum ${field.typeName}`);
      if (!field.nullable && field.patchFields.some((patchField) => patchField.role === 'VALUE')) {
        expect(rules, label).toContain(`non-null ${field.graphqlType}`);
      }
      if (entity.requiredOnCreate.includes(field.name)) {
        expect(rules, label).toContain('required on create (non-null, no @default)');
      }
    }
  });

  it('makes every refused value break the rule it names', () => {
    for (const { entity, field } of fields) {
      for (const refusal of invalidCases(entity, field, world)) {
        const label = `${entity.name}.${field.name} ${refusal.rule}`;
        const { value } = refusal;
        const { constraints } = field;
        if (refusal.rule.startsWith('@length')) {
          const text = Array.isArray(value) ? String(value[0]) : String(value);
          expect([...text].length, label).toBe((constraints.maxLength as number) + 1);
        }
        if (refusal.rule.startsWith('@range')) {
          const number = value as number;
          expect(
            (constraints.min !== null && number < constraints.min) ||
              (constraints.max !== null && number > constraints.max),
            label,
          ).toBe(true);
        }
        if (refusal.rule === '@ascii')
          expect(/^[\x20-\x7E]*$/.test(String(value)), label).toBe(false);
        if (refusal.rule.startsWith('@items'))
          expect((value as unknown[]).length, label).toBe((constraints.maxItems as number) + 1);
        if (refusal.rule.startsWith('@counter(maxDelta'))
          expect(Math.abs(value as number), label).toBeGreaterThan(constraints.maxDelta as number);
        if (refusal.rule === '@member') expect(value, label).toBe(world.nonMemberId);
        if (refusal.rule.startsWith('@ref')) {
          expect(refusal.expect.code, label).toBe('INVALID_REFERENCE');
          expect(value, label).toBe(world.missingId);
        }
      }
    }
  });
});

describe('sampleRegex', () => {
  it.each([
    '^#[0-9A-Fa-f]{6}$',
    '^[A-Z0-9-]+$',
    '^(?:foo|bar)\\d{2,3}$',
    '[a-c]x?y*',
    '^\\w+@[a-z]+\\.(com|org)$',
    '^[^a-z]{3}$',
  ])('writes distinct strings that match %s as a whole', (regex) => {
    const samples = sampleRegex(regex, 2);
    expect(samples).toHaveLength(2);
    expect(new Set(samples).size).toBe(2);
    for (const sample of samples) expect(sample).toMatch(new RegExp(`^(?:${regex})$`, 'u'));
  });

  it('gives up, rather than guessing, on syntax it does not know', () => {
    expect(sampleRegex('^(?=.*\\d)[a-z0-9]+$')).toEqual([]);
    expect(sampleRegex('^(a)\\1$')).toEqual([]);
  });
});

describe('dependencyOrder', () => {
  it('creates every entity after the entities its required @refs name', () => {
    const model = loadModel('examples/field-service/model.graphql');
    const names = dependencyOrder(model).map((entity) => entity.name);
    expect(names).toHaveLength(model.entities.length);
    for (const entity of model.entities) {
      for (const field of entity.fields) {
        if (field.ref && entity.requiredOnCreate.includes(field.name)) {
          expect(names.indexOf(field.ref), `${entity.name}.${field.name}`).toBeLessThan(
            names.indexOf(entity.name),
          );
        }
      }
    }
  });
});
