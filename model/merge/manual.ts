import { valuesEqual } from './equal.ts';

export interface ManualInput<T> {
  serverValue: T;
  localValue: T;
  /** The server changed the field after the client's baseVersion. */
  concurrent: boolean;
}

/**
 * MANUAL field: not concurrent -> local applies; concurrent -> server value kept and a conflict
 * must be opened (outcome 'conflict'). Equal values are never a conflict: both sides already
 * agree, so there is nothing for a person to decide.
 */
export function mergeManual<T>(input: ManualInput<T>): {
  value: T;
  outcome: 'applied' | 'conflict';
} {
  const { serverValue, localValue, concurrent } = input;
  if (!concurrent || valuesEqual(serverValue, localValue)) {
    return { value: localValue, outcome: 'applied' };
  }
  return { value: serverValue, outcome: 'conflict' };
}
