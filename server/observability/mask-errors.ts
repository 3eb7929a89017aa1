import { GraphQLError, type GraphQLErrorOptions } from 'graphql';
import { ErrorCode } from '../errors.ts';
import { withoutSuggestion } from '../security/introspection.ts';
import { reportWhenSent } from './error-reports.ts';
import type { Logger } from './logger.ts';

export type MaskError = (error: unknown, message: string, isDev?: boolean) => Error;

// Yoga logs at error level every error its masker returned replaced, including client
// mistakes given a code here. The Yoga logger adapter skips the errors this masker has seen:
// unexpected ones are already logged with their request id, and a syntax error in a client's
// query is not a server error.
const handledErrors = new WeakSet<object>();

/** Whether the masker has already dealt with (and if needed logged) this error. */
export function isHandledByMasker(error: unknown): boolean {
  return typeof error === 'object' && error !== null && handledErrors.has(error);
}

function markHandled(error: unknown): void {
  if (typeof error === 'object' && error !== null) handledErrors.add(error);
}

/**
 * Yoga's `maskedErrors.maskError`. Expected errors (GraphQLErrors with no non-GraphQL cause:
 * ConvergeError, Yoga's parse errors) reach the client, always with a code (BAD_USER_INPUT
 * when they had none). Everything else is logged with the request id and replaced by
 * INTERNAL_SERVER_ERROR: stack traces, SQL and Prisma messages stay in the log. `isDev` is
 * ignored on purpose: a development flag must not be the one thing between a database error
 * and a client.
 */
export interface ErrorMaskerOptions {
  /**
   * Keep graphql-js's "Did you mean ...?" hints. Off with INTROSPECTION=false: variable
   * coercion errors (an enum value, an input field) name the schema's types as validation
   * errors do, and every transport's execution errors pass through here.
   */
  suggestions?: boolean;
}

export function createErrorMasker(logger: Logger, options: ErrorMaskerOptions = {}): MaskError {
  const { suggestions = true } = options;
  return (error, message) => {
    if (!isExpectedError(error)) return maskUnexpected(logger, error, message);
    const expected = withCode(error);
    if (suggestions) return expected;
    const stripped = withoutSuggestion(expected);
    // A replaced error is one Yoga would log; a client's typo is not worth a log line.
    if (stripped !== error) markHandled(error);
    return stripped;
  };
}

/** Same rule as Yoga's isOriginalGraphQLError: a GraphQLError whose cause chain holds only GraphQLErrors. */
function isExpectedError(error: unknown): error is GraphQLError {
  if (!isGraphQLError(error)) return false;
  return error.originalError == null || isExpectedError(error.originalError);
}

/**
 * `instanceof` alone fails when two copies of graphql are loaded (its CommonJS and ESM builds
 * under a bundler or test runner); the class's toStringTag is the same in both.
 */
function isGraphQLError(error: unknown): error is GraphQLError {
  return (
    error instanceof GraphQLError ||
    Object.prototype.toString.call(error) === '[object GraphQLError]'
  );
}

function withCode(error: GraphQLError): GraphQLError {
  // Yoga's own errors already have codes (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED,
  // BAD_REQUEST) that clients know; validation errors never pass through here, so renaming
  // parse errors alone would make the two disagree.
  if (typeof error.extensions?.code === 'string') return error;
  markHandled(error);
  // A GraphQLError nobody gave a code (graphql-js variable coercion, a library) is about the
  // request the client sent.
  return new GraphQLError(error.message, {
    ...locationOf(error),
    extensions: { ...error.extensions, code: ErrorCode.BAD_USER_INPUT },
  });
}

function maskUnexpected(logger: Logger, error: unknown, message: string): GraphQLError {
  markHandled(error);
  const masked = new GraphQLError(message, {
    ...(isGraphQLError(error) ? locationOf(error) : {}),
    extensions: {
      code: ErrorCode.INTERNAL_SERVER_ERROR,
      // Yoga answers HTTP 500 (instead of 200) when a request fails with no data only if an
      // error is marked unexpected, as its own masker does; it strips the flag from responses.
      unexpected: true,
    },
  });
  // Logged with the request id once the error is sent, which adds the id to its extensions.
  const path = isGraphQLError(error) && error.path ? { path: error.path.join('.') } : {};
  reportWhenSent(masked, (requestId) =>
    logger.error({ err: rootCause(error), requestId, ...path }, 'Unexpected error'),
  );
  return masked;
}

/** The error that started it: graphql-js may wrap a thrown error more than once. */
function rootCause(error: unknown): unknown {
  let current = error;
  while (isGraphQLError(current) && current.originalError) current = current.originalError;
  return current;
}

/** Where in the document and the result the error happened: the client's own information. */
function locationOf(error: GraphQLError): GraphQLErrorOptions {
  return {
    ...(error.nodes ? { nodes: error.nodes } : {}),
    ...(error.source ? { source: error.source } : {}),
    ...(error.positions ? { positions: error.positions } : {}),
    ...(error.path ? { path: error.path } : {}),
  };
}
