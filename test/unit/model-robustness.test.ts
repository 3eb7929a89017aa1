/** Whatever is written, reading a model reports problems or describes it: it never throws. */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkModel } from '../../model/index.ts';

const example = readFileSync(
  new URL('../../examples/field-service/model.graphql', import.meta.url),
  'utf8',
);
const replacements = ['', 'Int', 'Site', '@set', '@owner', '"x"', '{', 'null', '[String]'];

/** The example with one token replaced, for every token; the replacements take turns. */
function* variants(text: string): Generator<string> {
  let turn = 0;
  for (const match of text.matchAll(/@?\w+|"[^"]*"|[{}()[\]!:]/g)) {
    const start = match.index ?? 0;
    const replacement = replacements[turn++ % replacements.length] ?? '';
    yield text.slice(0, start) + replacement + text.slice(start + match[0].length);
  }
}

describe('reading a damaged model', () => {
  it('returns problems with a location or a description, never an exception', () => {
    let damaged = 0;
    for (const text of variants(example)) {
      const check = checkModel(text, { path: 'damaged.graphql' });
      if (check.ok) continue;
      damaged++;
      for (const problem of check.problems) {
        expect(problem.line).toBeGreaterThanOrEqual(1);
        expect(problem.column).toBeGreaterThanOrEqual(1);
        expect(problem.message.length).toBeGreaterThan(10);
      }
    }
    expect(damaged).toBeGreaterThan(200);
  });
});
