import { GraphQLError } from 'graphql';

/**
 * Every expected error carries one of these codes (docs/protocol.md, Errors). Request-level
 * errors become GraphQL errors with `extensions.code`; per-change rejections of
 * `pushChanges` use the `ChangeErrorCode` subset in `ChangeResult.error.code`.
 */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  BATCH_TOO_LARGE: 'BATCH_TOO_LARGE',
  RATE_LIMITED: 'RATE_LIMITED',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  NOT_FOUND: 'NOT_FOUND',
  /** The database is unreachable or restarting: retry later (HTTP 503 with Retry-After). */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  // Per-change codes of REJECTED results.
  VALIDATION: 'VALIDATION',
  WRONG_WORKSPACE: 'WRONG_WORKSPACE',
  INVALID_REFERENCE: 'INVALID_REFERENCE',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export type ChangeErrorCode = Extract<
  ErrorCode,
  'VALIDATION' | 'FORBIDDEN' | 'NOT_FOUND' | 'WRONG_WORKSPACE' | 'INVALID_REFERENCE'
>;

const httpStatusByCode: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  RATE_LIMITED: 429,
};

/** An expected, client-facing error. Anything else thrown is masked as INTERNAL_SERVER_ERROR. */
export class ConvergeError extends GraphQLError {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    const status = httpStatusByCode[code];
    super(message, {
      extensions: { ...extensions, code, ...(status ? { http: { status } } : {}) },
    });
    this.code = code;
  }
}

export const unauthenticated = (message = 'Authentication required: send a valid bearer token') =>
  new ConvergeError(ErrorCode.UNAUTHENTICATED, message);

export const forbidden = (message = 'You are not allowed to do this') =>
  new ConvergeError(ErrorCode.FORBIDDEN, message);

export const badUserInput = (message: string, extensions: Record<string, unknown> = {}) =>
  new ConvergeError(ErrorCode.BAD_USER_INPUT, message, extensions);
