/**
 * The model module (docs/model.md, Writing a model): reads model.graphql into one typed description that
 * server, client and dashboard read. Imports only graphql; nothing here touches files, so the
 * browser client can import it too (model/load.ts reads files, for Node).
 */

export { checkModel, describeModel, type ModelCheck, type ReadModelOptions } from './describe.ts';
export type * from './description.ts';
export {
  clientReservedNames,
  type ModelDirectiveName,
  type ModelScalar,
  modelDirectiveNames,
  modelDirectivesSdl,
  modelScalars,
  platformQueryFields,
  platformTypeNames,
  syncFieldNames,
} from './directives.ts';
export { cloneJson } from './json.ts';
export {
  changeInputName,
  constantCase,
  counterDeltaFieldName,
  defaultPlural,
  lowerCamel,
  patchInputName,
  setAddFieldName,
  setRemoveFieldName,
} from './naming.ts';
export { formatProblems, ModelError } from './problems.ts';
export { directiveStrategies, type StrategyDefinition, strategies } from './strategies.ts';
