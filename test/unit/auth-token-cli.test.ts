import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devSecretPath } from '../../server/auth/dev-secret.ts';
import { createSecretVerifier } from '../../server/auth/jwt.ts';
import { runTokenCli } from '../../server/auth/token-cli.ts';

const run = promisify(execFile);
const secret = 'cli-test-secret-of-at-least-32-characters';
const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const script = join(process.cwd(), 'server', 'auth', 'token-cli.ts');

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'converge-token-cli-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Spawns the real script, as `npm run token` does. */
async function spawnCli(args: string[], env: Record<string, string>): Promise<Outcome> {
  const environment = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env };
  try {
    const { stdout, stderr } = await run(tsx, [script, ...args], { env: environment });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('token CLI (spawned)', () => {
  it('prints a token alone on stdout that verifies with AUTH_SECRET', async () => {
    const result = await spawnCli(['alice'], { AUTH_SECRET: secret, DATA_DIR: root });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    await expect(createSecretVerifier(secret).verify(result.stdout.trim())).resolves.toEqual({
      userId: 'alice',
    });
  });

  it('exits 2 with a usage message when no user id is given', async () => {
    const result = await spawnCli([], { AUTH_SECRET: secret, DATA_DIR: root });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/Usage: npm run token -- <userId>/);
  });
});

describe('runTokenCli', () => {
  it('signs with the development secret, creating it like the server would', async () => {
    const dataDir = join(root, 'dev');
    const result = await runTokenCli(['bob', '--expires', '7d'], { DATA_DIR: dataDir });
    expect(result.exitCode).toBe(0);
    const devSecret = (await readFile(devSecretPath(dataDir), 'utf8')).trim();
    await expect(createSecretVerifier(devSecret).verify(result.stdout ?? '')).resolves.toEqual({
      userId: 'bob',
    });
    const payload = JSON.parse(
      Buffer.from((result.stdout ?? '').split('.')[1] ?? '', 'base64url').toString('utf8'),
    );
    expect(payload.exp - payload.iat).toBe(7 * 24 * 3600);
  });

  it('writes AUTH_ISSUER and AUTH_AUDIENCE into the token, so the server accepts it', async () => {
    const claims = { issuer: 'https://converge.example', audience: 'converge' };
    const result = await runTokenCli(['carol'], {
      AUTH_SECRET: secret,
      AUTH_ISSUER: claims.issuer,
      AUTH_AUDIENCE: claims.audience,
      DATA_DIR: root,
    });
    expect(result.exitCode).toBe(0);
    const token = result.stdout ?? '';
    await expect(createSecretVerifier(secret, claims).verify(token)).resolves.toEqual({
      userId: 'carol',
    });
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
    expect(payload).toMatchObject({ iss: claims.issuer, aud: claims.audience });
    expect(payload.exp - payload.iat).toBe(30 * 24 * 3600);
  });

  it('refuses with AUTH_JWKS_URL: tokens come from the identity provider', async () => {
    const result = await runTokenCli(['alice'], {
      AUTH_JWKS_URL: 'https://idp.example/.well-known/jwks.json',
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/identity provider/);
    expect(result.stdout).toBeUndefined();
  });

  it.each([
    [['alice', 'bob']],
    [['alice', '--expires', 'soon']],
    [['alice', '--unknown']],
    [['x'.repeat(129)]],
  ])('exits 2 on bad arguments %j', async (args) => {
    const result = await runTokenCli(args, { AUTH_SECRET: secret, DATA_DIR: root });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/Usage/);
  });

  it('reports a bad configuration with exit code 1', async () => {
    const result = await runTokenCli(['alice'], { AUTH_SECRET: 'too-short' });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/AUTH_SECRET/);
  });
});
