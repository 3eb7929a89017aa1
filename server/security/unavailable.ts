import { GraphQLError } from 'graphql';
import { ErrorCode } from '../errors.ts';
import { reportWhenSent } from '../observability/error-reports.ts';
import type { Logger } from '../observability/logger.ts';
import { errorWithHttp } from './responses.ts';

type MaskError = (error: unknown, message: string, isDev?: boolean) => Error;

export interface UnavailableOptions {
  logger: Logger;
  /** What Retry-After suggests, in seconds. */
  retryAfterSeconds?: number;
}

// Prisma error codes for a database that cannot be reached or dropped the connection, a pool
// that had no connection free in time, and a transaction that lost a write conflict.
const transientPrismaCodes = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2034']);
// Driver adapter error kinds (@prisma/driver-adapter-utils) with the same meaning.
const transientAdapterKinds = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TransactionWriteConflict',
]);
// SQLSTATE: connection exceptions (08...), shutdown or start-up in progress (57P01-57P03),
// too many connections, serialization failure, deadlock.
const transientSqlStates = /^(08...|57P0[123]|53300|40001|40P01)$/;
const transientErrnos = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
]);
// node-postgres reports a dropped connection and a pool time-out only in words.
const transientMessages =
  /Connection terminated|connection error|timeout exceeded when trying to connect|Can't reach database server|Server has closed the connection/i;

/**
 * Whether `error` (or anything in its cause chain) says the database is temporarily out of
 * reach: a retry may succeed, and the client's data is not the problem.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  for (const cause of causeChain(error)) {
    const { code, kind, meta, message } = cause as {
      code?: unknown;
      kind?: unknown;
      meta?: { driverAdapterError?: { cause?: { kind?: unknown; originalCode?: unknown } } };
      message?: unknown;
    };
    if (typeof code === 'string') {
      if (transientPrismaCodes.has(code) || transientErrnos.has(code)) return true;
      if (transientSqlStates.test(code)) return true;
    }
    if (typeof kind === 'string' && transientAdapterKinds.has(kind)) return true;
    const adapterCause = meta?.driverAdapterError?.cause;
    if (typeof adapterCause?.kind === 'string' && transientAdapterKinds.has(adapterCause.kind))
      return true;
    if (
      typeof adapterCause?.originalCode === 'string' &&
      transientSqlStates.test(adapterCause.originalCode)
    )
      return true;
    if (typeof message === 'string' && transientMessages.test(message)) return true;
  }
  return false;
}

/** The error, its GraphQL `originalError`s and `cause`s, without looping on cycles. */
function causeChain(error: unknown): object[] {
  const chain: object[] = [];
  let current: unknown = error;
  while (
    typeof current === 'object' &&
    current !== null &&
    !chain.includes(current) &&
    chain.length < 10
  ) {
    chain.push(current);
    const next: unknown =
      current instanceof GraphQLError || 'originalError' in current
        ? ((current as { originalError?: unknown }).originalError ??
          (current as { cause?: unknown }).cause)
        : (current as { cause?: unknown }).cause;
    current = next;
  }
  return chain;
}

/**
 * Wraps Yoga's `maskedErrors.maskError`: a database outage becomes SERVICE_UNAVAILABLE with
 * HTTP 503 and Retry-After, which clients (and load balancers) treat as "try again", instead
 * of an INTERNAL_SERVER_ERROR that says nothing about whether retrying helps. Everything else
 * goes to the wrapped masker unchanged. Internals still stay out of the answer.
 */
export function withServiceUnavailable(
  maskError: MaskError,
  options: UnavailableOptions,
): MaskError {
  const retryAfterSeconds = options.retryAfterSeconds ?? 1;
  return (error, message, isDev) => {
    if (!isTransientDatabaseError(error)) return maskError(error, message, isDev);
    const unavailable = errorWithHttp(
      ErrorCode.SERVICE_UNAVAILABLE,
      'The database is unavailable: retry shortly',
      { status: 503, headers: { 'Retry-After': String(retryAfterSeconds) } },
      { retryAfterMs: retryAfterSeconds * 1000 },
    );
    reportWhenSent(unavailable, (requestId) =>
      options.logger.warn({ err: error, requestId }, 'database unavailable'),
    );
    return unavailable;
  };
}
