/** The conformance suite as a library (docs/conformance.md); `conformance/cli.ts` is its CLI. */

export type { GraphQLResult, ServerOptions } from './client.ts';
export {
  type CheckResult,
  type ConformanceOptions,
  type ConformanceReport,
  runConformance,
} from './run.ts';
export {
  type InvalidCase,
  invalidCases,
  setItems,
  type ValueWorld,
  validDeltas,
  validValues,
} from './values.ts';
