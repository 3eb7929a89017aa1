import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConformanceReport } from '../../conformance/run.ts';
import { runConformance } from '../../conformance/run.ts';
import { loadModel } from '../../model/load.ts';
import {
  type ServerProcess,
  startServerProcess,
  tsxServerCommand,
} from '../fault/server-process.ts';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '../support/database.ts';

/** test/support/model-copy.ts's API (written by the generator work): a repository copy with another model. */
interface ModelCopy {
  dir: string;
  remove(): Promise<void>;
}
type CreateModelCopy = (options: { model: string }) => Promise<ModelCopy>;

/** Imported by URL: the helper lands with the generator work, and this file must type-check before. */
async function importModelCopy(): Promise<CreateModelCopy> {
  const helper = new URL('../support/model-copy.ts', import.meta.url).href;
  try {
    return ((await import(/* @vite-ignore */ helper)) as { createModelCopy: CreateModelCopy })
      .createModelCopy;
  } catch (error) {
    throw new Error(
      `test/support/model-copy.ts (createModelCopy) is needed: ${(error as Error).message}`,
    );
  }
}

const examplePath = join(process.cwd(), 'examples/field-service/model.graphql');

/** Runs `npm run db:migration -- <name>` (the same module) in the copy: the example's tables. */
function writeMigration(cwd: string, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/db/cli.ts', 'create', name], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`db:migration exited ${code}:\n${output}`));
    });
  });
}

/**
 * The suite against examples/field-service/model.graphql: a copy of the repository generated
 * for that model, its migration written, and its server started as an operator would.
 */
describe.each(testDatabaseKinds())(
  'conformance of the field-service example model on %s',
  (kind) => {
    const secret = randomBytes(32).toString('base64url');
    let copy: ModelCopy | undefined;
    let database: TestDatabase | undefined;
    let server: ServerProcess | undefined;
    let report: ConformanceReport;

    beforeAll(async () => {
      const createModelCopy = await importModelCopy();
      copy = await createModelCopy({ model: await readFile(examplePath, 'utf8') });
      await writeMigration(copy.dir, 'field_service');
      database = await createTestDatabase(kind);
      server = await startServerProcess({
        command: tsxServerCommand,
        cwd: copy.dir,
        env: {
          AUTH_SECRET: secret,
          DATA_DIR: database.options.dataDir ?? join(copy.dir, 'data'),
          ...(database.options.databaseUrl ? { DATABASE_URL: database.options.databaseUrl } : {}),
          LOG_LEVEL: 'warn',
        },
      });
      report = await runConformance({
        url: `${server.url}/graphql`,
        secret,
        model: loadModel(join(copy.dir, 'model.graphql')),
      });
    }, 600_000);
    afterAll(async () => {
      await server?.stop();
      await database?.drop();
      await copy?.remove();
    });

    it('passes every check', () => {
      const failed = report.checks
        .filter((check) => !check.ok)
        .map((check) => `${check.name}: ${check.detail}`);
      expect(failed).toEqual([]);
      expect(report.passed).toBe(report.checks.length);
    });

    it('checks every entity of the example', () => {
      const names = report.checks.map((check) => check.name).join('\n');
      for (const entity of loadModel(examplePath).entities) {
        expect(names).toContain(
          `${entity.name}: a create with only the required fields takes the defaults`,
        );
        expect(names).toContain(`entityChanged: delivers ${entity.name} changes`);
      }
    });
  },
);
