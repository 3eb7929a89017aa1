import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../errors.ts';
import { errorResponse } from './responses.ts';

export interface CsrfOptions {
  /** CSRF_PREVENTION; off, the plugin does nothing. */
  enabled?: boolean;
  /** Path of the GraphQL endpoint; other paths (health, metrics) are not guarded. */
  endpoint?: string;
}

/**
 * Headers a browser never adds to a cross-site request without a CORS preflight. Any of them
 * proves the request was not forged by a form or an <img>. `authorization` is one: it is not
 * CORS-safelisted, and every authenticated Converge client sends it.
 */
export const csrfHeaders = [
  'x-converge-csrf',
  'authorization',
  'x-graphql-yoga-csrf',
  'apollo-require-preflight',
] as const;

// Content types a cross-site <form> or fetch(no-cors) may send without a preflight.
const simpleContentTypes = new Set([
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'text/plain',
]);

/**
 * CSRF prevention in the style of Apollo's and Yoga's: a request to the GraphQL endpoint must
 * either have a content type that forces a preflight (application/json, as every GraphQL
 * client sends on POST) or carry one of `csrfHeaders`. Converge authenticates with bearer
 * tokens, which browsers never attach by themselves; this closes the door anyway for
 * deployments that put a cookie-to-header proxy in front.
 */
export function useCsrfPrevention(options: CsrfOptions = {}): Plugin {
  const endpoint = options.endpoint ?? '/graphql';
  if (options.enabled === false) return {};
  return {
    onRequest({ request, url, endResponse }) {
      if (url.pathname !== endpoint || isPreflighted(request)) return;
      if (request.method === 'GET' && !carriesOperation(url, request)) return;
      endResponse(
        errorResponse(403, {
          message: `Requests to ${endpoint} need a Content-Type of application/json or one of the headers ${csrfHeaders.join(', ')}`,
          extensions: { code: ErrorCode.BAD_USER_INPUT, reason: 'CSRF_PREVENTION' },
        }),
      );
    },
  };
}

function isPreflighted(request: Request): boolean {
  if (csrfHeaders.some((header) => request.headers.has(header))) return true;
  if (request.method !== 'GET' && request.method !== 'POST') return true;
  const contentType = request.headers.get('content-type');
  // No content type at all is what a no-cors fetch of a Blob sends: simple, not preflighted.
  if (contentType === null) return false;
  const mime = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return mime !== '' && !simpleContentTypes.has(mime);
}

/**
 * A GET that runs an operation, as opposed to a browser opening GraphiQL (Accept: text/html,
 * which renders the page and executes nothing a third party could read).
 */
function carriesOperation(url: URL, request: Request): boolean {
  if (!url.searchParams.has('query') && !url.searchParams.has('extensions')) return false;
  return !(request.headers.get('accept') ?? '').includes('text/html');
}
