/**
 * Valid and invalid values for every field of a model, derived from its type and directives
 * (docs/conformance.md, What it checks). Pure: no server, so test/conformance/values.test.ts
 * can check that valid values meet every constraint and invalid ones break exactly one rule.
 */

import type {
  EntityDescription,
  FieldConstraints,
  FieldDescription,
  JsonValue,
  PatchFieldDescription,
} from '../model/index.ts';
import { sampleRegex, wholeMatch } from './sample-regex.ts';

/** What values that name other things (entities, users) may name. */
export interface ValueWorld {
  /** Live entities of a type, for @ref fields (at least one; two make LWW checks possible). */
  liveIds(entity: string): readonly string[];
  /** Members of the workspace, for @member fields. */
  memberIds: readonly string[];
  /** A well-formed user id that is not a member. */
  nonMemberId: string;
  /** A well-formed entity id that names nothing. */
  missingId: string;
}

export type ExpectedCode = 'VALIDATION' | 'INVALID_REFERENCE';

/** A value the server must refuse, and how. */
export interface InvalidCase {
  /** What rule it breaks, as a reader of the model would say it: `@length(max: 200)`. */
  rule: string;
  /** The value in words: `a value of 201 characters`. */
  description: string;
  /** `update` patches an existing entity with `{ [patchField]: value }`; `create` sends a full create. */
  mode: 'create' | 'update';
  patchField: string;
  /** For `omit` cases: the create leaves this field out instead. */
  value: JsonValue;
  omit?: boolean;
  expect: { code: ExpectedCode; field: string; messageIncludes?: string };
  /**
   * The GraphQL input type already refuses the value (an Int of 1.5, an unknown enum value, a
   * field the patch type does not have): the whole request is BAD_USER_INPUT, or the change is
   * REJECTED as `expect` says. Either way nothing is applied.
   */
  refusedByInputType?: boolean;
}

// A plain String accepts any text. These also look like colours, so they pass servers that
// check a colour by code instead of by @pattern (the default model's `color` before @pattern).
const PLAIN_STRINGS = ['#2E86AB', '#F18F01'];
const DATE_TIMES = ['2026-03-01T10:00:00.000Z', '2027-07-15T08:30:00.000Z'];
const JSON_VALUES: JsonValue[] = [{ conformance: true, items: [1, 'two'] }, ['x', 2, null]];
const UNKNOWN_ENUM_VALUE = 'CONFORMANCE_UNKNOWN_VALUE';
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;
/** Longer limits are checked with ASCII only: the request stays small. */
const MAX_EMOJI_BOUNDARY = 1000;

const distinct = <T>(values: T[]): T[] => {
  const seen = new Set<string>();
  return values.filter((value) => {
    const key = JSON.stringify(value);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
};

/** Whether a string meets a field's String constraints (not its type). */
export function meetsStringConstraints(value: string, constraints: FieldConstraints): boolean {
  const pattern = patternOf(constraints);
  if (constraints.maxLength !== null && [...value].length > constraints.maxLength) return false;
  if (constraints.ascii && !/^[\x20-\x7E]*$/.test(value)) return false;
  if (constraints.notBlank && value.trim() === '') return false;
  if (pattern && !wholeMatch(pattern.regex).test(value)) return false;
  return true;
}

/** `@pattern`, when the model language of this checkout has it. */
export function patternOf(
  constraints: FieldConstraints,
): { regex: string; description: string } | null {
  const { pattern } = constraints as { pattern?: { regex: string; description: string } | null };
  return pattern ?? null;
}

function stringSamples(field: FieldDescription): string[] {
  const { constraints } = field;
  const pattern = patternOf(constraints);
  const candidates = pattern ? sampleRegex(pattern.regex, 3) : [...PLAIN_STRINGS];
  const fitted = candidates.map((value) =>
    constraints.maxLength !== null && !pattern ? value.slice(0, constraints.maxLength) : value,
  );
  const samples = fitted.filter((value) => meetsStringConstraints(value, constraints));
  if (!pattern && constraints.maxLength !== null) {
    // The limit itself is allowed: counted in characters (code points), so an emoji is one.
    samples.push('x'.repeat(constraints.maxLength));
    if (!constraints.ascii && constraints.maxLength <= MAX_EMOJI_BOUNDARY) {
      samples.push('\u{1F600}'.repeat(constraints.maxLength));
    }
  }
  return distinct(samples);
}

function intSamples(constraints: FieldConstraints): number[] {
  const min = Math.max(constraints.min ?? INT32_MIN, INT32_MIN);
  const max = Math.min(constraints.max ?? INT32_MAX, INT32_MAX);
  if (constraints.min === null && constraints.max === null) return [7, 42];
  const low = Math.ceil(min);
  const high = Math.floor(max);
  return distinct([low, high].filter((value) => value >= min && value <= max));
}

function floatSamples(constraints: FieldConstraints): number[] {
  const { min, max } = constraints;
  if (min === null && max === null) return [1.5, 2.25];
  const low = min ?? (max as number) - 10;
  const high = max ?? (min as number) + 10;
  const inside = Math.round((low + (high - low) * 0.37) * 100) / 100;
  return distinct([low, high, inside]);
}

/**
 * Distinct valid values of a VALUE patch field, boundaries included; an empty list when none
 * can be found (a @pattern this suite cannot sample).
 */
export function validValues(field: FieldDescription, world: ValueWorld): JsonValue[] {
  if (field.ref) return [...world.liveIds(field.ref)];
  if (field.member) return [...world.memberIds];
  if (field.kind === 'ENUM') return [...(field.enumValues ?? [])];
  switch (field.scalar) {
    case 'String':
      return stringSamples(field);
    case 'ID': {
      const pattern = patternOf(field.constraints);
      return pattern ? sampleRegex(pattern.regex, 2) : ['conformance-id-1', 'conformance-id-2'];
    }
    case 'Int':
      return intSamples(field.constraints);
    case 'Float':
      return floatSamples(field.constraints);
    case 'Boolean':
      return [true, false];
    case 'DateTime':
      return [...DATE_TIMES];
    case 'JSON':
      return [...JSON_VALUES];
    default:
      return [];
  }
}

/** `count` distinct valid items of a @set field (fewer when its enum has fewer values). */
export function setItems(field: FieldDescription, count: number, offset = 0): string[] {
  if (field.kind === 'ENUM') return (field.enumValues ?? []).slice(offset, offset + count);
  const pattern = patternOf(field.constraints);
  if (pattern) return sampleRegex(pattern.regex, offset + count).slice(offset);
  const maxLength = field.constraints.maxLength ?? 20;
  return Array.from({ length: count }, (_, i) => `item${offset + i}`.slice(-maxLength));
}

/** Valid deltas of a @counter field: small ones, then the largest allowed. */
export function validDeltas(field: FieldDescription): number[] {
  const maxDelta = field.constraints.maxDelta ?? Number.POSITIVE_INFINITY;
  const small = field.scalar === 'Float' ? [1.5, 0.25] : [2, 3];
  const boundary = Number.isFinite(maxDelta) ? [maxDelta, -maxDelta] : [];
  return distinct([...small.map((delta) => Math.min(delta, maxDelta)), ...boundary]);
}

function rangeText(constraints: FieldConstraints): string {
  const parts = [];
  if (constraints.min !== null) parts.push(`min: ${constraints.min}`);
  if (constraints.max !== null) parts.push(`max: ${constraints.max}`);
  return `@range(${parts.join(', ')})`;
}

function valueCase(
  patchField: PatchFieldDescription,
  rule: string,
  description: string,
  value: JsonValue,
  extra: Partial<InvalidCase> = {},
): InvalidCase {
  return {
    rule,
    description,
    mode: 'update',
    patchField: patchField.name,
    value,
    expect: { code: 'VALIDATION', field: patchField.name },
    ...extra,
  };
}

function stringCases(field: FieldDescription, patchField: PatchFieldDescription): InvalidCase[] {
  const { constraints } = field;
  const cases: InvalidCase[] = [];
  if (constraints.maxLength !== null) {
    const length = constraints.maxLength + 1;
    cases.push(
      valueCase(
        patchField,
        `@length(max: ${constraints.maxLength})`,
        `a value of ${length} characters`,
        'x'.repeat(length),
      ),
    );
  }
  if (constraints.ascii) {
    const value = 'café'.slice(-(constraints.maxLength ?? 4));
    cases.push(valueCase(patchField, '@ascii', `non-ASCII text "${value}"`, value));
  }
  if (constraints.notBlank) {
    const value = ' '.repeat(Math.min(3, constraints.maxLength ?? 3));
    cases.push(valueCase(patchField, 'not blank (required String)', 'a blank value', value));
  }
  const pattern = patternOf(constraints);
  if (pattern) {
    const unanchored = new RegExp(pattern.regex, 'u');
    const mismatch = ['!', '~~', 'zz', '0', 'A', 'conformance'].find(
      (candidate) =>
        !unanchored.test(candidate) &&
        candidate.length <= (constraints.maxLength ?? candidate.length),
    );
    if (mismatch !== undefined) {
      cases.push(
        valueCase(patchField, `@pattern(${pattern.regex})`, `"${mismatch}"`, mismatch, {
          expect: {
            code: 'VALIDATION',
            field: patchField.name,
            messageIncludes: pattern.description,
          },
        }),
      );
    }
  }
  return cases;
}

function numberCases(field: FieldDescription, patchField: PatchFieldDescription): InvalidCase[] {
  const { constraints } = field;
  const step = field.scalar === 'Int' ? 1 : 0.5;
  const cases: InvalidCase[] = [];
  if (constraints.min !== null) {
    const value = Math.ceil(constraints.min) - step;
    if (field.scalar !== 'Int' || value >= INT32_MIN) {
      cases.push(
        valueCase(patchField, rangeText(constraints), `${value}, below the minimum`, value),
      );
    }
  }
  if (constraints.max !== null) {
    const value = Math.floor(constraints.max) + step;
    if (field.scalar !== 'Int' || value <= INT32_MAX) {
      cases.push(
        valueCase(patchField, rangeText(constraints), `${value}, above the maximum`, value),
      );
    }
  }
  if (field.scalar === 'Int') {
    cases.push(
      valueCase(patchField, 'Int', 'a non-integer 1.5', 1.5, { refusedByInputType: true }),
    );
  }
  return cases;
}

function valueFieldCases(
  field: FieldDescription,
  patchField: PatchFieldDescription,
  world: ValueWorld,
): InvalidCase[] {
  const cases: InvalidCase[] = [];
  if (!field.nullable) {
    cases.push(valueCase(patchField, `non-null ${field.graphqlType}`, 'null', null));
  }
  if (field.kind === 'ENUM') {
    cases.push(
      valueCase(
        patchField,
        `enum ${field.typeName}`,
        `unknown value ${UNKNOWN_ENUM_VALUE}`,
        UNKNOWN_ENUM_VALUE,
        {
          refusedByInputType: true,
        },
      ),
    );
  }
  if (field.scalar === 'String') cases.push(...stringCases(field, patchField));
  if (field.scalar === 'Int' || field.scalar === 'Float')
    cases.push(...numberCases(field, patchField));
  if (field.ref) {
    cases.push(
      valueCase(
        patchField,
        `@ref(entity: "${field.ref}")`,
        'an id that names nothing',
        world.missingId,
        {
          expect: { code: 'INVALID_REFERENCE', field: patchField.name },
        },
      ),
    );
  }
  if (field.member) {
    cases.push(
      valueCase(
        patchField,
        '@member',
        `a user who is not a member (${world.nonMemberId})`,
        world.nonMemberId,
        {
          expect: { code: 'INVALID_REFERENCE', field: patchField.name },
        },
      ),
    );
  }
  return cases;
}

function setCases(field: FieldDescription, patchField: PatchFieldDescription): InvalidCase[] {
  const { constraints } = field;
  const cases: InvalidCase[] = [];
  if (constraints.maxItems !== null) {
    const items = setItems(field, constraints.maxItems + 1);
    if (items.length === constraints.maxItems + 1) {
      cases.push(
        valueCase(
          patchField,
          `@items(max: ${constraints.maxItems})`,
          `${items.length} items in one operation`,
          items,
        ),
      );
    }
  }
  if (field.kind === 'ENUM') {
    cases.push(
      valueCase(
        patchField,
        `enum ${field.typeName}`,
        `unknown item ${UNKNOWN_ENUM_VALUE}`,
        [UNKNOWN_ENUM_VALUE],
        {
          refusedByInputType: true,
        },
      ),
    );
  }
  if (field.kind === 'SCALAR' && constraints.maxLength !== null) {
    const length = constraints.maxLength + 1;
    cases.push(
      valueCase(
        patchField,
        `@length(max: ${constraints.maxLength})`,
        `an item of ${length} characters`,
        ['x'.repeat(length)],
      ),
    );
  }
  return cases;
}

function counterCases(field: FieldDescription, patchField: PatchFieldDescription): InvalidCase[] {
  const { maxDelta } = field.constraints;
  const cases = [valueCase(patchField, '@counter', 'a delta of 0', 0)];
  if (maxDelta !== null) {
    const step = field.scalar === 'Int' ? 1 : 0.5;
    const rule = `@counter(maxDelta: ${maxDelta})`;
    cases.push(valueCase(patchField, rule, `a delta of ${maxDelta + step}`, maxDelta + step));
    cases.push(valueCase(patchField, rule, `a delta of ${-(maxDelta + step)}`, -(maxDelta + step)));
  }
  if (field.scalar === 'Int') {
    cases.push(
      valueCase(patchField, 'Int counter', 'a non-integer delta 1.5', 1.5, {
        refusedByInputType: true,
      }),
    );
  }
  return cases;
}

/** Every value the server must refuse for one field, per directive and type rule. */
export function invalidCases(
  entity: EntityDescription,
  field: FieldDescription,
  world: ValueWorld,
): InvalidCase[] {
  const cases: InvalidCase[] = [];
  if (field.owner) {
    cases.push({
      rule: '@owner',
      description: 'a patch that sets the owner',
      mode: 'update',
      patchField: field.name,
      value: world.memberIds[0] ?? world.nonMemberId,
      expect: { code: 'VALIDATION', field: field.name },
      refusedByInputType: true,
    });
  }
  for (const patchField of field.patchFields) {
    if (patchField.role === 'VALUE') cases.push(...valueFieldCases(field, patchField, world));
    if (patchField.role === 'ADD' || patchField.role === 'REMOVE') {
      cases.push(...setCases(field, patchField));
    }
    if (patchField.role === 'DELTA') cases.push(...counterCases(field, patchField));
  }
  if (entity.requiredOnCreate.includes(field.name)) {
    cases.push({
      rule: 'required on create (non-null, no @default)',
      description: 'a create without it',
      mode: 'create',
      patchField: field.name,
      value: null,
      omit: true,
      expect: { code: 'VALIDATION', field: field.name },
    });
  }
  return cases;
}

/** Compares a value the server returned with one the suite wrote, as the server stores it. */
export function sameValue(field: FieldDescription, actual: unknown, expected: unknown): boolean {
  if (actual === null || expected === null || actual === undefined || expected === undefined) {
    return (actual ?? null) === (expected ?? null);
  }
  if (field.scalar === 'DateTime') {
    return Date.parse(String(actual)) === Date.parse(String(expected));
  }
  return canonical(actual) === canonical(expected);
}

/** JSON with sorted keys: jsonb does not keep key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}
