import { SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { bearerToken, createSecretVerifier, signToken } from '../../server/auth/jwt.ts';
import { ConvergeError } from '../../server/errors.ts';

const secret = 'a-test-secret-that-is-at-least-32-characters-long';
const encoder = new TextEncoder();
const verifier = createSecretVerifier(secret);

async function rejection(promise: Promise<unknown>): Promise<ConvergeError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ConvergeError);
  const converge = error as ConvergeError;
  expect(converge.code).toBe('UNAUTHENTICATED');
  expect(converge.extensions.http).toEqual({ status: 401 });
  return converge;
}

function hs256(claims: Record<string, unknown> = {}): SignJWT {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
}

function decodePart(token: string, index: number): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8'));
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('secret verifier', () => {
  it('accepts a token from signToken and returns sub as userId', async () => {
    const token = await signToken(secret, 'alice');
    await expect(verifier.verify(token)).resolves.toEqual({ userId: 'alice' });
  });

  it('signs HS256 with iat and a 30 day default expiry', async () => {
    const token = await signToken(secret, 'alice');
    const header = decodePart(token, 0);
    const payload = decodePart(token, 1);
    expect(header.alg).toBe('HS256');
    expect(payload.sub).toBe('alice');
    expect(Number(payload.exp) - Number(payload.iat)).toBe(30 * 24 * 3600);
  });

  it('honours expiresIn', async () => {
    const token = await signToken(secret, 'alice', { expiresIn: '2h' });
    const payload = decodePart(token, 1);
    expect(Number(payload.exp) - Number(payload.iat)).toBe(2 * 3600);
  });

  it('refuses an expired token', async () => {
    const token = await hs256()
      .setSubject('alice')
      .setExpirationTime(nowSeconds() - 3600)
      .sign(encoder.encode(secret));
    expect((await rejection(verifier.verify(token))).message).toMatch(/expired/);
  });

  it('refuses a token that is not yet valid', async () => {
    const token = await hs256()
      .setSubject('alice')
      .setNotBefore(nowSeconds() + 3600)
      .setExpirationTime('2h')
      .sign(encoder.encode(secret));
    expect((await rejection(verifier.verify(token))).message).toMatch(/not yet valid/);
  });

  it('refuses a token signed with another secret', async () => {
    const token = await signToken('another-secret-that-is-at-least-32-characters', 'alice');
    expect((await rejection(verifier.verify(token))).message).toMatch(/bad signature/);
  });

  it("refuses alg 'none'", async () => {
    const token = new UnsecuredJWT({})
      .setSubject('alice')
      .setIssuedAt()
      .setExpirationTime('1h')
      .encode();
    expect((await rejection(verifier.verify(token))).message).toMatch(/algorithm/);
  });

  it('refuses an algorithm other than HS256', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject('alice')
      .setExpirationTime('1h')
      .sign(encoder.encode(secret));
    expect((await rejection(verifier.verify(token))).message).toMatch(/algorithm/);
  });

  it.each(['', 'not-a-jwt', 'a.b.c', 'Bearer x'])(
    'refuses the malformed token %j',
    async (token) => {
      expect((await rejection(verifier.verify(token))).message).toMatch(/malformed/);
    },
  );

  it.each([
    ['missing', {}],
    ['empty', { sub: '' }],
    ['not a string', { sub: 42 }],
    ['too long', { sub: 'x'.repeat(129) }],
    ['with a control character', { sub: 'alice\nadmin' }],
  ])('refuses a token whose sub is %s', async (_case, claims) => {
    const token = await hs256(claims).setExpirationTime('1h').sign(encoder.encode(secret));
    expect((await rejection(verifier.verify(token))).message).toMatch(/"sub"/);
  });

  it('accepts a sub of exactly 128 characters', async () => {
    const userId = 'u'.repeat(128);
    await expect(verifier.verify(await signToken(secret, userId))).resolves.toEqual({ userId });
  });

  it('refuses a token without exp: it would never expire', async () => {
    const token = await hs256().setSubject('alice').sign(encoder.encode(secret));
    expect((await rejection(verifier.verify(token))).message).toBe(
      'Invalid token: claim "exp" is required',
    );
  });

  it('checks iss and aud when configured, and signToken writes them', async () => {
    const claims = { issuer: 'https://converge.example', audience: 'converge' };
    const strict = createSecretVerifier(secret, claims);
    const token = await signToken(secret, 'alice', claims);
    expect(decodePart(token, 1)).toMatchObject({ iss: claims.issuer, aud: claims.audience });
    await expect(strict.verify(token)).resolves.toEqual({ userId: 'alice' });

    const unclaimed = await signToken(secret, 'alice');
    expect((await rejection(strict.verify(unclaimed))).message).toMatch(/"(iss|aud)" is required/);
    const otherAudience = await signToken(secret, 'alice', { ...claims, audience: 'other-app' });
    expect((await rejection(strict.verify(otherAudience))).message).toBe(
      'Invalid token: claim "aud" is invalid',
    );
    const otherIssuer = await signToken(secret, 'alice', {
      ...claims,
      issuer: 'https://evil.example',
    });
    expect((await rejection(strict.verify(otherIssuer))).message).toBe(
      'Invalid token: claim "iss" is invalid',
    );
  });

  it('signToken refuses an invalid user id', async () => {
    await expect(signToken(secret, '')).rejects.toThrow(TypeError);
    await expect(signToken(secret, 'x'.repeat(129))).rejects.toThrow(TypeError);
  });
});

describe('bearerToken', () => {
  it.each([null, undefined, '', '   '])('treats %j as anonymous', (value) => {
    expect(bearerToken(value)).toBeNull();
  });

  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc', 'abc'],
    ['BEARER   abc  ', 'abc'],
    ['  Bearer abc', 'abc'],
  ])('reads %j', (value, token) => {
    expect(bearerToken(value)).toBe(token);
  });

  it.each(['Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'abc.def.ghi', 'Bearer a b', 'Bearerabc'])(
    'refuses %j',
    (value) => {
      expect(() => bearerToken(value)).toThrow(ConvergeError);
      try {
        bearerToken(value);
      } catch (error) {
        expect((error as ConvergeError).code).toBe('UNAUTHENTICATED');
      }
    },
  );
});
