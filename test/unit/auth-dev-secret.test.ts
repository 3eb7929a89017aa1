import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { devSecretPath, readOrCreateDevSecret, resolveAuth } from '../../server/auth/dev-secret.ts';
import { signToken } from '../../server/auth/jwt.ts';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'converge-auth-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const config = (
  dataDir: string,
  overrides: { authSecret?: string; authJwksUrl?: string } = {},
) => ({
  dataDir,
  authSecret: overrides.authSecret,
  authJwksUrl: overrides.authJwksUrl,
});

describe('resolveAuth', () => {
  it('uses AUTH_SECRET when set and writes nothing', async () => {
    const secret = 'configured-secret-of-at-least-32-characters';
    const auth = await resolveAuth(config(join(root, 'data'), { authSecret: secret }));
    expect(auth.source).toBe('AUTH_SECRET');
    expect(auth.secret).toBe(secret);
    await expect(auth.verifier.verify(await signToken(secret, 'bob'))).resolves.toEqual({
      userId: 'bob',
    });
    await expect(stat(join(root, 'data'))).rejects.toThrow(/ENOENT/);
  });

  it('uses AUTH_JWKS_URL when set, without a secret', async () => {
    const auth = await resolveAuth(
      config(join(root, 'data'), { authJwksUrl: 'http://127.0.0.1:1/jwks.json' }),
    );
    expect(auth.source).toBe('AUTH_JWKS_URL');
    expect(auth.secret).toBeNull();
    await expect(stat(join(root, 'data'))).rejects.toThrow(/ENOENT/);
  });

  it('creates the development secret once (mode 0600, dataDir created) and reuses it', async () => {
    const dataDir = join(root, 'nested', 'data');
    const first = await resolveAuth(config(dataDir));
    expect(first.source).toBe('development');
    expect(first.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const file = devSecretPath(dataDir);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, 'utf8')).trim()).toBe(first.secret);

    const second = await resolveAuth(config(dataDir));
    expect(second.secret).toBe(first.secret);
    // A token printed before a restart still works after it.
    const token = await signToken(first.secret ?? '', 'alice');
    await expect(second.verifier.verify(token)).resolves.toEqual({ userId: 'alice' });
  });

  it('gives every concurrent first caller the same secret', async () => {
    const dataDir = join(root, 'data');
    const secrets = await Promise.all(
      Array.from({ length: 8 }, () => readOrCreateDevSecret(dataDir)),
    );
    expect(new Set(secrets).size).toBe(1);
    expect((await readFile(devSecretPath(dataDir), 'utf8')).trim()).toBe(secrets[0]);
  });

  it('refuses a truncated secret file instead of silently replacing it', async () => {
    await writeFile(devSecretPath(root), 'short\n');
    await expect(resolveAuth(config(root))).rejects.toThrow(/delete it/);
  });
});
