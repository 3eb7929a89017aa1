import { GraphQLError } from 'graphql';
import type { ErrorCode } from '../errors.ts';

export interface HttpHint {
  status: number;
  headers?: Record<string, string>;
}

/**
 * A client-facing GraphQL error with an HTTP status and headers for Yoga to apply. Yoga reads
 * `extensions.http` to build the response and strips it from the body. ConvergeError sets
 * `http` from its own table and would drop the headers (Retry-After), hence this helper.
 */
export function errorWithHttp(
  code: ErrorCode,
  message: string,
  http: HttpHint,
  extensions: Record<string, unknown> = {},
): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code, http } });
}

/**
 * A GraphQL-shaped JSON response for requests refused before Yoga parses them (body too large,
 * CSRF), so clients read one error format whatever stopped the request.
 */
export function errorResponse(
  status: number,
  error: { message: string; extensions: Record<string, unknown> },
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ errors: [error] }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}
