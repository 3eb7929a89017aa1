import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createJwksVerifier,
  createSecretVerifier,
  signToken,
  type TokenVerifier,
} from '../../server/auth/jwt.ts';
import { createTokenCache } from '../../server/auth/token-cache.ts';
import { ConvergeError } from '../../server/errors.ts';

const secret = 'a-test-secret-that-is-at-least-32-characters-long';
const otherSecret = 'another-secret-that-is-at-least-32-characters';
const start = new Date('2030-01-01T00:00:00Z').getTime();

// Only Date moves: jose reads the time from it, and fetch and sockets keep real timers.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(start);
});
afterEach(() => {
  vi.useRealTimers();
});

const later = (ms: number) => vi.setSystemTime(Date.now() + ms);

async function refusal(verifier: TokenVerifier, token: string): Promise<string> {
  const error = await verifier.verify(token).then(
    () => {
      throw new Error('expected the token to be refused');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ConvergeError);
  expect((error as ConvergeError).code).toBe('UNAUTHENTICATED');
  return (error as ConvergeError).message;
}

describe('token cache', () => {
  it('returns the user of a stored token and nothing for others', () => {
    const cache = createTokenCache();
    cache.set('token-a', 'alice', start + 60_000);
    expect(cache.get('token-a')).toBe('alice');
    expect(cache.get('token-b')).toBeUndefined();
  });

  it('stops serving an entry at its expiry', () => {
    const cache = createTokenCache();
    cache.set('token-a', 'alice', start + 60_000);
    later(59_999);
    expect(cache.get('token-a')).toBe('alice');
    later(1);
    expect(cache.get('token-a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('does not store a token that has already expired', () => {
    const cache = createTokenCache();
    cache.set('token-a', 'alice', start - 1);
    expect(cache.get('token-a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('re-verifies after maxAgeMs even when the token lives longer', () => {
    const cache = createTokenCache({ maxAgeMs: 1_000 });
    cache.set('token-a', 'alice', start + 3_600_000);
    later(1_000);
    expect(cache.get('token-a')).toBeUndefined();
  });

  it('keeps at most maxEntries, dropping the least recently used', () => {
    const cache = createTokenCache({ maxEntries: 2 });
    cache.set('token-a', 'alice', start + 60_000);
    cache.set('token-b', 'bob', start + 60_000);
    expect(cache.get('token-a')).toBe('alice');
    cache.set('token-c', 'carol', start + 60_000);
    expect(cache.size).toBe(2);
    expect(cache.get('token-b')).toBeUndefined();
    expect(cache.get('token-a')).toBe('alice');
    expect(cache.get('token-c')).toBe('carol');
  });

  it('forgets entries made with another key generation, and keeps none while it is null', () => {
    let generation: object | null = {};
    const cache = createTokenCache({ keyGeneration: () => generation });
    cache.set('token-a', 'alice', start + 60_000);
    expect(cache.get('token-a')).toBe('alice');
    generation = {};
    expect(cache.get('token-a')).toBeUndefined();
    generation = null;
    cache.set('token-a', 'alice', start + 60_000);
    expect(cache.size).toBe(0);
  });
});

describe('secret verifier with its cache', () => {
  it('answers a repeated token as verifying did, until the token expires', async () => {
    const verifier = createSecretVerifier(secret);
    const token = await signToken(secret, 'alice', { expiresIn: '2m' });
    await expect(verifier.verify(token)).resolves.toEqual({ userId: 'alice' });
    await expect(verifier.verify(token)).resolves.toEqual({ userId: 'alice' });
    // Within the clock tolerance after exp, verification still accepts the token.
    later(2 * 60_000 + 10_000);
    await expect(verifier.verify(token)).resolves.toEqual({ userId: 'alice' });
    later(60_000);
    expect(await refusal(verifier, token)).toMatch(/expired/);
  });

  it('does not let a result returned to one caller change what the next one gets', async () => {
    const verifier = createSecretVerifier(secret);
    const token = await signToken(secret, 'alice');
    const first = await verifier.verify(token);
    first.userId = 'mallory';
    await expect(verifier.verify(token)).resolves.toEqual({ userId: 'alice' });
  });

  it('shares nothing between verifiers of different secrets or claims', async () => {
    const token = await signToken(secret, 'alice', { audience: 'converge' });
    await expect(createSecretVerifier(secret).verify(token)).resolves.toEqual({ userId: 'alice' });
    const strangers = createSecretVerifier(otherSecret);
    expect(await refusal(strangers, token)).toMatch(/bad signature/);
    const otherAudience = createSecretVerifier(secret, { audience: 'dashboard' });
    expect(await refusal(otherAudience, token)).toMatch(/"aud"/);
  });

  it('keeps refusing a bad token: failures are never cached as successes', async () => {
    const verifier = createSecretVerifier(secret);
    const token = await signToken(otherSecret, 'alice');
    expect(await refusal(verifier, token)).toMatch(/bad signature/);
    expect(await refusal(verifier, token)).toMatch(/bad signature/);
  });
});

/** A JWKS endpoint on 127.0.0.1 whose keys the test can rotate. */
async function startRotatingJwks(initial: JWK[]) {
  let keys = initial;
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    publish(next: JWK[]) {
      keys = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function publicJwk(pair: CryptoKeyPair, kid: string): Promise<JWK> {
  return { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256', use: 'sig' };
}

function signWith(pair: CryptoKeyPair, kid: string, sub: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(pair.privateKey);
}

describe('JWKS verifier with its cache', () => {
  it('refuses a cached token once the provider has rotated its key out', async () => {
    const oldKey = await generateKeyPair('ES256');
    const newKey = await generateKeyPair('ES256');
    const jwks = await startRotatingJwks([await publicJwk(oldKey, 'old')]);
    try {
      const verifier = createJwksVerifier(jwks.url);
      const oldToken = await signWith(oldKey, 'old', 'alice');
      await expect(verifier.verify(oldToken)).resolves.toEqual({ userId: 'alice' });

      jwks.publish([await publicJwk(newKey, 'new')]);
      // Past jose's refetch cooldown, a token with the new kid makes it fetch the new set.
      later(31_000);
      const newToken = await signWith(newKey, 'new', 'bob');
      await expect(verifier.verify(newToken)).resolves.toEqual({ userId: 'bob' });
      expect(await refusal(verifier, oldToken)).toMatch(/no signing key/);
    } finally {
      await jwks.close();
    }
  });

  it('sends a cached token through jose again once its key set is due for a refresh', async () => {
    const oldKey = await generateKeyPair('ES256');
    const newKey = await generateKeyPair('ES256');
    const jwks = await startRotatingJwks([await publicJwk(oldKey, 'old')]);
    try {
      const verifier = createJwksVerifier(jwks.url);
      const oldToken = await signWith(oldKey, 'old', 'alice');
      await expect(verifier.verify(oldToken)).resolves.toEqual({ userId: 'alice' });
      jwks.publish([await publicJwk(newKey, 'new')]);
      // jose keeps a key set for 10 minutes; the token itself is valid for an hour.
      later(10 * 60_000 + 1_000);
      expect(await refusal(verifier, oldToken)).toMatch(/no signing key/);
    } finally {
      await jwks.close();
    }
  });
});
