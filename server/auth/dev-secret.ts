import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import {
  createJwksVerifier,
  createSecretVerifier,
  type JwksVerifierOptions,
  type TokenClaims,
  type TokenVerifier,
} from './jwt.ts';

export type AuthSource = 'AUTH_SECRET' | 'AUTH_JWKS_URL' | 'development';

export interface ResolvedAuth {
  verifier: TokenVerifier;
  /** The HS256 secret when this server knows it (so it can print a token); null with a JWKS. */
  secret: string | null;
  source: AuthSource;
}

const devSecretDefaults = {
  fileName: 'dev-secret',
  randomBytes: 32,
  // Same floor as AUTH_SECRET in config.ts: a shorter file was truncated or edited by hand.
  minLength: 32,
};

/**
 * Resolves the verifier for a config: AUTH_SECRET -> secret verifier; AUTH_JWKS_URL -> JWKS
 * verifier; neither -> a development secret kept in `<dataDir>/dev-secret` (generated on
 * first start, mode 0600), so tokens printed once keep working across restarts.
 */
export async function resolveAuth(
  config: Pick<Config, 'authSecret' | 'authJwksUrl' | 'dataDir'> &
    Partial<Pick<Config, 'authIssuer' | 'authAudience'>>,
  options: JwksVerifierOptions = {},
): Promise<ResolvedAuth> {
  const claims = tokenClaimsOf(config);
  if (config.authSecret) {
    return {
      verifier: createSecretVerifier(config.authSecret, claims),
      secret: config.authSecret,
      source: 'AUTH_SECRET',
    };
  }
  if (config.authJwksUrl) {
    return {
      verifier: createJwksVerifier(config.authJwksUrl, { ...options, ...claims }),
      secret: null,
      source: 'AUTH_JWKS_URL',
    };
  }
  const secret = await readOrCreateDevSecret(config.dataDir);
  return { verifier: createSecretVerifier(secret, claims), secret, source: 'development' };
}

/** AUTH_ISSUER and AUTH_AUDIENCE, as the verifiers check them and signToken writes them. */
export function tokenClaimsOf(
  config: Partial<Pick<Config, 'authIssuer' | 'authAudience'>>,
): TokenClaims {
  return { issuer: config.authIssuer, audience: config.authAudience };
}

/** The path of the development secret inside a data directory. */
export function devSecretPath(dataDir: string): string {
  return join(dataDir, devSecretDefaults.fileName);
}

/** Reads `<dataDir>/dev-secret`, creating it (and dataDir) on first use. */
export async function readOrCreateDevSecret(dataDir: string): Promise<string> {
  const path = devSecretPath(dataDir);
  const existing = await readSecretFile(path);
  if (existing !== null) return existing;

  await mkdir(dataDir, { recursive: true });
  const secret = randomBytes(devSecretDefaults.randomBytes).toString('base64url');
  // Write a private temporary file, then link it into place: the secret appears complete or
  // not at all, and if the server and `npm run token` race on first start, one wins and the
  // other reads the winner's secret instead of overwriting it.
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await placeFile(temporary, path, secret);
    return secret;
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
    const winner = await readSecretFile(path);
    if (winner === null) throw error;
    return winner;
  } finally {
    await unlink(temporary).catch(() => {});
  }
}

/** Creates `path` from `temporary`, failing with EEXIST if it already exists. */
async function placeFile(temporary: string, path: string, content: string): Promise<void> {
  try {
    await link(temporary, path);
  } catch (error) {
    // Some mounted volumes refuse hard links; an exclusive create still cannot overwrite.
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes(String(errorCode(error))))
      throw error;
    await writeFile(path, `${content}\n`, { mode: 0o600, flag: 'wx' });
  }
}

async function readSecretFile(path: string): Promise<string | null> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw error;
  }
  const secret = content.trim();
  if (secret.length < devSecretDefaults.minLength) {
    // Regenerating silently would invalidate every token handed out so far without saying why.
    throw new Error(
      `${path} does not hold a usable development secret (at least ${devSecretDefaults.minLength} characters); delete it to generate a new one`,
    );
  }
  return secret;
}

function errorCode(error: unknown): unknown {
  return (error as NodeJS.ErrnoException | null)?.code;
}
