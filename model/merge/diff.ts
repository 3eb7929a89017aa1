/**
 * Two-way diff of integer sequences (interned tokens) as hunks, for the TEXT merge.
 *
 * Myers' O((N+M)D) algorithm, where D is the number of edits. Its cost follows the size of the
 * change, not of the text, which matters because merges run inside the workspace's write lock:
 * node-diff3's LCS is quadratic in repeated tokens (every space is the same token) and took
 * minutes on a 100,000-character note with one word changed on each side.
 */

/** `o[oStart, oEnd)` was replaced by `x[xStart, xEnd)`; either range may be empty. */
export interface Hunk {
  oStart: number;
  oEnd: number;
  xStart: number;
  xEnd: number;
}

type Sequence = ArrayLike<number>;

/**
 * The hunks of a shortest edit script from `o` to `x`, in order, or null when that script
 * needs more than `maxEdits` insertions and deletions (the caller then diffs more coarsely).
 * One pure insertion or deletion is found without search, so it is never over budget.
 * Hunks never touch: at least one unchanged element separates two of them.
 */
export function diffHunks(o: Sequence, x: Sequence, maxEdits: number): Hunk[] | null {
  const changed = changedRange(o, x);
  if (!changed) return [];
  const { oStart, oEnd, xStart, xEnd } = changed;
  if (oStart === oEnd || xStart === xEnd) return [changed];
  const ops = shortestEditScript(o, oStart, oEnd, x, xStart, xEnd, maxEdits);
  return ops && hunksOf(ops, oStart, xStart);
}

/** The one hunk between the common prefix and the common suffix; null when o equals x. */
export function changedRange(o: Sequence, x: Sequence): Hunk | null {
  const prefix = commonPrefix(o, x);
  const suffix = commonSuffix(o, x, prefix);
  const oEnd = o.length - suffix;
  const xEnd = x.length - suffix;
  if (prefix === oEnd && prefix === xEnd) return null;
  return { oStart: prefix, oEnd, xStart: prefix, xEnd };
}

const EQUAL = 0;
const DELETE = 1;
const INSERT = 2;

function commonPrefix(o: Sequence, x: Sequence): number {
  const limit = Math.min(o.length, x.length);
  let length = 0;
  while (length < limit && o[length] === x[length]) length++;
  return length;
}

function commonSuffix(o: Sequence, x: Sequence, prefix: number): number {
  const limit = Math.min(o.length, x.length) - prefix;
  let length = 0;
  while (length < limit && o[o.length - 1 - length] === x[x.length - 1 - length]) length++;
  return length;
}

/**
 * Myers' greedy forward search over o[oFrom, oTo) and x[xFrom, xTo), keeping each round's
 * furthest-reaching points (memory O(D^2), bounded by maxEdits) to walk the path back.
 * Returns the edit operations in order.
 */
function shortestEditScript(
  o: Sequence,
  oFrom: number,
  oTo: number,
  x: Sequence,
  xFrom: number,
  xTo: number,
  maxEdits: number,
): Uint8Array | null {
  const n = oTo - oFrom;
  const m = xTo - xFrom;
  const limit = Math.min(maxEdits, n + m);
  // frontier[k + offset] = furthest o-index reached on diagonal k = (o-index - x-index).
  const offset = limit + 1;
  const frontier = new Int32Array(2 * limit + 3);
  const rounds: Int32Array[] = [];
  for (let d = 0; d <= limit; d++) {
    for (let k = -d; k <= d; k += 2) {
      const fromBelow =
        k === -d || (k !== d && at(frontier, offset, k - 1) < at(frontier, offset, k + 1));
      let i = fromBelow ? at(frontier, offset, k + 1) : at(frontier, offset, k - 1) + 1;
      let j = i - k;
      while (i < n && j < m && o[oFrom + i] === x[xFrom + j]) {
        i++;
        j++;
      }
      frontier[k + offset] = i;
      if (i >= n && j >= m) {
        rounds.push(frontier.slice(offset - d, offset + d + 1));
        return backtrack(rounds, n, m);
      }
    }
    rounds.push(frontier.slice(offset - d, offset + d + 1));
  }
  return null;
}

function at(frontier: Int32Array, offset: number, k: number): number {
  return frontier[k + offset] as number;
}

/** Walks the recorded rounds from the end back to the start; rounds[d][k + d] is on diagonal k. */
function backtrack(rounds: Int32Array[], n: number, m: number): Uint8Array {
  const ops: number[] = [];
  let i = n;
  let j = m;
  for (let d = rounds.length - 1; d > 0; d--) {
    const previous = rounds[d - 1] as Int32Array;
    const point = (k: number) => previous[k + d - 1] as number;
    const k = i - j;
    const fromBelow = k === -d || (k !== d && point(k - 1) < point(k + 1));
    const startI = fromBelow ? point(k + 1) : point(k - 1) + 1;
    const startJ = startI - k;
    while (i > startI && j > startJ) {
      ops.push(EQUAL);
      i--;
      j--;
    }
    ops.push(fromBelow ? INSERT : DELETE);
    i = fromBelow ? startI : startI - 1;
    j = fromBelow ? startJ - 1 : startJ;
  }
  for (; i > 0; i--) ops.push(EQUAL);
  return Uint8Array.from(ops.reverse());
}

function hunksOf(ops: Uint8Array, oFrom: number, xFrom: number): Hunk[] {
  const hunks: Hunk[] = [];
  let i = oFrom;
  let j = xFrom;
  let open: Hunk | null = null;
  for (const op of ops) {
    if (op === EQUAL) {
      if (open) hunks.push({ ...open, oEnd: i, xEnd: j });
      open = null;
      i++;
      j++;
      continue;
    }
    open ??= { oStart: i, oEnd: i, xStart: j, xEnd: j };
    if (op === DELETE) i++;
    else j++;
  }
  if (open) hunks.push({ ...open, oEnd: i, xEnd: j });
  return hunks;
}
