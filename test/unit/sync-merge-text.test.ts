import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeText, tokenize } from '../../model/merge/index.ts';

const merged = (value: string) => ({ ok: true, value });
const conflict = { ok: false };

describe('tokenize', () => {
  it('splits words, whitespace runs and single other characters', () => {
    expect(tokenize('Hello,  world!\n')).toEqual(['Hello', ',', '  ', 'world', '!', '\n']);
  });

  it('keeps letters, digits and combining marks of any script in one word', () => {
    expect(tokenize('café naïve e\u0301t\u00e9 Ελληνικά 東京 v2')).toEqual([
      'café',
      ' ',
      'naïve',
      ' ',
      'e\u0301t\u00e9',
      ' ',
      'Ελληνικά',
      ' ',
      '東京',
      ' ',
      'v2',
    ]);
  });

  it('keeps an emoji with its modifiers, ZWJ sequences and flags as one token', () => {
    expect(tokenize('👍🏽👨‍👩‍👧🇫🇷🇩🇪❤️')).toEqual(['👍🏽', '👨‍👩‍👧', '🇫🇷', '🇩🇪', '❤️']);
  });

  it('gives the text back exactly, even with lone surrogates', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(tokenize(text).join('')).toBe(text);
      }),
    );
    expect(tokenize('a\uD800b').join('')).toBe('a\uD800b');
  });

  it('returns no tokens for the empty string', () => {
    expect(tokenize('')).toEqual([]);
  });
});

describe('mergeText', () => {
  it('takes local when the server did not change the text', () => {
    expect(mergeText('base', 'base', 'local')).toEqual(merged('local'));
  });

  it('takes the server text when local did not change it', () => {
    expect(mergeText('base', 'server', 'base')).toEqual(merged('server'));
  });

  it('keeps two edits to different words of the same line', () => {
    expect(mergeText('the quick brown fox', 'the slow brown fox', 'the quick brown dog')).toEqual(
      merged('the slow brown dog'),
    );
  });

  it('keeps edits to two neighbouring words', () => {
    expect(mergeText('red green blue', 'RED green blue', 'red GREEN blue')).toEqual(
      merged('RED GREEN blue'),
    );
  });

  it('keeps an insertion at the start and an edit at the end', () => {
    expect(mergeText('buy milk', 'please buy milk', 'buy oat milk')).toEqual(
      merged('please buy oat milk'),
    );
    expect(mergeText('buy milk', 'please buy milk', 'buy bread')).toEqual(
      merged('please buy bread'),
    );
  });

  it('keeps an insertion at the end and an edit at the start', () => {
    expect(mergeText('buy milk', 'buy milk today', 'Buy milk')).toEqual(merged('Buy milk today'));
  });

  it('keeps a deletion on one side and an edit elsewhere on the other', () => {
    expect(
      mergeText(
        'call Anna about the very late invoice',
        'call Anna about the invoice',
        'call Bob about the very late invoice',
      ),
    ).toEqual(merged('call Bob about the invoice'));
  });

  it('keeps edits in different lines of a multi-line note', () => {
    const base = 'Steps:\n1. open the app\n2. tap sync\n3. wait\n';
    const server = 'Steps:\n1. open the mobile app\n2. tap sync\n3. wait\n';
    const local = 'Steps:\n1. open the app\n2. tap sync\n3. wait a minute\n4. check\n';
    expect(mergeText(base, server, local)).toEqual(
      merged('Steps:\n1. open the mobile app\n2. tap sync\n3. wait a minute\n4. check\n'),
    );
  });

  it('opens a conflict when both sides change the same word differently', () => {
    expect(mergeText('hello world', 'hello there', 'hello friend')).toEqual(conflict);
  });

  it('keeps a word edit next to an edited word and an insertion at the end', () => {
    expect(
      mergeText('the quick brown fox', 'the slow brown fox', 'the quick red fox jumps'),
    ).toEqual(merged('the slow red fox jumps'));
  });

  it('opens a conflict when edits overlap without being equal', () => {
    expect(mergeText('the quick brown fox', 'the slow green fox', 'the fast brown cat')).toEqual(
      conflict,
    );
  });

  it('opens a conflict when both sides insert different text at the same place', () => {
    expect(mergeText('a b', 'a x b', 'a y b')).toEqual(conflict);
    expect(mergeText('', 'server text', 'local text')).toEqual(conflict);
  });

  it('opens a conflict when one side deletes a word the other edits', () => {
    expect(mergeText('keep this word', 'keep word', 'keep that word')).toEqual(conflict);
  });

  it('opens a conflict when one side clears the text the other edits', () => {
    expect(mergeText('some notes', '', 'some more notes')).toEqual(conflict);
  });

  it('does not open a conflict for identical edits', () => {
    expect(mergeText('hello world', 'hello there', 'hello there')).toEqual(merged('hello there'));
  });

  it('does not open a conflict when both make the same edit and one also edits elsewhere', () => {
    expect(mergeText('one two three', 'one 2 three', 'one 2 THREE')).toEqual(merged('one 2 THREE'));
  });

  it('merges text with accents and emoji without damaging them', () => {
    expect(mergeText('café 👍 crème', 'cafés 👍 crème', 'café 👍🏽 crème brûlée')).toEqual(
      merged('cafés 👍🏽 crème brûlée'),
    );
    expect(mergeText('日本語 の テキスト', '日本語 の 文章', '英語 の テキスト')).toEqual(
      merged('英語 の 文章'),
    );
  });

  it('never splits an emoji between the two sides', () => {
    // Both sides change the same emoji differently: a conflict, not half of each.
    expect(mergeText('ok 👍 ok', 'ok 👍🏽 ok', 'ok 👍🏿 ok')).toEqual(conflict);
    expect(mergeText('flag 🇫🇷 here', 'flag 🇩🇪 here', 'flag 🇫🇷 there')).toEqual(
      merged('flag 🇩🇪 there'),
    );
  });

  it('keeps punctuation edits apart from word edits', () => {
    expect(mergeText('Hello world', 'Hello, world', 'Hello world!')).toEqual(
      merged('Hello, world!'),
    );
  });

  it('handles the empty base', () => {
    expect(mergeText('', '', 'new')).toEqual(merged('new'));
    expect(mergeText('', 'same', 'same')).toEqual(merged('same'));
  });

  it('treats words named like Object.prototype members as plain words', () => {
    expect(
      mergeText(
        'constructor toString __proto__',
        'CONSTRUCTOR toString __proto__',
        'constructor toString __proto__ hasOwnProperty',
      ),
    ).toEqual(merged('CONSTRUCTOR toString __proto__ hasOwnProperty'));
  });
});

// Speed is measured by `npm run bench`, not asserted here; a quadratic regression on these
// notes would still show up as the suite's hang guard (testTimeout) firing.
describe('mergeText on long notes', () => {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'the', 'a', 'of', 'and', 'sync', 'merge'];
  const longNote = Array.from({ length: 20_000 }, (_, index) => {
    const word = words[(index * 7 + (index >> 3)) % words.length] as string;
    return index % 12 === 11 ? `${word}.\n` : `${word} `;
  }).join('');

  it('merges edits at both ends of a 100,000-character note', () => {
    expect(longNote.length).toBeGreaterThan(90_000);
    const server = `Intro: ${longNote}`;
    const local = `${longNote}The end.`;
    const result = mergeText(longNote, server, local);
    expect(result).toEqual(merged(`Intro: ${longNote}The end.`));
  });

  it('merges many scattered edits on both sides', () => {
    const tokens = tokenize(longNote);
    const isWord = (token: string) => /^\p{L}+$/u.test(token);
    const serverAt = (index: number) => index % 400 < 2 && isWord(tokens[index] as string);
    const localAt = (index: number) =>
      index % 400 >= 200 && index % 400 < 202 && isWord(tokens[index] as string);
    const server = tokens.map((token, index) => (serverAt(index) ? 'SERVER' : token)).join('');
    const local = tokens.map((token, index) => (localAt(index) ? 'LOCAL' : token)).join('');
    const expected = tokens
      .map((token, index) => (serverAt(index) ? 'SERVER' : localAt(index) ? 'LOCAL' : token))
      .join('');
    expect(server).not.toBe(longNote);
    expect(local).not.toBe(longNote);
    expect(mergeText(longNote, server, local)).toEqual(merged(expected));
  });

  it('still merges by lines when one side rewrote too much for a word diff', () => {
    const lines = longNote.split('\n');
    const half = Math.floor(lines.length / 2);
    // Every word of every other line of the first half rewritten: thousands of word edits,
    // far beyond the word-level budget, so the merge diffs by lines first.
    const rewritten = lines.map((line, index) =>
      index < half && index % 2 === 0 ? line.toUpperCase() : line,
    );
    const localLines = [...lines];
    localLines[101] = `${localLines[101]} (checked)`;
    const result = mergeText(longNote, rewritten.join('\n'), localLines.join('\n'));
    const expected = [...rewritten];
    expected[101] = `${expected[101]} (checked)`;
    expect(result).toEqual(merged(expected.join('\n')));
  });

  it('keeps an edit next to a one-line rewrite too large for a word diff', () => {
    const line = 'word '.repeat(20_000);
    const rewritten = line.replaceAll('word', 'w');
    const result = mergeText(line, rewritten, `${line}end`);
    expect(result).toEqual(merged(`${rewritten}end`));
    expect(mergeText(line, rewritten, `X${line}`)).toEqual(conflict);
  });

  it('opens a conflict when both sides rewrote everything', () => {
    const result = mergeText(longNote, longNote.toUpperCase(), longNote.replaceAll('a', 'o'));
    expect(result).toEqual(conflict);
  });
});

// ---- properties ----------------------------------------------------------------------------

const textArb = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc
    .array(fc.constantFrom('a', 'b', 'word', ' ', '  ', '\n', ',', 'é', '👍', '👍🏽'), {
      maxLength: 25,
    })
    .map((parts) => parts.join('')),
);

describe('mergeText properties', () => {
  it('merge(base, x, base) === x and merge(base, base, x) === x', () => {
    fc.assert(
      fc.property(textArb, textArb, (base, x) => {
        expect(mergeText(base, x, base)).toEqual(merged(x));
        expect(mergeText(base, base, x)).toEqual(merged(x));
      }),
    );
  });

  it('merge(base, x, x) === x', () => {
    fc.assert(
      fc.property(textArb, textArb, (base, x) => {
        expect(mergeText(base, x, x)).toEqual(merged(x));
      }),
    );
  });

  it('is symmetric: swapping server and local gives the same outcome and text', () => {
    fc.assert(
      fc.property(textArb, textArb, textArb, (base, x, y) => {
        expect(mergeText(base, y, x)).toEqual(mergeText(base, x, y));
      }),
      { numRuns: 500 },
    );
  });

  // Each side edits its own words, at least two words away from the other side's: the merge
  // must succeed and contain both sides' edits, whatever the edit kinds.
  type Edit = { kind: 'replace' | 'delete' | 'insertBefore'; word: string };
  const planArb = fc
    .uniqueArray(fc.stringMatching(/^[a-z]{1,6}$/), { minLength: 1, maxLength: 30 })
    .chain((baseWords) =>
      fc.tuple(
        fc.constant(baseWords),
        fc.array(
          fc.option(
            fc.record({
              side: fc.constantFrom('server', 'local'),
              kind: fc.constantFrom('replace', 'delete', 'insertBefore'),
            }),
            { freq: 2 },
          ),
          { minLength: baseWords.length, maxLength: baseWords.length },
        ),
      ),
    );

  const applyEdits = (baseWords: string[], edits: (Edit | null)[]): string => {
    const out: string[] = [];
    baseWords.forEach((word, index) => {
      const edit = edits[index];
      if (!edit) out.push(word);
      else if (edit.kind === 'replace') out.push(edit.word);
      else if (edit.kind === 'insertBefore') out.push(edit.word, word);
    });
    return out.join(' ');
  };

  it('keeps both sides of non-overlapping word edits', () => {
    fc.assert(
      fc.property(planArb, ([baseWords, plan]) => {
        // Keep edits of different sides at least two words apart.
        let lastSide: string | null = null;
        let lastIndex = -10;
        const serverEdits: (Edit | null)[] = [];
        const localEdits: (Edit | null)[] = [];
        plan.forEach((step, index) => {
          let accepted = step;
          if (step && step.side !== lastSide && index - lastIndex < 2) accepted = null;
          const edit = accepted ? { kind: accepted.kind, word: `NEW${index}` } : null;
          serverEdits.push(accepted?.side === 'server' ? edit : null);
          localEdits.push(accepted?.side === 'local' ? edit : null);
          if (accepted) {
            lastSide = accepted.side;
            lastIndex = index;
          }
        });
        const bothEdits = serverEdits.map((edit, index) => edit ?? localEdits[index] ?? null);
        const base = baseWords.join(' ');
        const result = mergeText(
          base,
          applyEdits(baseWords, serverEdits),
          applyEdits(baseWords, localEdits),
        );
        expect(result).toEqual(merged(applyEdits(baseWords, bothEdits)));
      }),
      { numRuns: 500 },
    );
  });
});
