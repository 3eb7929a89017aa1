import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../errors.ts';

const ourCodes = new Set<unknown>(Object.values(ErrorCode));

/**
 * Requests that never reach execution (invalid JSON, no query, a syntax or validation error,
 * variables of the wrong type) are the client's mistake. Yoga answers some of them with
 * HTTP 200 for `application/json` clients and labels them with its own codes; Converge
 * answers all of them 400 with `BAD_USER_INPUT` from its one list of codes, keeping Yoga's
 * label as `reason`, and drops `originalError` (the JSON parser's message is an internal).
 */
export function useRequestErrorStatus(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || !('errors' in result) || !result.errors) return;
      if ('data' in result && result.data !== undefined) return;
      setResult({ ...result, errors: result.errors.map(asRequestError) });
    },
  };
}

function asRequestError(error: GraphQLError): GraphQLError {
  const code = error.extensions?.code;
  // Keep a more precise 4xx Yoga chose (405 with its Allow header for a mutation over GET).
  const http = error.extensions?.http as
    | { status?: number; headers?: Record<string, string>; spec?: boolean }
    | undefined;
  // Yoga marks every parse error `spec` (HTTP 200 for application/json clients), ours too
  // (QUERY_TOO_COMPLEX from the parser limits).
  if (ourCodes.has(code) && !http?.spec) return error;
  const status = http?.status && http.status >= 400 && http.status < 500 ? http.status : 400;
  return new GraphQLError(error.message, {
    ...(error.nodes ? { nodes: error.nodes } : {}),
    ...(error.source ? { source: error.source } : {}),
    ...(error.positions ? { positions: error.positions } : {}),
    extensions: {
      ...(ourCodes.has(code)
        ? error.extensions
        : {
            code: ErrorCode.BAD_USER_INPUT,
            ...(typeof code === 'string' ? { reason: code } : {}),
          }),
      http: { status, ...(http?.headers ? { headers: http.headers } : {}) },
    },
  });
}
