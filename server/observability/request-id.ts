import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';

export const requestIdHeader = 'x-request-id';

// Ids are copied into logs and response headers: a strict alphabet keeps a client from
// injecting log lines or header tricks through them.
const validRequestId = /^[A-Za-z0-9._-]{1,128}$/;

const idsByRequest = new WeakMap<Request, string>();
const currentId = new AsyncLocalStorage<string>();

/** Whether an incoming x-request-id may be reused as is. */
export function isValidRequestId(value: string | null | undefined): value is string {
  return typeof value === 'string' && validRequestId.test(value);
}

/**
 * The id of a request seen by useRequestId. A request the plugin never saw (a WebSocket
 * upgrade handled outside Yoga's HTTP pipeline, a test) gets a fresh id on first call, kept
 * for that request, so callers always have something to log.
 */
export function requestIdOf(request: Request): string {
  let id = idsByRequest.get(request);
  if (id === undefined) {
    id = randomUUID();
    idsByRequest.set(request, id);
  }
  return id;
}

/**
 * The id of the request being handled in the current async context, if any. The error
 * masker uses it: Yoga's maskError callback receives no request.
 */
export function currentRequestId(): string | undefined {
  return currentId.getStore();
}

/** Runs `fn` with `id` as the current request id (for work outside Yoga's HTTP pipeline). */
export function withRequestId<T>(id: string, fn: () => T): T {
  return currentId.run(id, fn);
}

function assignRequestId(request: Request): string {
  const existing = idsByRequest.get(request);
  if (existing !== undefined) return existing;
  const incoming = request.headers.get(requestIdHeader);
  const id = isValidRequestId(incoming) ? incoming : randomUUID();
  idsByRequest.set(request, id);
  return id;
}

/**
 * Gives every HTTP request an id: a valid incoming x-request-id (so a proxy's id follows the
 * request through) or a new UUID. Sets it on the response and makes it available through
 * requestIdOf(request) and currentRequestId().
 */
export function useRequestId(): Plugin {
  return {
    // Instrumentation wraps the whole pipeline, including every other plugin's onRequest,
    // so the id exists whatever the plugin order, and the async context covers execution.
    instrumentation: {
      request: ({ request }, wrapped) => currentId.run(assignRequestId(request), wrapped),
    },
    onRequest({ request }) {
      assignRequestId(request);
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
