import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { changedRange, diffHunks, type Hunk } from '../../model/merge/diff.ts';

/** Rebuilds x from o and the hunks: proves the hunks describe x exactly. */
function applyHunks(o: number[], x: number[], hunks: Hunk[]): number[] {
  const out: number[] = [];
  let copied = 0;
  for (const hunk of hunks) {
    out.push(...o.slice(copied, hunk.oStart), ...x.slice(hunk.xStart, hunk.xEnd));
    copied = hunk.oEnd;
  }
  return [...out, ...o.slice(copied)];
}

/** Edit distance (insertions + deletions) by the textbook quadratic LCS table. */
function editDistance(o: number[], x: number[]): number {
  const lcs = Array.from({ length: o.length + 1 }, () => new Array<number>(x.length + 1).fill(0));
  for (let i = 1; i <= o.length; i++) {
    for (let j = 1; j <= x.length; j++) {
      const row = lcs[i] as number[];
      const above = lcs[i - 1] as number[];
      row[j] =
        o[i - 1] === x[j - 1]
          ? (above[j - 1] as number) + 1
          : Math.max(above[j] as number, row[j - 1] as number);
    }
  }
  return o.length + x.length - 2 * ((lcs[o.length] as number[])[x.length] as number);
}

const size = (hunks: Hunk[]) =>
  hunks.reduce((total, hunk) => total + (hunk.oEnd - hunk.oStart) + (hunk.xEnd - hunk.xStart), 0);

// A small alphabet makes many equal elements, the hard case for alignment.
const sequenceArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 40 });

describe('diffHunks', () => {
  it('finds no hunks between equal sequences', () => {
    expect(diffHunks([1, 2, 3], [1, 2, 3], 10)).toEqual([]);
    expect(diffHunks([], [], 10)).toEqual([]);
  });

  it('describes a replacement, an insertion and a deletion', () => {
    expect(diffHunks([1, 2, 3], [1, 9, 3], 10)).toEqual([
      { oStart: 1, oEnd: 2, xStart: 1, xEnd: 2 },
    ]);
    expect(diffHunks([1, 3], [1, 2, 3], 10)).toEqual([{ oStart: 1, oEnd: 1, xStart: 1, xEnd: 2 }]);
    expect(diffHunks([1, 2, 3], [1, 3], 10)).toEqual([{ oStart: 1, oEnd: 2, xStart: 1, xEnd: 1 }]);
  });

  it('keeps separate changes in separate hunks', () => {
    expect(diffHunks([1, 2, 3, 4, 5], [9, 2, 3, 4, 8], 10)).toEqual([
      { oStart: 0, oEnd: 1, xStart: 0, xEnd: 1 },
      { oStart: 4, oEnd: 5, xStart: 4, xEnd: 5 },
    ]);
  });

  it('gives up beyond the edit budget', () => {
    expect(diffHunks([1, 2, 3, 4], [5, 6, 7, 8], 7)).toBeNull();
    expect(diffHunks([1, 2, 3, 4], [5, 6, 7, 8], 8)).toEqual([
      { oStart: 0, oEnd: 4, xStart: 0, xEnd: 4 },
    ]);
  });

  it('produces ordered, non-touching hunks that rebuild x with the fewest edits', () => {
    fc.assert(
      fc.property(sequenceArb, sequenceArb, (o, x) => {
        const hunks = diffHunks(o, x, o.length + x.length);
        if (!hunks) throw new Error('a budget of n + m always suffices');
        expect(applyHunks(o, x, hunks)).toEqual(x);
        expect(size(hunks)).toBe(editDistance(o, x));
        hunks.forEach((hunk, index) => {
          expect(hunk.oEnd - hunk.oStart + (hunk.xEnd - hunk.xStart)).toBeGreaterThan(0);
          const next = hunks[index + 1];
          // At least one unchanged element between hunks, at the same distance on both sides.
          if (next) {
            expect(next.oStart).toBeGreaterThan(hunk.oEnd);
            expect(next.oStart - hunk.oEnd).toBe(next.xStart - hunk.xEnd);
          }
        });
      }),
      { numRuns: 1000 },
    );
  });

  it('returns null only when the edit distance exceeds the budget', () => {
    fc.assert(
      fc.property(sequenceArb, sequenceArb, fc.integer({ min: 0, max: 30 }), (o, x, budget) => {
        const hunks = diffHunks(o, x, budget);
        const distance = editDistance(o, x);
        if (distance <= budget) expect(hunks).not.toBeNull();
        // A single pure insertion or deletion needs no search, so it is found at any budget.
        const range = changedRange(o, x);
        const pure = range !== null && (range.oStart === range.oEnd || range.xStart === range.xEnd);
        if (distance > budget) expect(hunks === null).toBe(!pure);
      }),
      { numRuns: 500 },
    );
  });

  it('works on typed-array views', () => {
    const o = Int32Array.from([7, 1, 2, 3, 7]).subarray(1, 4);
    const x = Int32Array.from([7, 1, 9, 3, 7]).subarray(1, 4);
    expect(diffHunks(o, x, 10)).toEqual([{ oStart: 1, oEnd: 2, xStart: 1, xEnd: 2 }]);
  });
});

describe('changedRange', () => {
  it('spans from the first to the last difference', () => {
    expect(changedRange([1, 2, 3, 4, 5], [1, 9, 3, 8, 5])).toEqual({
      oStart: 1,
      oEnd: 4,
      xStart: 1,
      xEnd: 4,
    });
    expect(changedRange([1, 2], [1, 2])).toBeNull();
  });

  it('does not let prefix and suffix overlap on repeated elements', () => {
    expect(changedRange([1, 1], [1, 1, 1])).toEqual({ oStart: 2, oEnd: 2, xStart: 2, xEnd: 3 });
  });
});
