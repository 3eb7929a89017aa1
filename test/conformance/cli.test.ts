import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

const SECRET = 'conformance-cli-secret-0123456789abcdef';

/** `npm run conformance` runs `tsx conformance/cli.ts`; this runs the same module the same way. */
function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'conformance/cli.ts', ...args], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 280_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run conformance', () => {
  let server: TestServer;
  let scratch: string;

  beforeAll(async () => {
    server = await startTestServer('pglite', {}, { secret: SECRET });
    scratch = await mkdtemp(join(tmpdir(), 'conformance-cli-'));
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('checks a running server, prints one line per check and a summary, and exits 0', async () => {
    const { code, stdout, stderr } = await runCli([
      '--url',
      `${server.url}/graphql`,
      '--model',
      'model.graphql',
      '--secret',
      SECRET,
    ]);
    expect(stderr).toBe('');
    expect(stdout).not.toMatch(/^FAIL/m);
    const checkLines = stdout.split('\n').filter((line) => /^(ok {2}|FAIL) /.test(line));
    expect(checkLines.length).toBeGreaterThan(50);
    expect(stdout).toMatch(
      new RegExp(
        `^conformance: ${checkLines.length} passed, 0 failed, ${checkLines.length} checks against `,
        'm',
      ),
    );
    expect(code).toBe(0);
  }, 300_000);

  it('exits 1 and prints FAIL lines when the secret is wrong', async () => {
    const { code, stdout } = await runCli([
      '--url',
      `${server.url}/graphql`,
      '--model',
      'model.graphql',
      '--secret',
      'not-the-servers-secret-0123456789abcdef',
    ]);
    expect(stdout).toMatch(/^FAIL setup: .*UNAUTHENTICATED/m);
    expect(stdout).toMatch(/^conformance: 0 passed, 1 failed, 1 checks against /m);
    expect(code).toBe(1);
  }, 60_000);

  it('exits 2 with the usage when --url is missing', async () => {
    const { code, stdout, stderr } = await runCli(['--model', 'model.graphql', '--secret', SECRET]);
    expect(stderr).toContain('--url is required');
    expect(stderr).toContain('Usage: npm run conformance');
    expect(stdout).toBe('');
    expect(code).toBe(2);
  }, 60_000);

  it('exits 2 for an unknown flag or a URL that is not one', async () => {
    const unknown = await runCli([
      '--url',
      'http://127.0.0.1:1/graphql',
      '--model',
      'model.graphql',
      '--secret',
      SECRET,
      '--verbose',
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--verbose'");
    const notUrl = await runCli([
      '--url',
      'localhost',
      '--model',
      'model.graphql',
      '--secret',
      SECRET,
    ]);
    expect(notUrl.code).toBe(2);
    expect(notUrl.stderr).toContain('--url localhost is not a URL');
  }, 60_000);

  it('exits 2 and names the line of each mistake of an invalid model', async () => {
    const path = join(scratch, 'broken.graphql');
    await writeFile(path, 'type Thing @entity {\n  count: Int @counter\n}\n');
    const { code, stderr } = await runCli([
      '--url',
      `${server.url}/graphql`,
      '--model',
      path,
      '--secret',
      SECRET,
    ]);
    expect(stderr).toMatch(/broken\.graphql:2:\d+: .*counter/);
    expect(stderr).toContain('fix it first');
    expect(code).toBe(2);
  }, 60_000);
});
