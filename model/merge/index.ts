/**
 * The merge strategies (docs/protocol.md, Merge strategies) as pure functions: no I/O, time
 * passed in as stamps. Browser-safe, so the client can apply the same rules offline.
 */
export { applyCounterDelta } from './counter.ts';
export { valuesEqual } from './equal.ts';
export {
  compareHlc,
  compareStamps,
  effectiveHlc,
  formatHlc,
  isValidHlc,
  MAX_CLOCK_SKEW_MS,
  maxHlc,
  parseHlc,
  type Stamp,
  successorHlc,
} from './hlc.ts';
export { type LwwInput, type LwwResult, mergeLww } from './lww.ts';
export { type ManualInput, mergeManual } from './manual.ts';
export {
  applySetOps,
  type SetItemState,
  type SetOps,
  type SetStates,
  setStatesFromList,
  visibleItems,
} from './set.ts';
export { mergeText, type TextMergeResult, tokenize } from './text.ts';
export type { MergeOutcome } from './types.ts';
