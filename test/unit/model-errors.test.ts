/**
 * Each kind of mistake in a model is reported with the file, the line and column of what is at
 * fault, and a message that says what to write instead (docs/model.md, Writing a model).
 */

import { describe, expect, it } from 'vitest';
import { checkModel, describeModel, ModelError } from '../../model/index.ts';

const path = 'models/app.graphql';

/** A valid model around the lines under test. */
const withFields = (...lines: string[]) =>
  [
    'enum Tone { WARM COLD }',
    'type Item @entity {',
    '  label: String!',
    ...lines.map((l) => `  ${l}`),
    '}',
  ].join('\n');

/** Line and column (1-based) of the first occurrence of `marker`. */
function locate(text: string, marker: string): { line: number; column: number } {
  const index = text.indexOf(marker);
  if (index < 0) throw new Error(`marker ${marker} not in model`);
  const before = text.slice(0, index).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

interface Case {
  kind: string;
  model: string;
  /** What the problem points at. */
  at: string;
  message: RegExp;
}

const cases: Case[] = [
  {
    kind: 'unknown field type',
    model: withFields('price: Money'),
    at: 'Money',
    message: /Unknown type "Money".*one of String, Int, Float, Boolean, ID, DateTime, JSON/,
  },
  {
    kind: 'a field holding another entity',
    model: `${withFields()}\ntype Box @entity { item: Item }`,
    at: 'Item }',
    message: /write `itemId: ID @ref\(entity: "Item"\)`/,
  },
  {
    kind: '@set on a scalar',
    model: withFields('badges: String @set'),
    at: '@set',
    message: /@set needs \[String!\]!.*write `badges: \[String!\]! @set`/,
  },
  {
    kind: '@counter on a nullable field',
    model: withFields('visits: Int @counter'),
    at: '@counter',
    message: /write `visits: Int! @counter`/,
  },
  {
    kind: '@counter on a non-number',
    model: withFields('visits: String! @counter'),
    at: '@counter',
    message: /@counter needs Int! or Float!.*use Int! or Float!/,
  },
  {
    kind: '@ref to an enum',
    model: withFields('toneId: ID @ref(entity: "Tone")'),
    at: '@ref',
    message:
      /"Tone" is an enum, not an entity\. A reference names an entity of this model \(Item\)/,
  },
  {
    kind: '@ref to an undeclared type',
    model: withFields('otherId: ID @ref(entity: "item")'),
    at: '@ref',
    message: /"item" is not declared in the model.*Did you mean "Item"\?/,
  },
  {
    kind: 'a field named like a sync field',
    model: withFields('version: Int'),
    at: 'version',
    message: /collides with the sync field "version".*rename it, e.g\. "itemVersion"/,
  },
  {
    kind: 'another sync field',
    model: withFields('workspaceId: ID'),
    at: 'workspaceId',
    message: /sync field "workspaceId"/,
  },
  {
    kind: 'two strategy directives on one field',
    model: withFields('story: String @text @manual'),
    at: '@manual',
    message: /@text and @manual both choose how "story" merges: keep one/,
  },
  {
    kind: '@owner on a non-ID field',
    model: withFields('creator: String! @owner'),
    at: '@owner',
    message: /write `creator: ID! @owner`/,
  },
  {
    kind: 'two @owner fields',
    model: withFields('creatorId: ID! @owner', 'makerId: ID! @owner'),
    at: 'makerId',
    message: /already has the @owner field "creatorId"/,
  },
  {
    kind: 'a set operation named like another field',
    model: withFields('marks: [String!]! @set', 'marksAdd: String'),
    at: '@set',
    message:
      /patch field "marksAdd" of "marks" \(@set\) collides with the field "marksAdd".*@set\(add: "marksAdded"\)/,
  },
  {
    kind: 'a counter delta named like a set operation',
    model: withFields('marks: [String!]! @set', 'hits: Int! @counter(delta: "marksRemove")'),
    at: '@counter',
    message:
      /"marksRemove" of "hits" \(@counter\) collides with the patch field "marksRemove" of "marks"/,
  },
  {
    kind: '@length on a non-string',
    model: withFields('size: Int @length(max: 3)'),
    at: '@length',
    message: /@length limits the characters of String.*Bound numbers with @range/,
  },
  {
    kind: '@range with min above max',
    model: withFields('size: Int @range(min: 5, max: 1)'),
    at: '@range',
    message: /@range\(min: 5, max: 1\) is empty: min must be at most max/,
  },
  {
    kind: '@default of the wrong type',
    model: withFields('size: Int! @default(value: "big")'),
    at: '"big"',
    message: /@default\(value: "big"\) is not of type Int!: write e\.g\. @default\(value: 0\)/,
  },
  {
    kind: '@default outside the field’s own range',
    model: withFields('size: Int! @range(min: 0, max: 5) @default(value: 9)'),
    at: '9)',
    message: /is above 5 \(@range\)/,
  },
  {
    kind: '@default null on a non-null field',
    model: withFields('mood: Tone! @default(value: null)'),
    at: 'null',
    message: /never null: write @default\(value: ONE_OF_ITS_VALUES\)/,
  },
  {
    kind: 'an entity with no fields',
    model: `${withFields()}\ntype Hollow @entity`,
    at: 'Hollow',
    message: /Entity "Hollow" has no fields: add at least one/,
  },
  {
    kind: 'unknown directive',
    model: withFields('label2: String @unique'),
    at: '@unique',
    message: /Unknown directive "@unique"\. The model directives are @entity, @text/,
  },
  {
    kind: 'a built-in directive that is not a model directive',
    model: withFields('old: String @deprecated'),
    at: '@deprecated',
    message: /@deprecated is not a model directive/,
  },
  {
    kind: 'a type not marked @entity',
    model: `${withFields()}\ntype Loose { size: Int }`,
    at: 'Loose',
    message: /Type "Loose" is not marked @entity: write `type Loose @entity \{ \.\.\. \}`/,
  },
  {
    kind: 'two entities with one plural',
    model: `${withFields()}\ntype Thing @entity(plural: "items") { size: Int }`,
    at: 'type Thing',
    message: /plural "items" collides with the plural of "Item": give one a different plural/,
  },
  {
    kind: 'a plural that is a member of the sync client',
    model: `${withFields()}\ntype Statu @entity(plural: "status") { size: Int }`,
    at: 'type Statu',
    message: /plural "status" collides with a member of the sync client/,
  },
  {
    kind: 'an entity named like a platform type',
    model: `${withFields()}\ntype Conflict @entity { size: Int }`,
    at: 'Conflict',
    message: /collides with the platform's type "Conflict": rename it/,
  },
  {
    kind: 'a list without @set',
    model: withFields('words: [String!]!'),
    at: '[String!]!',
    message: /a list is a set, write `words: \[String!\]! @set`/,
  },
  {
    kind: '@manual on JSON',
    model: withFields('extra: JSON @manual'),
    at: '@manual',
    message: /JSON fields are last-writer-wins only, remove @manual/,
  },
  {
    kind: '@items on a single value',
    model: withFields('note: String @items(max: 3)'),
    at: '@items',
    message: /@items limits the items of a @set list/,
  },
  {
    kind: '@ascii on a number',
    model: withFields('size: Int @ascii'),
    at: '@ascii',
    message: /@ascii applies to String fields/,
  },
  {
    kind: '@pattern on a number',
    model: withFields('size: Int @pattern(regex: "^[0-9]+$", description: "digits")'),
    at: '@pattern',
    message: /@pattern applies to String and ID fields; "size" is Int: remove @pattern/,
  },
  {
    kind: '@pattern with a regular expression that does not compile',
    model: withFields('code: String @pattern(regex: "[A-Z", description: "capitals")'),
    at: '@pattern',
    message: /@pattern\(regex: "\[A-Z"\) is not a valid regular expression/,
  },
  {
    kind: 'a default that breaks its @pattern',
    model: withFields(
      'code: String! @pattern(regex: "^[A-Z]+$", description: "capitals") @default(value: "abc")',
    ),
    at: '"abc"',
    message: /@default\(value: "abc"\) is not capitals \(@pattern\)/,
  },
  {
    kind: 'a patch field name that is not a GraphQL name',
    model: withFields('marks: [String!]! @set(add: "marks-add")'),
    at: '@set',
    message: /@set\(add: "marks-add"\) is not a GraphQL name/,
  },
  {
    kind: 'a directive argument of the wrong type',
    model: withFields('note: String @length(max: "long")'),
    at: '"long"',
    message: /Argument "max" has invalid value "long"\. Write @length\(max: Int!\)/,
  },
  {
    kind: 'a custom scalar',
    model: `${withFields()}\nscalar Money`,
    at: 'scalar',
    message: /Custom scalar "Money" is not supported: use one of String/,
  },
  {
    kind: 'an entity implementing an interface',
    model: `${withFields()}\ntype Thing implements Item @entity { size: Int }`,
    at: 'Item @entity { size',
    message: /Entity "Thing" implements SyncRecord by itself: remove `implements Item`/,
  },
  {
    kind: 'an enum without values',
    model: `${withFields()}\nenum Mood`,
    at: 'Mood',
    message: /Enum "Mood" has no values: list them/,
  },
  {
    kind: 'a syntax error',
    model: withFields('size Int'),
    at: 'Int',
    message: /Syntax Error: Expected ":"/,
  },
];

describe('each kind of mistake', () => {
  it.each(cases)('$kind', ({ model, at, message }) => {
    const check = checkModel(model, { path });
    expect(check.ok).toBe(false);
    expect(check.problems).toEqual([
      { path, ...locate(model, at), message: expect.stringMatching(message) },
    ]);
  });

  it('covers an empty model and one without entities', () => {
    expect(checkModel('# nothing yet\n', { path }).problems).toEqual([
      { path, line: 1, column: 1, message: expect.stringMatching(/The model is empty: declare/) },
    ]);
    expect(checkModel('enum Tone { WARM }', { path }).problems).toEqual([
      { path, line: 1, column: 1, message: expect.stringMatching(/declares no entity/) },
    ]);
  });
});

describe('a model with several mistakes', () => {
  const model = [
    'type Item @entity {',
    '  price: Money',
    '  visits: Int @counter',
    '  version: Int',
    '  toneId: ID @ref(entity: "Tone")',
    '}',
    'type Hollow @entity',
  ].join('\n');

  it('reports every one, in the order of the file', () => {
    const check = checkModel(model, { path });
    expect(check.problems.map((p) => [p.line, p.column])).toEqual([
      [2, 10],
      [3, 15],
      [4, 3],
      [5, 14],
      [7, 6],
    ]);
  });

  it('throws a ModelError listing them as path:line:column: message', () => {
    expect(() => describeModel(model, { path })).toThrow(ModelError);
    try {
      describeModel(model, { path });
    } catch (error) {
      const lines = (error as ModelError).message.split('\n');
      expect(lines[0]).toBe('The model has 5 problems:');
      expect(lines[1]).toMatch(/^models\/app\.graphql:2:10: Unknown type "Money"\./);
      expect((error as ModelError).problems).toHaveLength(5);
    }
  });
});
