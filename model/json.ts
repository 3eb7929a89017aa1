/**
 * A deep copy of plain JSON data (objects, arrays, primitives), such as a row's `fieldMeta`
 * or a field's default. Several times faster than structuredClone, which goes through V8's
 * serializer: the push path copies the merge state of every row it changes.
 */
export function cloneJson<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = cloneJson(item);
  return copy as T;
}
