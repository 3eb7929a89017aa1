/**
 * Token renewal over an open graphql-ws connection (server/transport/websocket.ts).
 *
 * The server closes a WebSocket with 4403 'Token expired' when the token it was opened with
 * runs out. graphql-ws would reconnect, but every subscription is torn down and set up again
 * and catch-up runs for nothing. Instead, shortly before the token expires, this asks the
 * token source for a new one and sends it in a graphql-ws `ping`:
 *   { "type": "ping", "payload": { "authorization": "Bearer <new JWT>" } }
 * which the server verifies and answers with a `pong`; the connection lives on until the new
 * token expires, and the cycle repeats. If no new token can be had before expiry, nothing
 * special happens: the server closes the socket and graphql-ws reconnects with a fresh token
 * from connectionParams.
 */

const defaults = {
  /**
   * Renew when this share of the token's remaining lifetime is left (a 5-minute token
   * 30 s before expiry)...
   */
  marginFraction: 0.1,
  /**
   * ...but no later than this before expiry: the token source may refresh at the identity
   * provider, and the ping's round trip and the server's verification (perhaps a JWKS fetch)
   * need time too; a few seconds also absorb a modest clock difference with the server...
   */
  minMarginMs: 5_000,
  /**
   * ...and no earlier than this: 10% of a 30-day token is 3 days, and renewing days early
   * gains nothing. A minute covers the slow cases above with room for retries.
   */
  maxMarginMs: 60_000,
  /**
   * A token shorter than twice the margin above would be renewed at once, and most token
   * sources would hand back the same (not yet expiring, in their view) token. Renewing at
   * this share of the remaining lifetime at the latest, i.e. half-way, leaves time to retry.
   */
  maxMarginShareOfLifetime: 0.5,
  /**
   * When the source throws or hands back the token we already have (many cache a token until
   * it is close to expiry), ask again after 1 s, 2 s, 4 s... at most 15 s apart.
   */
  retryBaseMs: 1_000,
  retryMaxMs: 15_000,
  /**
   * Retries never wait longer than half the time left, so the last attempts before expiry
   * come quicker; this floor keeps them from spinning, and once a retry would land at or
   * after expiry we stop and leave it to the server's close and graphql-ws's reconnect.
   */
  minRetryMs: 250,
  /**
   * Node caps timer delays at 2^31 - 1 ms (about 24.8 days) and fires longer ones at once;
   * tokens often live 30 days, so long waits are taken in several steps.
   */
  maxTimerDelayMs: 2_147_483_647,
};

type Timer = ReturnType<typeof setTimeout>;

export interface TokenRenewalOptions {
  /** The socket from graphql-ws's `on.connected` listener; only `send` is used. */
  socket: { send(data: string): void };
  /** The token the connection was opened with (sent in connection_init). */
  token: string;
  /** Asked for a new token when one is due; may return the same one until it has a newer. */
  getToken: () => string | Promise<string>;
  now?: () => number;
  setTimeout?: (run: () => void, ms: number) => Timer;
  clearTimeout?: (timer: Timer) => void;
  /** Told about each failed attempt (token source threw, send failed); retried regardless. */
  onError?: (error: unknown) => void;
}

export interface TokenRenewal {
  /** Expiry (ms since the epoch) of the newest token sent or connected with; null: none. */
  readonly expiresAt: number | null;
  /** How many new tokens were sent over the socket. */
  readonly renewals: number;
  /** Cancels the pending renewal; a token being fetched is then dropped, not sent. */
  stop(): void;
}

/**
 * Keeps the connection's token fresh until stop(), which the caller must call when the socket
 * closes (graphql-ws `on.closed`) or the client is closed.
 */
export function startTokenRenewal(options: TokenRenewalOptions): TokenRenewal {
  const now = options.now ?? Date.now;
  // Wrapped: browsers refuse setTimeout called as a method of another object.
  const setTimer = options.setTimeout ?? ((run, ms) => globalThis.setTimeout(run, ms));
  const clearTimer = options.clearTimeout ?? ((timer) => globalThis.clearTimeout(timer));

  let currentToken = options.token;
  let expiresAt = tokenExpiry(currentToken);
  let renewals = 0;
  let stopped = false;
  let timer: Timer | undefined;

  /** Runs `run` at time `at`, in steps no longer than a timer can wait. */
  const runAt = (at: number, run: () => void) => {
    if (stopped) return;
    const delay = Math.max(0, at - now());
    timer = setTimer(
      () => {
        timer = undefined;
        if (delay > defaults.maxTimerDelayMs) runAt(at, run);
        else run();
      },
      Math.min(delay, defaults.maxTimerDelayMs),
    );
  };

  const scheduleRenewal = () => {
    if (expiresAt === null) return;
    const at = expiresAt - renewalMargin(expiresAt - now());
    runAt(at, () => void attempt(0));
  };

  const retryLater = (failures: number) => {
    if (expiresAt === null) return;
    const delay = retryDelay(failures, expiresAt - now());
    // Too late: the server closes the socket at expiry and the reconnect brings a new token.
    if (delay === null) return;
    runAt(now() + delay, () => void attempt(failures + 1));
  };

  const attempt = async (failures: number) => {
    let token: string;
    try {
      token = await options.getToken();
    } catch (error) {
      if (stopped) return;
      options.onError?.(error);
      retryLater(failures);
      return;
    }
    if (stopped) return;
    const newExpiry = tokenExpiry(token);
    // The same token, or one that runs out no later, would only buy the time we already have.
    const isFresher =
      token !== currentToken && (newExpiry === null || expiresAt === null || newExpiry > expiresAt);
    if (!isFresher) {
      retryLater(failures);
      return;
    }
    try {
      options.socket.send(renewalMessage(token));
    } catch (error) {
      // A socket closing under us; on.closed will stop us, until then keep trying.
      options.onError?.(error);
      retryLater(failures);
      return;
    }
    currentToken = token;
    expiresAt = newExpiry;
    renewals += 1;
    scheduleRenewal();
  };

  scheduleRenewal();

  return {
    get expiresAt() {
      return expiresAt;
    },
    get renewals() {
      return renewals;
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimer(timer);
      timer = undefined;
    },
  };
}

/** The graphql-ws ping that carries a new token; the server answers with a pong. */
export function renewalMessage(token: string): string {
  return JSON.stringify({ type: 'ping', payload: { authorization: `Bearer ${token}` } });
}

/**
 * A JWT's claims, read without verifying (the server verifies): the client only needs to know
 * when its token runs out and whose it is. Null when the token is not a readable JWT.
 */
export function jwtClaims(token: string | null | undefined): Record<string, unknown> | null {
  const payload = token?.split('.')[1];
  if (!payload) return null;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof claims === 'object' && claims !== null
      ? (claims as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** The `exp` claim in ms since the epoch; null when there is none: nothing to renew. */
export function tokenExpiry(token: string): number | null {
  const exp = jwtClaims(token)?.exp;
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : null;
}

/** How long before expiry to renew a token that has `remainingMs` left (see defaults). */
export function renewalMargin(remainingMs: number): number {
  if (remainingMs <= 0) return 0;
  const margin = Math.min(
    Math.max(remainingMs * defaults.marginFraction, defaults.minMarginMs),
    defaults.maxMarginMs,
  );
  return Math.min(margin, remainingMs * defaults.maxMarginShareOfLifetime);
}

/**
 * The wait before asking again after `failures` + 1 failed attempts with `remainingMs` left,
 * or null when the next attempt would come at or after expiry.
 */
export function retryDelay(failures: number, remainingMs: number): number | null {
  const backoff = Math.min(defaults.retryBaseMs * 2 ** Math.min(failures, 30), defaults.retryMaxMs);
  const delay = Math.max(Math.min(backoff, remainingMs / 2), defaults.minRetryMs);
  return delay < remainingMs ? delay : null;
}
