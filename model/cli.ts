/**
 * `npm run model:check [-- path]`: checks a model file and prints each problem as
 * `path:line:column: message` (exit 1), or a one-line summary (exit 0).
 */

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ModelDescription } from './description.ts';
import { checkModelFile, defaultModelPath } from './load.ts';
import { countProblems, formatProblems } from './problems.ts';

const usage = 'Usage: tsx model/cli.ts check [path/to/model.graphql]';

function main(args: readonly string[]): number {
  const [command, file, ...rest] = args;
  if (command !== 'check' || rest.length > 0) {
    console.error(usage);
    return 2;
  }
  const path = file ? resolve(file) : defaultModelPath;
  if (!existsSync(path)) {
    console.error(`${file ?? path}: no such file. ${usage}`);
    return 2;
  }
  const check = checkModelFile(path);
  if (!check.ok) {
    console.error(formatProblems(check.problems));
    console.error(`${countProblems(check.problems)}.`);
    return 1;
  }
  console.log(summaryOf(check.model));
  return 0;
}

function summaryOf(model: ModelDescription): string {
  const fields = model.entities.reduce((sum, entity) => sum + entity.fields.length, 0);
  const entities = model.entities.map((entity) => entity.name).join(', ');
  return `${model.path}: ok, ${count(model.entities.length, 'entity', 'entities')} (${entities}), ${count(fields, 'field', 'fields')}, ${count(model.enums.length, 'enum', 'enums')}.`;
}

const count = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

process.exitCode = main(process.argv.slice(2));
