import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConformanceReport } from '../../conformance/run.ts';
import { runConformance } from '../../conformance/run.ts';
import { loadModel } from '../../model/load.ts';
import { testDatabaseKinds } from '../support/database.ts';
import { type ModelServer, startModelServer } from '../support/model-copy.ts';

const examplePath = join(process.cwd(), 'examples/field-service/model.graphql');

/**
 * The suite against examples/field-service/model.graphql: a copy of the repository generated
 * for that model, its migration written, and its server started as an operator would.
 */
describe.each(testDatabaseKinds())(
  'conformance of the field-service example model on %s',
  (kind) => {
    const secret = randomBytes(32).toString('base64url');
    let running: ModelServer | undefined;
    let report: ConformanceReport;

    beforeAll(async () => {
      running = await startModelServer({
        model: await readFile(examplePath, 'utf8'),
        kind,
        secret,
      });
      const { copy, server } = running;
      report = await runConformance({
        url: `${server.url}/graphql`,
        secret,
        model: loadModel(join(copy.dir, 'model.graphql')),
      });
    }, 600_000);
    afterAll(async () => {
      await running?.stop();
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
