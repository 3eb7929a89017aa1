/**
 * COUNTER strategy: every change carries a delta, never a total, so concurrent changes add up
 * in any order and none is lost.
 *
 * An Int counter adds safe integers only: non-integers would make the sum depend on the order
 * of floating-point additions. A Float counter accepts that (its sum may differ in the last
 * bits between arrival orders) but stays finite.
 */
export function applyCounterDelta(
  value: number,
  delta: number,
  type: 'Int' | 'Float' = 'Int',
): number {
  if (type === 'Float') {
    if (!Number.isFinite(value)) throw new RangeError(`Counter value ${value} is not finite`);
    if (!Number.isFinite(delta)) throw new RangeError(`Counter delta ${delta} is not finite`);
    const sum = value + delta;
    if (!Number.isFinite(sum)) throw new RangeError(`Counter overflow: ${value} + ${delta}`);
    return sum;
  }
  if (!Number.isSafeInteger(value))
    throw new RangeError(`Counter value ${value} is not a safe integer`);
  if (!Number.isSafeInteger(delta))
    throw new RangeError(`Counter delta ${delta} is not a safe integer`);
  const sum = value + delta;
  if (!Number.isSafeInteger(sum)) throw new RangeError(`Counter overflow: ${value} + ${delta}`);
  return sum;
}
