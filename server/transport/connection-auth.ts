import { decodeJwt } from 'jose';
import { type AuthUser, bearerToken, type TokenVerifier } from '../auth/jwt.ts';

/** The outcome of checking the token a WebSocket client sent (connection_init or ping). */
export type Authentication =
  | {
      ok: true;
      user: AuthUser /** ms since the epoch (every accepted token has `exp`) */;
      expiresAt: number | null;
    }
  | {
      ok: false;
      reason: string /** set when the failure was not the token's fault */;
      cause?: unknown;
    };

// RFC 6455 limits a close reason to 123 bytes; a longer one makes ws throw.
const maxCloseReasonBytes = 123;

const reasons = {
  missing: 'Missing authorization: send { "authorization": "Bearer <token>" }',
  neverExpires: 'Invalid token: claim "exp" is required',
  malformed: 'Malformed authorization: expected "Bearer <token>"',
  invalid: 'Invalid token',
};

/**
 * The `authorization` entry of a connection_init or ping payload. The protocol names it in lower
 * case (docs/protocol.md, WebSocket (graphql-ws)); `Authorization` is accepted too because several
 * client libraries capitalise it.
 */
export function authorizationOf(payload: unknown): unknown {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const record = payload as Record<string, unknown>;
  return record.authorization ?? record.Authorization;
}

/** Whether a payload carries credentials at all (a ping may be a plain keep-alive). */
export function hasAuthorization(payload: unknown): boolean {
  return authorizationOf(payload) !== undefined;
}

/** Verifies `Bearer <token>` as the HTTP path does, and reads the token's expiry. */
export async function authenticateToken(
  verifier: TokenVerifier,
  authorization: unknown,
): Promise<Authentication> {
  if (authorization === undefined || authorization === null || authorization === '') {
    return refusal(reasons.missing);
  }
  if (typeof authorization !== 'string') return refusal(reasons.malformed);
  let token: string | null;
  try {
    token = bearerToken(authorization);
  } catch {
    return refusal(reasons.malformed);
  }
  if (token === null) return refusal(reasons.missing);
  try {
    const user = await verifier.verify(token);
    const expiresAt = expiryOf(token);
    // The verifiers require `exp`; checked here too because a connection, or its renewal
    // by ping, authenticated with a token that never expires would never end.
    if (expiresAt === null) return refusal(reasons.neverExpires);
    return { ok: true, user, expiresAt };
  } catch (error) {
    return verificationRefusal(error);
  }
}

/** Whether a token whose expiry is `expiresAt` is past it at `now`. */
export function isExpired(expiresAt: number | null, now = Date.now()): boolean {
  return expiresAt !== null && expiresAt <= now;
}

export function expiryOf(token: string): number | null {
  // The verifier has just checked the signature, so reading the claims unverified is safe.
  const { exp } = decodeJwt(token);
  return typeof exp === 'number' ? exp * 1000 : null;
}

function verificationRefusal(error: unknown): Authentication {
  // The verifier throws a ConvergeError (a GraphQLError) whose message says what is wrong
  // with the token; anything else is an unexpected failure the operator should see.
  const isClientFacing =
    error instanceof Error && Object.prototype.toString.call(error) === '[object GraphQLError]';
  if (!isClientFacing) return { ok: false, reason: reasons.invalid, cause: error };
  return refusal(error.message);
}

function refusal(reason: string): Authentication {
  const fits = Buffer.byteLength(reason, 'utf8') <= maxCloseReasonBytes;
  return { ok: false, reason: fits ? reason : reasons.invalid };
}
