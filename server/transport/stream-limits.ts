/**
 * What bounds a live connection, whatever its transport (README "Live changes"):
 *
 * - One cap per user on one instance, MAX_CONNECTIONS_PER_USER, counting WebSocket
 *   connections and subscriptions over HTTP (Server-Sent Events) together. Past it, a new
 *   socket is closed with 4429 'Too many connections' (websocket.ts) and a new SSE
 *   subscription gets one error with code LIMIT_EXCEEDED and ends.
 * - A subscription over HTTP ends when the token it was opened with expires, with one error
 *   with code UNAUTHENTICATED, as a socket closes with 4403 'Token expired'. An HTTP request
 *   cannot renew its token: reconnect with a fresh one and `after:` the last cursor.
 *
 * The cap is per instance (a counter in memory): behind a load balancer a user may hold up to
 * the cap on each instance.
 */
import { Repeater } from '@graphql-yoga/subscription';
import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { type AuthUser, bearerToken } from '../auth/jwt.ts';
import { ConvergeError, ErrorCode, unauthenticated } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { expiryOf } from './connection-auth.ts';

/** Live connections per user, shared by the transports of one instance. */
export interface UserConnectionLimit {
  readonly max: number;
  /** Takes a slot for `userId`: the function that gives it back, or null at the cap. */
  acquire(userId: string): (() => void) | null;
}

export function createUserConnectionLimit(max: number): UserConnectionLimit {
  const counts = new Map<string, number>();
  return {
    max,
    acquire(userId) {
      const count = counts.get(userId) ?? 0;
      if (count >= max) return null;
      counts.set(userId, count + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const remaining = (counts.get(userId) ?? 1) - 1;
        if (remaining > 0) counts.set(userId, remaining);
        else counts.delete(userId);
      };
    },
  };
}

// Node caps timer delays at 2^31 - 1 ms (about 24.8 days); longer ones fire at once, and
// tokens often live 30 days. Longer waits are made of several steps.
const maxTimerDelayMs = 2_147_483_647;

/**
 * Calls `callback` at `time` (ms since the epoch), at once when that is past. Returns a
 * function that cancels it. The timer does not keep the process alive.
 */
export function atTime(time: number, callback: () => void): () => void {
  let timer: NodeJS.Timeout | null = null;
  const wait = () => {
    const delay = time - Date.now();
    if (delay <= 0) {
      timer = null;
      callback();
      return;
    }
    timer = setTimeout(wait, Math.min(delay, maxTimerDelayMs));
    timer.unref();
  };
  wait();
  return () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
}

export interface HttpStreamLimitOptions {
  connectionLimit: UserConnectionLimit;
  logger: Logger;
}

/** What the plugin reads from the context: Yoga's HTTP request, or our WebSocket's user. */
interface StreamContext {
  user: AuthUser | null;
  request?: Request;
  connectionUser?: AuthUser;
}

/**
 * The cap and the token expiry for subscriptions over HTTP. Subscriptions over WebSocket are
 * left alone: their socket took the slot and closes at expiry (websocket.ts).
 */
export function useHttpStreamLimits(options: HttpStreamLimitOptions): Plugin {
  const { connectionLimit, logger } = options;
  return {
    onSubscribe({ args }) {
      const context = args.contextValue as unknown as StreamContext;
      if (context.connectionUser || !context.request || !context.user) return;
      const { userId } = context.user;
      const expiresAt = tokenExpiry(context.request);
      return {
        // After the resolver's own checks: a refused subscribe (FORBIDDEN) takes no slot.
        onSubscribeResult({ result, setResult }) {
          if (!isAsyncIterable(result)) return;
          const release = connectionLimit.acquire(userId);
          if (!release) {
            logger.warn(
              { userId, limit: connectionLimit.max },
              'SSE subscription refused: too many connections for this user',
            );
            void result.return?.();
            setResult({ errors: [tooManyConnections(connectionLimit.max)] });
            return;
          }
          setResult(limitedStream(result, { release, expiresAt }));
        },
      };
    },
  };
}

function tooManyConnections(limit: number): ConvergeError {
  return new ConvergeError(
    ErrorCode.LIMIT_EXCEEDED,
    `Too many connections: at most ${limit} live connections (WebSockets and SSE subscriptions) per user (MAX_CONNECTIONS_PER_USER); close one first`,
    { limit },
  );
}

/** The expiry of the request's bearer token; the context factory has already verified it. */
function tokenExpiry(request: Request): number | null {
  const token = bearerToken(request.headers.get('authorization'));
  return token === null ? null : expiryOf(token);
}

/**
 * The stream, ending with an UNAUTHENTICATED error at `expiresAt`, and giving its slot back
 * however it ends (completion, error, expiry, or the client going away).
 */
function limitedStream(
  source: AsyncIterableIterator<ExecutionResult>,
  limits: { release: () => void; expiresAt: number | null },
): Repeater<ExecutionResult> {
  return new Repeater<ExecutionResult>(async (push, stop) => {
    const cancelExpiry =
      limits.expiresAt === null
        ? () => {}
        : atTime(limits.expiresAt, () => {
            void push({ errors: [unauthenticated('Token expired')] });
            stop();
          });
    // A source waiting for its next event may never yield again: return it at once.
    void stop.then(() => {
      cancelExpiry();
      limits.release();
      void source.return?.();
    });
    try {
      for await (const result of source) await push(result);
      stop();
    } catch (error) {
      stop(error);
    }
  });
}
