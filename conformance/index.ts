/** The conformance suite as a library (docs/conformance.md); `conformance/cli.ts` is its CLI. */

export { type GraphQLResult, type ServerOptions } from './client.ts';
export { type CheckResult, type ConformanceOptions, type ConformanceReport, runConformance } from './run.ts';
export { type InvalidCase, invalidCases, setItems, validDeltas, validValues, type ValueWorld } from './values.ts';
