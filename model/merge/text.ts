import { changedRange, diffHunks, type Hunk } from './diff.ts';

/**
 * TEXT strategy (@text fields): a three-way merge (diff3) at word granularity.
 *
 * Text is split into words, whitespace runs and single other characters, so two edits to
 * different words of one line both survive, where a line-based diff3 would call them a
 * conflict. Changes of the two sides that overlap, or touch, the same tokens of the base are
 * a conflict unless both sides made the same change: where two edits meet, no order or
 * combination of them is certainly what both people meant.
 */

/** A side needing more edits than this is diffed line by line first (bounds time and memory). */
const MAX_EDITS = 2_000;

// Words (letters, digits, combining marks, joiners inside words), whitespace runs, and any
// other character together with the marks, emoji modifiers and ZWJ sequences that extend it,
// so an emoji or a flag is one token and is never split by a merge.
const TOKEN =
  /[\p{L}\p{N}\p{M}\u200C\u200D]+|\s+|(?:\p{Regional_Indicator}{2}|\S)(?:[\p{M}\p{Emoji_Modifier}]|\u200D\S)*/gu;

export type TextMergeResult = { ok: true; value: string } | { ok: false };

/**
 * Three-way merge of base, server and local text at word/character granularity. Non-overlapping
 * edits are both kept; edits that overlap the same region differently are a conflict; identical
 * edits on both sides are not. base === server -> local; base === local -> server.
 */
export function mergeText(base: string, server: string, local: string): TextMergeResult {
  if (server === local || base === local) return { ok: true, value: server };
  if (base === server) return { ok: true, value: local };

  const interner = new Interner();
  const o = interner.document(base);
  const a = interner.document(server);
  const b = interner.document(local);
  return diff3(o, a, sideHunks(interner, o, a), b, sideHunks(interner, o, b));
}

/** Splits text into merge tokens; joining them gives the text back exactly. */
export function tokenize(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

interface Document {
  tokens: string[];
  ids: Int32Array;
}

/** A document as lines (runs of tokens up to one containing a line break), for the coarse diff. */
interface Lines {
  ids: Int32Array;
  /** Token index where each line starts, plus the token count at the end. */
  starts: number[];
}

class Interner {
  private readonly tokenIds = new Map<string, number>();
  private readonly lineIds = new Map<string, number>();

  document(text: string): Document {
    const tokens = tokenize(text);
    const ids = new Int32Array(tokens.length);
    tokens.forEach((token, index) => {
      ids[index] = intern(this.tokenIds, token);
    });
    return { tokens, ids };
  }

  lines(document: Document): Lines {
    const { tokens } = document;
    const starts = [0];
    const ids: number[] = [];
    for (let index = 0; index < tokens.length; index++) {
      if ((tokens[index] as string).includes('\n') || index === tokens.length - 1) {
        const line = tokens.slice(starts[starts.length - 1], index + 1).join('');
        ids.push(intern(this.lineIds, line));
        starts.push(index + 1);
      }
    }
    return { ids: Int32Array.from(ids), starts };
  }
}

function intern(ids: Map<string, number>, value: string): number {
  let id = ids.get(value);
  if (id === undefined) {
    id = ids.size;
    ids.set(value, id);
  }
  return id;
}

/**
 * The hunks from base `o` to side `x` at token level. A side with very many edits is diffed by
 * lines first and each changed block refined by tokens; a block still too different stays one
 * hunk. Coarser hunks can only turn a clean merge into a conflict, never lose an edit.
 */
function sideHunks(interner: Interner, o: Document, x: Document): Hunk[] {
  const fine = diffHunks(o.ids, x.ids, MAX_EDITS);
  if (fine) return fine;
  const oLines = interner.lines(o);
  const xLines = interner.lines(x);
  const byLine = diffHunks(oLines.ids, xLines.ids, MAX_EDITS);
  // A single changed block holds every edit: refining it would repeat the search that failed.
  if (!byLine || byLine.length < 2) {
    const whole = changedRange(o.ids, x.ids);
    return whole ? [whole] : [];
  }
  return byLine.flatMap((lines) => refine(o, x, tokenRangeOfLines(oLines, xLines, lines)));
}

function tokenRangeOfLines(o: Lines, x: Lines, lines: Hunk): Hunk {
  return {
    oStart: o.starts[lines.oStart] as number,
    oEnd: o.starts[lines.oEnd] as number,
    xStart: x.starts[lines.xStart] as number,
    xEnd: x.starts[lines.xEnd] as number,
  };
}

function refine(o: Document, x: Document, block: Hunk): Hunk[] {
  const inner = diffHunks(
    o.ids.subarray(block.oStart, block.oEnd),
    x.ids.subarray(block.xStart, block.xEnd),
    MAX_EDITS,
  );
  if (!inner) return [block];
  return inner.map((hunk) => ({
    oStart: block.oStart + hunk.oStart,
    oEnd: block.oStart + hunk.oEnd,
    xStart: block.xStart + hunk.xStart,
    xEnd: block.xStart + hunk.xEnd,
  }));
}

interface SideHunk extends Hunk {
  side: 'a' | 'b';
}

/**
 * Combines the two sides' hunks over the base (Khanna, Kunal and Pierce, "A Formal
 * Investigation of Diff3"): hunks that overlap or touch in the base form one region; a region
 * changed by one side takes that side's text, a region changed by both needs both texts equal.
 */
function diff3(
  o: Document,
  a: Document,
  aHunks: Hunk[],
  b: Document,
  bHunks: Hunk[],
): TextMergeResult {
  const hunks: SideHunk[] = [
    ...aHunks.map((hunk) => ({ ...hunk, side: 'a' as const })),
    ...bHunks.map((hunk) => ({ ...hunk, side: 'b' as const })),
  ].sort((p, q) => p.oStart - q.oStart);

  const output: string[] = [];
  let copied = 0;
  let index = 0;
  while (index < hunks.length) {
    const first = hunks[index] as SideHunk;
    const region = [first];
    let regionEnd = first.oEnd;
    for (index++; index < hunks.length; index++) {
      const next = hunks[index] as SideHunk;
      if (next.oStart > regionEnd) break;
      region.push(next);
      regionEnd = Math.max(regionEnd, next.oEnd);
    }
    output.push(joined(o, copied, first.oStart));
    copied = regionEnd;

    const aText = sideText(o, a, region, 'a', first.oStart, regionEnd);
    const bText = sideText(o, b, region, 'b', first.oStart, regionEnd);
    // A side that did not touch the region reads as the base there, so the other side wins.
    const baseText = joined(o, first.oStart, regionEnd);
    if (aText === bText || bText === baseText) output.push(aText);
    else if (aText === baseText) output.push(bText);
    else return { ok: false };
  }
  output.push(joined(o, copied, o.tokens.length));
  return { ok: true, value: output.join('') };
}

/** What side `x` has in place of base region [start, end): its hunks plus the base between them. */
function sideText(
  o: Document,
  x: Document,
  region: SideHunk[],
  side: 'a' | 'b',
  start: number,
  end: number,
): string {
  const own = region.filter((hunk) => hunk.side === side);
  const first = own[0];
  const last = own[own.length - 1];
  if (!first || !last) return joined(o, start, end);
  // Outside its hunks a side equals the base, so its region edges sit at the same distance.
  const xStart = first.xStart - (first.oStart - start);
  const xEnd = last.xEnd + (end - last.oEnd);
  return joined(x, xStart, xEnd);
}

function joined(document: Document, start: number, end: number): string {
  return document.tokens.slice(start, end).join('');
}
