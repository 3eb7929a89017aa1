/**
 * COUNTER strategy (Task.timeSpentMinutes): every change carries a delta, never a total, so
 * concurrent changes add up in any order and none is lost.
 */
export function applyCounterDelta(value: number, delta: number): number {
  // Non-integers would make the sum depend on the order of floating-point additions.
  if (!Number.isSafeInteger(value))
    throw new RangeError(`Counter value ${value} is not a safe integer`);
  if (!Number.isSafeInteger(delta))
    throw new RangeError(`Counter delta ${delta} is not a safe integer`);
  const sum = value + delta;
  if (!Number.isSafeInteger(sum)) throw new RangeError(`Counter overflow: ${value} + ${delta}`);
  return sum;
}
