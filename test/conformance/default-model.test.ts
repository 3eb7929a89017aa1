import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConformance } from '../../conformance/index.ts';
import type { ConformanceReport } from '../../conformance/run.ts';
import { loadModel } from '../../model/load.ts';
import { testDatabaseKinds } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const SECRET = 'conformance-test-secret-0123456789abcdef';

/** The suite against the repository's own model.graphql, on each database kind. */
describe.each(testDatabaseKinds())('conformance of the default model on %s', (kind) => {
  let server: TestServer;
  let report: ConformanceReport;

  beforeAll(async () => {
    server = await startTestServer(kind, {}, { secret: SECRET });
    report = await runConformance({
      url: `${server.url}/graphql`,
      secret: SECRET,
      model: loadModel(),
    });
  }, 300_000);
  afterAll(() => server?.stop());

  it('passes every check', () => {
    const failed = report.checks
      .filter((check) => !check.ok)
      .map((check) => `${check.name}: ${check.detail}`);
    expect(failed).toEqual([]);
    expect(report.passed).toBe(report.checks.length);
  });

  it('checks every entity, strategy and directive of the model', () => {
    const names = report.checks.map((check) => check.name).join('\n');
    for (const entity of loadModel().entities) {
      expect(names).toContain(
        `${entity.name}: a create with only the required fields takes the defaults`,
      );
      expect(names).toContain(`entityChanged: delivers ${entity.name} changes`);
      expect(names).toContain(`auditLog: one entry per applied change of a ${entity.name}`);
    }
    for (const rule of [
      'LWW',
      'TEXT',
      'SET',
      'COUNTER',
      'MANUAL',
      '@length',
      '@range',
      '@ascii',
      '@items',
      '@ref',
      '@member',
      '@owner',
      '@counter',
      'resolveConflict SERVER',
      'resolveConflict LOCAL',
    ]) {
      expect(names).toContain(rule);
    }
  });
});
