import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { printSchema } from 'graphql';
import { schema } from './index.ts';

/**
 * `npm run schema` writes schema.graphql; `npm run schema:check` fails when the committed
 * file differs from what the code builds, so contract tests never run against a stale file.
 */
export const schemaFile = fileURLToPath(new URL('../../schema.graphql', import.meta.url));

export function printedSchema(): string {
  return `${printSchema(schema)}\n`;
}

async function main(): Promise<void> {
  const printed = printedSchema();
  if (!process.argv.includes('--check')) {
    await writeFile(schemaFile, printed);
    console.log(`Wrote ${schemaFile}`);
    return;
  }
  const committed = await readFile(schemaFile, 'utf8').catch(() => '');
  if (committed !== printed) {
    console.error('schema.graphql is stale: run `npm run schema` and commit the result.');
    process.exit(1);
  }
  console.log('schema.graphql is up to date.');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
