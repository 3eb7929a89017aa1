import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createJwksVerifier,
  createSecretVerifier,
  type TokenVerifier,
} from '../../server/auth/jwt.ts';
import { ConvergeError } from '../../server/errors.ts';

/** A real JWKS endpoint on 127.0.0.1, as an identity provider would serve it. */
async function startJwksServer(
  keys: JWK[],
): Promise<{ url: string; server: Server; hits: () => number }> {
  let hits = 0;
  const server = createServer((request, response) => {
    hits += 1;
    if (request.url !== '/.well-known/jwks.json') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/.well-known/jwks.json`, server, hits: () => hits };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve, reject) =>
    server.close((error) => (error ? reject(error) : resolve())),
  );
}

async function expectUnauthenticated(verifier: TokenVerifier, token: string): Promise<string> {
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

interface SignOptions {
  alg: string;
  kid: string;
  sub?: string;
  /** null leaves `exp` out. */
  expiresIn?: string | number | null;
  iss?: string;
  aud?: string;
}

function sign(privateKey: CryptoKey, options: SignOptions): Promise<string> {
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: options.alg, kid: options.kid })
    .setIssuedAt();
  if (options.expiresIn !== null) jwt.setExpirationTime(options.expiresIn ?? '1h');
  if (options.sub !== undefined) jwt.setSubject(options.sub);
  if (options.iss !== undefined) jwt.setIssuer(options.iss);
  if (options.aud !== undefined) jwt.setAudience(options.aud);
  return jwt.sign(privateKey);
}

describe('JWKS verifier against a real JWKS endpoint', () => {
  let rsa: CryptoKeyPair;
  let ec: CryptoKeyPair;
  let stranger: CryptoKeyPair;
  let jwks: Awaited<ReturnType<typeof startJwksServer>>;

  beforeAll(async () => {
    rsa = await generateKeyPair('RS256');
    ec = await generateKeyPair('ES256');
    stranger = await generateKeyPair('RS256');
    const keys = [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ];
    jwks = await startJwksServer(keys);
  });

  afterAll(async () => {
    if (jwks.server.listening) await closeServer(jwks.server);
  });

  it('accepts RS256 and ES256 tokens signed by the published keys', async () => {
    const verifier = createJwksVerifier(jwks.url);
    const rsToken = await sign(rsa.privateKey, { alg: 'RS256', kid: 'rsa-1', sub: 'alice' });
    const esToken = await sign(ec.privateKey, { alg: 'ES256', kid: 'ec-1', sub: 'bob' });
    await expect(verifier.verify(rsToken)).resolves.toEqual({ userId: 'alice' });
    await expect(verifier.verify(esToken)).resolves.toEqual({ userId: 'bob' });
  });

  it('fetches the key set once and caches it', async () => {
    const verifier = createJwksVerifier(jwks.url);
    const before = jwks.hits();
    for (const sub of ['a', 'b', 'c']) {
      const token = await sign(rsa.privateKey, { alg: 'RS256', kid: 'rsa-1', sub });
      await verifier.verify(token);
    }
    expect(jwks.hits() - before).toBe(1);
  });

  it('refuses a token signed by a key the provider does not publish', async () => {
    const verifier = createJwksVerifier(jwks.url);
    const sameKid = await sign(stranger.privateKey, { alg: 'RS256', kid: 'rsa-1', sub: 'mallory' });
    expect(await expectUnauthenticated(verifier, sameKid)).toMatch(/bad signature/);
    const otherKid = await sign(stranger.privateKey, { alg: 'RS256', kid: 'evil', sub: 'mallory' });
    expect(await expectUnauthenticated(verifier, otherKid)).toMatch(/no signing key/);
  });

  it('refuses HS256 tokens, even when signed with public key material as the secret', async () => {
    const verifier = createJwksVerifier(jwks.url);
    const publicJwk = JSON.stringify(await exportJWK(rsa.publicKey));
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
      .setSubject('mallory')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(publicJwk));
    expect(await expectUnauthenticated(verifier, forged)).toMatch(/algorithm/);
  });

  it('refuses expired tokens and tokens without sub', async () => {
    const verifier = createJwksVerifier(jwks.url);
    const expired = await sign(rsa.privateKey, {
      alg: 'RS256',
      kid: 'rsa-1',
      sub: 'alice',
      expiresIn: Math.floor(Date.now() / 1000) - 3600,
    });
    expect(await expectUnauthenticated(verifier, expired)).toMatch(/expired/);
    const anonymous = await sign(rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' });
    expect(await expectUnauthenticated(verifier, anonymous)).toMatch(/"sub"/);
  });

  it('refuses a token without exp, signed by a published key', async () => {
    const verifier = createJwksVerifier(jwks.url);
    const forever = await sign(rsa.privateKey, {
      alg: 'RS256',
      kid: 'rsa-1',
      sub: 'alice',
      expiresIn: null,
    });
    expect(await expectUnauthenticated(verifier, forever)).toBe(
      'Invalid token: claim "exp" is required',
    );
  });

  it('refuses tokens for another audience or from another issuer when configured', async () => {
    const claims = { issuer: 'https://idp.example', audience: 'converge' };
    const verifier = createJwksVerifier(jwks.url, claims);
    const key = { alg: 'RS256', kid: 'rsa-1', sub: 'alice' };
    const ours = await sign(rsa.privateKey, { ...key, iss: claims.issuer, aud: claims.audience });
    await expect(verifier.verify(ours)).resolves.toEqual({ userId: 'alice' });

    // The reproduction of issue 11: same key set, another application's token.
    const foreign = await sign(rsa.privateKey, {
      ...key,
      iss: 'https://evil.example',
      aud: 'some-other-app',
    });
    expect(await expectUnauthenticated(verifier, foreign)).toMatch(/claim "(iss|aud)" is invalid/);
    const otherAudience = await sign(rsa.privateKey, { ...key, iss: claims.issuer, aud: 'x' });
    expect(await expectUnauthenticated(verifier, otherAudience)).toBe(
      'Invalid token: claim "aud" is invalid',
    );
    const otherIssuer = await sign(rsa.privateKey, {
      ...key,
      iss: 'https://evil.example',
      aud: claims.audience,
    });
    expect(await expectUnauthenticated(verifier, otherIssuer)).toBe(
      'Invalid token: claim "iss" is invalid',
    );
    const noAudience = await sign(rsa.privateKey, { ...key, iss: claims.issuer });
    expect(await expectUnauthenticated(verifier, noAudience)).toBe(
      'Invalid token: claim "aud" is required',
    );
  });

  it('answers UNAUTHENTICATED, without crashing, when the JWKS endpoint is down', async () => {
    const token = await sign(rsa.privateKey, { alg: 'RS256', kid: 'rsa-1', sub: 'alice' });
    const down = await startJwksServer([]);
    const url = down.url;
    await closeServer(down.server);
    const reported: unknown[] = [];
    const verifier = createJwksVerifier(url, {
      onKeySetUnavailable: (error) => reported.push(error),
    });
    expect(await expectUnauthenticated(verifier, token)).toMatch(/keys are unavailable/);
    expect(reported).toHaveLength(1);
    // Still a normal refusal on the next call, not a poisoned verifier.
    expect(await expectUnauthenticated(verifier, token)).toMatch(/unavailable|no signing key/);
  });

  it('answers UNAUTHENTICATED when the endpoint answers with an error status', async () => {
    const token = await sign(rsa.privateKey, { alg: 'RS256', kid: 'rsa-1', sub: 'alice' });
    const verifier = createJwksVerifier(jwks.url.replace('jwks.json', 'missing.json'));
    expect(await expectUnauthenticated(verifier, token)).toMatch(/keys are unavailable/);
  });

  it('does not accept JWKS-signed tokens in a secret verifier', async () => {
    const token = await sign(rsa.privateKey, { alg: 'RS256', kid: 'rsa-1', sub: 'alice' });
    const verifier = createSecretVerifier('a-secret-that-is-at-least-32-characters-long');
    expect(await expectUnauthenticated(verifier, token)).toMatch(/algorithm/);
  });
});
