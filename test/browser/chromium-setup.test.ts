import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { chmod, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureChromium } from './chromium-setup.ts';

// A machine that cannot install Chromium, faked with a PATH that holds only bash, node and an
// `id` saying "not root": no apt-get, no sudo. Chromium on this machine is left alone.
const root = resolve(import.meta.dirname, '../..');
let fakeBin: string;

function onPath(command: string): string {
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(directory, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  throw new Error(`${command} is not on PATH`);
}

async function fakeCommand(name: string, script: string): Promise<void> {
  await writeFile(join(fakeBin, name), `#!${onPath('bash')}\n${script}\n`);
  await chmod(join(fakeBin, name), 0o755);
}

beforeAll(async () => {
  fakeBin = await mkdtemp(join(tmpdir(), 'converge-fake-bin-'));
  await symlink(onPath('bash'), join(fakeBin, 'bash'));
  await symlink(process.execPath, join(fakeBin, 'node'));
  await fakeCommand('id', 'echo 1000');
});
afterAll(() => rm(fakeBin, { recursive: true, force: true }));

const missingChromium = '/nonexistent/chromium';
const fakeMachine = (extra: Record<string, string> = {}) => ({
  PATH: fakeBin,
  CHROMIUM_PATH: missingChromium,
  ...extra,
});

describe('Chromium for the browser tests', () => {
  it('says in one line why it cannot install Chromium, and the suites skip', () => {
    const { skipReason } = ensureChromium(fakeMachine());
    expect(skipReason).toBe(
      `No Chromium at ${missingChromium} and no apt-get to install it with: browser tests skipped (install the chromium package, or set CHROMIUM_PATH)`,
    );
  });

  it('does not try apt-get as a user without sudo', async () => {
    await fakeCommand('apt-get', 'echo "apt-get must not run" >&2; exit 99');
    try {
      expect(ensureChromium(fakeMachine()).skipReason).toMatch(
        /and not root, no sudo: browser tests skipped/,
      );
    } finally {
      await rm(join(fakeBin, 'apt-get'));
    }
  });

  it('fails instead of skipping under CI, where the browser suites must run', () => {
    expect(() => ensureChromium(fakeMachine({ CI: 'true' }))).toThrow(
      /no apt-get to install it with/,
    );
  });

  it('runs a browser suite as skipped, not failed, through `vitest run` on such a machine', () => {
    const run = spawnSync(
      process.execPath,
      [
        join(root, 'node_modules/vitest/vitest.mjs'),
        'run',
        'test/browser/graphiql.test.ts',
        '--reporter=json',
      ],
      { cwd: root, env: { ...fakeMachine(), HOME: tmpdir() }, encoding: 'utf8', timeout: 120_000 },
    );
    const report = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as {
      numPassedTests: number;
      numFailedTests: number;
      numPendingTests: number;
    };
    expect({ status: run.status, ...report }).toMatchObject({
      status: 0,
      numPassedTests: 0,
      numFailedTests: 0,
      numPendingTests: 1,
    });
    const reasons = run.stderr.split('\n').filter((line) => line.includes('browser tests skipped'));
    expect(reasons).toHaveLength(1);
  }, 150_000);
});
