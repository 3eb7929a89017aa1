import {
  createRemoteJWKSet,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
} from 'jose';
import { unauthenticated } from '../errors.ts';
import { createTokenCache, type TokenCache } from './token-cache.ts';

/** The authenticated caller. `userId` is the JWT `sub`. */
export interface AuthUser {
  userId: string;
}

export interface TokenVerifier {
  /** Resolves the user, or throws a ConvergeError UNAUTHENTICATED saying what is wrong. */
  verify(token: string): Promise<AuthUser>;
}

const verifyDefaults = {
  // Identity providers and clients disagree on the time by a few seconds; refusing a token
  // that is "not yet valid" for 2 s only produces flaky logins.
  clockToleranceSeconds: 30,
  defaultExpiresIn: '30d',
  maxSubjectLength: 128,
};

// Asymmetric algorithms only: a JWKS publishes public keys, and accepting HS* there would
// let anyone who knows the public key material forge tokens.
const asymmetricAlgorithms = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

const encoder = new TextEncoder();

const keysUnavailable = 'Cannot verify token: the identity provider keys are unavailable';

/**
 * The `iss` and `aud` every token must carry (AUTH_ISSUER, AUTH_AUDIENCE); unset means not
 * checked. With a JWKS they matter: an identity provider signs tokens for all its
 * applications with the same keys, and only `aud` says which application a token is for.
 */
export interface TokenClaims {
  issuer?: string | undefined;
  audience?: string | undefined;
}

/** Verifies HS256 tokens signed with a shared secret (AUTH_SECRET or the development secret). */
export function createSecretVerifier(secret: string, claims: TokenClaims = {}): TokenVerifier {
  const key = encoder.encode(secret);
  return createVerifier(key, { algorithms: ['HS256'], ...claims }, createTokenCache());
}

export interface JwksVerifierOptions extends TokenClaims {
  /**
   * Called when the key set cannot be fetched. The client only sees UNAUTHENTICATED; this is
   * how the operator learns that the identity provider, not the token, is the problem.
   */
  onKeySetUnavailable?: (error: unknown) => void;
}

/** Verifies tokens against the public keys of an identity provider's JWKS endpoint. */
export function createJwksVerifier(
  jwksUrl: string,
  options: JwksVerifierOptions = {},
): TokenVerifier {
  // jose caches the key set and refetches on an unknown `kid` (rate-limited by its cooldown),
  // so key rotation at the provider needs no restart.
  const keySet = createRemoteJWKSet(new URL(jwksUrl));
  // A verdict holds for the key set it was reached with: once jose fetches another one (a
  // rotation, a revoked key), cached tokens are verified against it again; and once jose's
  // copy is due for a refresh, tokens go through jose, which refetches it.
  const cache = createTokenCache({
    keyGeneration: () => (keySet.fresh ? (keySet.jwks() ?? null) : null),
  });
  return createVerifier(keySet, { ...options, algorithms: asymmetricAlgorithms }, cache);
}

export interface SignTokenOptions extends TokenClaims {
  /** A jose duration such as '7d' or '12h'; default 30d. Every token expires. */
  expiresIn?: string;
}

/**
 * Signs an HS256 token for `userId` (the development flow and `npm run token`), with the
 * issuer and audience the server checks when they are configured.
 */
export async function signToken(
  secret: string,
  userId: string,
  options: SignTokenOptions = {},
): Promise<string> {
  const expiresIn = options.expiresIn ?? verifyDefaults.defaultExpiresIn;
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(checkedSubject(userId))
    .setIssuedAt()
    .setExpirationTime(expiresIn);
  if (options.issuer !== undefined) jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt.setAudience(options.audience);
  return jwt.sign(encoder.encode(secret));
}

/**
 * Parses an Authorization header value. Absent (or empty) -> null: the caller is anonymous.
 * 'Bearer <token>' (scheme case-insensitive) -> the token. Anything else -> UNAUTHENTICATED,
 * because a client that sends credentials we cannot read should not silently become anonymous.
 */
export function bearerToken(headerValue: string | null | undefined): string | null {
  if (headerValue === null || headerValue === undefined || headerValue.trim() === '') {
    return null;
  }
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(headerValue.trim());
  if (!match?.[1]) {
    throw unauthenticated('Malformed Authorization header: expected "Bearer <token>"');
  }
  return match[1];
}

/**
 * Whether `value` is acceptable as a user id: non-empty, at most 128 chars, no control
 * characters and no unpaired surrogates (PostgreSQL refuses those in text).
 */
export function isValidUserId(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= verifyDefaults.maxSubjectLength &&
    value.isWellFormed() &&
    !/\p{Cc}/u.test(value)
  );
}

type VerificationKey = Uint8Array | JWTVerifyGetKey;

interface VerifierOptions extends JwksVerifierOptions {
  algorithms: string[];
}

function createVerifier(
  key: VerificationKey,
  options: VerifierOptions,
  cache: TokenCache,
): TokenVerifier {
  const verifyOptions: JWTVerifyOptions = {
    algorithms: options.algorithms,
    clockTolerance: verifyDefaults.clockToleranceSeconds,
    // A token without `exp` would be valid forever, and so would a WebSocket renewed with it.
    requiredClaims: ['exp'],
    ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
    ...(options.audience !== undefined ? { audience: options.audience } : {}),
  };
  return {
    async verify(token) {
      const cached = cache.get(token);
      if (cached !== undefined) return { userId: cached };
      const payload = await verifyPayload(token, key, verifyOptions, options);
      if (!isValidUserId(payload.sub)) {
        throw unauthenticated(
          `Invalid token: "sub" must be a non-empty string of at most ${verifyDefaults.maxSubjectLength} characters without control characters`,
        );
      }
      // `exp` is a required claim, so jose has checked it is a number.
      cache.set(token, payload.sub, (payload.exp as number) * 1000);
      return { userId: payload.sub };
    },
  };
}

async function verifyPayload(
  token: string,
  key: VerificationKey,
  verifyOptions: JWTVerifyOptions,
  options: VerifierOptions,
): Promise<JWTPayload> {
  try {
    // The overloads of jwtVerify differ only in the key type; narrowing keeps the types exact.
    const result =
      key instanceof Uint8Array
        ? await jwtVerify(token, key, verifyOptions)
        : await jwtVerify(token, key, verifyOptions);
    return result.payload;
  } catch (error) {
    const message = describeVerificationFailure(error);
    if (message === keysUnavailable) options.onKeySetUnavailable?.(error);
    throw unauthenticated(message);
  }
}

/** Turns a jose (or fetch) failure into a message a client developer can act on. */
function describeVerificationFailure(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'Invalid token: expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const { claim, reason } = error as { claim?: unknown; reason?: unknown };
      if (reason === 'missing') return `Invalid token: claim "${String(claim)}" is required`;
      return claim === 'nbf' || claim === 'iat'
        ? 'Invalid token: not yet valid'
        : `Invalid token: claim "${String(claim)}" is invalid`;
    }
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'Invalid token: bad signature';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'Invalid token: signing algorithm not accepted';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'Invalid token: malformed';
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'Invalid token: no signing key of the identity provider matches it';
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
    // jose's generic code comes from the JWKS fetch: a non-200 answer or unparsable JSON.
    case 'ERR_JOSE_GENERIC':
      return keysUnavailable;
    default:
      // createRemoteJWKSet lets fetch's own errors (connection refused, DNS) through as they are.
      return error instanceof joseErrors.JOSEError ? 'Invalid token' : keysUnavailable;
  }
}

function checkedSubject(userId: string): string {
  if (!isValidUserId(userId)) {
    throw new TypeError(
      `Invalid user id: must be a non-empty string of at most ${verifyDefaults.maxSubjectLength} characters without control characters`,
    );
  }
  return userId;
}
