/** `npm run model:check`: the real script, as CI and people run it. */

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const script = join(process.cwd(), 'model', 'cli.ts');

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'converge-model-cli-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function check(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(tsx, [script, 'check', ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('model:check', () => {
  it('summarises the default model in one line', async () => {
    const outcome = await check();
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    expect(outcome.stdout).toBe(
      'model.graphql: ok, 3 entities (Project, Task, Comment), 17 fields, 1 enum.\n',
    );
  });

  it('prints each problem as path:line:column: message and exits 1', async () => {
    const path = join(root, 'broken.graphql');
    await writeFile(path, 'type Item @entity {\n  visits: Int @counter\n  version: Int\n}\n');
    const outcome = await check(path);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr.split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^${path}:2:15: @counter needs Int! or Float!`)),
      expect.stringMatching(new RegExp(`^${path}:3:3: Field "Item.version" collides`)),
      '2 problems.',
      '',
    ]);
  });

  it('says when the file does not exist', async () => {
    const outcome = await check(join(root, 'missing.graphql'));
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toMatch(/missing\.graphql: no such file/);
  });
});
