import { randomUUID } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';

export const requestIdHeader = 'x-request-id';

// Ids are copied into logs and response headers: a strict alphabet keeps a client from
// injecting log lines or header tricks through them.
const validRequestId = /^[A-Za-z0-9._-]{1,128}$/;

const idsByRequest = new WeakMap<Request, string>();

/** Whether an incoming x-request-id may be reused as is. */
export function isValidRequestId(value: string | null | undefined): value is string {
  return typeof value === 'string' && validRequestId.test(value);
}

/**
 * The request's id: a valid incoming x-request-id (so a proxy's id follows the request
 * through) or a new UUID, the same on every call for one request, whichever plugin asks first.
 */
export function requestIdOf(request: Request): string {
  let id = idsByRequest.get(request);
  if (id === undefined) {
    const incoming = request.headers.get(requestIdHeader);
    id = isValidRequestId(incoming) ? incoming : randomUUID();
    idsByRequest.set(request, id);
  }
  return id;
}

/**
 * Gives every HTTP request an id (requestIdOf) and sets it on the response. Code that needs
 * it reads it from the request or from the GraphQL context, never from the async context:
 * see error-reports.ts for why.
 */
export function useRequestId(): Plugin {
  return {
    onRequest({ request }) {
      requestIdOf(request);
    },
    onResponse({ request, response, setResponse }) {
      const id = requestIdOf(request);
      try {
        response.headers.set(requestIdHeader, id);
      } catch {
        // Some responses (e.g. from fetch) carry immutable headers; copy them instead.
        const headers = new Headers(response.headers);
        headers.set(requestIdHeader, id);
        setResponse(
          new Response(response.body, {
            status: response.status,
            statusText: response.statusText,
            headers,
          }),
        );
      }
    },
  };
}
