/**
 * Value equality for field values: primitives, Dates (by instant) and arrays (element-wise).
 * `===` alone would call two Dates for the same instant different and open needless conflicts.
 */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, index) => valuesEqual(item, b[index]))
    );
  }
  return Number.isNaN(a) && Number.isNaN(b);
}
