/**
 * Merge strategies of docs/protocol.md, Merge strategies: pure functions, no I/O, time passed in as
 * stamps.
 */
export type { Stamp } from '../hlc.ts';
export { applyCounterDelta } from './counter.ts';
export { valuesEqual } from './equal.ts';
export { type LwwInput, type LwwResult, mergeLww } from './lww.ts';
export { type ManualInput, mergeManual } from './manual.ts';
export {
  applyTagOps,
  type TagOps,
  type TagState,
  type TagStates,
  tagStatesFromList,
  visibleTags,
} from './set.ts';
export { fieldStrategies, type MergeStrategy } from './strategies.ts';
export { mergeText, type TextMergeResult, tokenize } from './text.ts';
export type { MergeOutcome } from './types.ts';
