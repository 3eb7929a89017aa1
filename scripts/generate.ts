/**
 * `npm run generate`: derives everything that follows from model.graphql.
 *   prisma/schema/model.prisma                  the entities' tables (scripts/generate/prisma.ts)
 *   server/db/generated/                        the Prisma client (git-ignored)
 *   schema.graphql                              printed from the server's schema
 *   client/operations/entities.generated.graphql the entities' fragments and queries
 *   client/generated/                           graphql-codegen's output (codegen.ts)
 *   client/generated/model.ts                   the client's entities and accessors (generate/client-model.ts)
 *
 * `npm run generate -- --check` writes nothing: it names every committed file that is out of
 * date and exits 1. A model with mistakes is reported as `path:line:column: message`, exit 1.
 */

import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate as runCodegen } from '@graphql-codegen/cli';
import { codegenConfig, defaultPaths } from '../codegen.ts';
import type { ModelDescription } from '../model/index.ts';
import { checkModelFile, defaultModelPath } from '../model/load.ts';
import { countProblems, formatProblems } from '../model/problems.ts';
import { renderClientModel } from './generate/client-model.ts';
import { operationsFileName, renderClientOperations } from './generate/operations.ts';
import { renderPrismaModel } from './generate/prisma.ts';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const prismaModelFile = 'prisma/schema/model.prisma';
const operationsDir = 'client/operations';
const operationsFile = `${operationsDir}/${operationsFileName}`;
const generatedClientDir = 'client/generated';
const clientModelFile = `${generatedClientDir}/model.ts`;

interface DerivedFile {
  path: string;
  content: string;
}

const prismaSchemaOf = (model: ModelDescription): DerivedFile => ({
  path: prismaModelFile,
  content: renderPrismaModel(model),
});
const operationsOf = (model: ModelDescription): DerivedFile => ({
  path: operationsFile,
  content: renderClientOperations(model),
});
const clientModelOf = (model: ModelDescription): DerivedFile => ({
  path: clientModelFile,
  content: renderClientModel(model),
});

function readModel(): ModelDescription | null {
  const check = checkModelFile(defaultModelPath);
  if (check.ok) return check.model;
  console.error(formatProblems(check.problems));
  console.error(`${countProblems(check.problems)}; nothing was generated.`);
  return null;
}

/** Runs a step in its own process: the Prisma client and the schema are read at import time. */
function run(step: string, args: readonly string[]): number {
  const result = spawnSync(process.execPath, args, { cwd: projectRoot, stdio: 'inherit' });
  if (result.status !== 0) console.error(`${step} failed.`);
  return result.status ?? 1;
}

const prismaGenerate = () => run('Prisma generate', ['scripts/prisma-generate.mjs']);
const printSchema = (check: boolean) =>
  run('Printing schema.graphql', [
    '--import',
    'tsx',
    'server/schema/print.ts',
    ...(check ? ['--check'] : []),
  ]);

async function readOrEmpty(path: string): Promise<string> {
  return readFile(join(projectRoot, path), 'utf8').catch(() => '');
}

async function write(model: ModelDescription): Promise<number> {
  await writeIfChanged(prismaSchemaOf(model));
  // The schema printer reads the Prisma client, so it runs after Prisma generate.
  const status = prismaGenerate() || printSchema(false);
  if (status !== 0) return status;
  await writeIfChanged(operationsOf(model));
  // Written here rather than by codegen, whose writes may still be landing when it resolves.
  const files = await runCodegen({ ...codegenConfig(), silent: true }, false);
  let written = 0;
  for (const file of files) {
    const path = relative(projectRoot, file.filename);
    if (await writeIfChanged({ path, content: file.content }, { quiet: true })) written += 1;
  }
  if (await writeIfChanged(clientModelOf(model), { quiet: true })) written += 1;
  console.log(
    written === 0
      ? `${generatedClientDir}/ is up to date.`
      : `Wrote ${written} file(s) in ${generatedClientDir}/`,
  );
  return 0;
}

/** Writes the file unless it already holds that content; true when it wrote. */
async function writeIfChanged(file: DerivedFile, { quiet = false } = {}): Promise<boolean> {
  if ((await readOrEmpty(file.path)) === file.content) {
    if (!quiet) console.log(`${file.path} is up to date.`);
    return false;
  }
  await writeFile(join(projectRoot, file.path), file.content);
  if (!quiet) console.log(`Wrote ${file.path}`);
  return true;
}

/** Every committed derived file that differs from what the model gives now. */
async function staleFiles(model: ModelDescription): Promise<string[]> {
  const stale: string[] = [];
  for (const file of [prismaSchemaOf(model), operationsOf(model), clientModelOf(model)]) {
    if ((await readOrEmpty(file.path)) !== file.content) stale.push(file.path);
  }
  // print.ts --check names schema.graphql itself when it is stale.
  if (printSchema(true) !== 0) stale.push('schema.graphql');
  stale.push(...(await staleClientCode(model)));
  return stale;
}

/**
 * Runs codegen in memory, on the operations the model gives now, and compares with
 * client/generated. The Prisma client is not checked: it is not committed.
 */
async function staleClientCode(model: ModelDescription): Promise<string[]> {
  const scratch = await mkdtemp(join(tmpdir(), 'converge-generate-'));
  try {
    await copyOperations(scratch, renderClientOperations(model));
    const paths = { ...defaultPaths, documents: `${scratch}/**/*.graphql` };
    let fresh: { filename: string; content: string }[];
    try {
      fresh = await runCodegen({ ...codegenConfig(paths), silent: true }, false);
    } catch (error) {
      // Its message lists every invalid document; the first lines say enough here.
      const message = error instanceof Error ? error.message : String(error);
      console.error(`Codegen failed: ${message.split('\n').slice(0, 6).join('\n')}`);
      return [`${generatedClientDir}/`];
    }
    return differingFiles(fresh, generatedClientDir);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The hand-written operations plus the generated file as the model gives it now. */
async function copyOperations(target: string, generated: string): Promise<void> {
  await mkdir(target, { recursive: true });
  for (const name of await readdir(join(projectRoot, operationsDir))) {
    if (!name.endsWith('.graphql') || name === operationsFileName) continue;
    await writeFile(join(target, name), await readOrEmpty(`${operationsDir}/${name}`));
  }
  await writeFile(join(target, operationsFileName), generated);
}

/** Files of `directory` that differ from codegen's output, are missing, or are left over. */
async function differingFiles(
  fresh: readonly { filename: string; content: string }[],
  directory: string,
): Promise<string[]> {
  const expected = new Map(
    fresh.map((file) => [relative(projectRoot, file.filename), file.content]),
  );
  // model.ts is not codegen's: staleFiles compares it with what the model renders.
  const present = (await readdir(join(projectRoot, directory)))
    .map((name) => `${directory}/${name}`)
    .filter((path) => path !== clientModelFile);
  const stale: string[] = [];
  for (const path of [...new Set([...expected.keys(), ...present])].sort()) {
    if ((await readOrEmpty(path)) !== expected.get(path)) stale.push(path);
  }
  return stale;
}

async function check(model: ModelDescription): Promise<number> {
  const stale = await staleFiles(model);
  if (stale.length === 0) {
    console.log('Everything generated from model.graphql is up to date.');
    return 0;
  }
  for (const path of stale) console.error(`${path} is stale.`);
  console.error('Run `npm run generate` and commit the result.');
  return 1;
}

async function main(args: readonly string[]): Promise<number> {
  const unknown = args.filter((arg) => arg !== '--check');
  if (unknown.length > 0) {
    console.error(`Unknown argument ${unknown.join(' ')}. Usage: npm run generate [-- --check]`);
    return 2;
  }
  const model = readModel();
  if (!model) return 1;
  return args.includes('--check') ? check(model) : write(model);
}

process.chdir(projectRoot);
process.exitCode = await main(process.argv.slice(2));
