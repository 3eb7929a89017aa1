import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { ENTITY_FIELDS } from './sync.ts';

export const ENTITY_CHANGED = `
  subscription Changes($workspaceId: ID!, $types: [EntityType!], $after: Cursor) {
    entityChanged(workspaceId: $workspaceId, types: $types, after: $after) {
      cursor op changedFields actorId clientId
      entity { ${ENTITY_FIELDS} }
    }
  }`;

export const CONFLICT_CHANGED = `
  subscription Conflicts($workspaceId: ID!) {
    conflictChanged(workspaceId: $workspaceId) { id field status entityId resolution }
  }`;

export interface SubscriptionResult<T = Record<string, unknown>> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** A running subscription: what it received so far, and a way to wait for more. */
export interface Received<T> {
  results: SubscriptionResult<T>[];
  /** Resolves when `count` results arrived (or the stream ended); rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<SubscriptionResult<T>[]>;
  ended: Promise<void>;
  stop(): void;
}

/** Collects results pushed by `start`, with bounded waits. */
export function collector<T>(
  start: (push: (result: SubscriptionResult<T>) => void) => {
    ended: Promise<void>;
    stop(): void;
  },
): Received<T> {
  const results: SubscriptionResult<T>[] = [];
  const waiters = new Set<() => void>();
  const { ended, stop } = start((result) => {
    results.push(result);
    for (const wake of waiters) wake();
  });
  let isEnded = false;
  void ended.finally(() => {
    isEnded = true;
    for (const wake of waiters) wake();
  });
  return {
    results,
    ended,
    stop,
    waitFor(count, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (results.length >= count || isEnded) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(results);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out with ${results.length} of ${count} results`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

/** A subscription over Server-Sent Events (Yoga's own transport), as a browser EventSource would. */
export function subscribeSse<T = Record<string, unknown>>(
  url: string,
  token: string | null,
  query: string,
  variables: Record<string, unknown>,
): Received<T> {
  return collector<T>((push) => {
    const abort = new AbortController();
    const ended = (async () => {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        signal: abort.signal,
        headers: {
          accept: 'text/event-stream',
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      if (!response.body) return;
      const decoder = new TextDecoder();
      let buffer = '';
      const reader = response.body.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let boundary = buffer.indexOf('\n\n');
        while (boundary >= 0) {
          const message = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          const data = message
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trim())
            .join('');
          if (message.includes('event: complete')) return;
          if (data) push(JSON.parse(data) as SubscriptionResult<T>);
          boundary = buffer.indexOf('\n\n');
        }
      }
    })().catch((error: unknown) => {
      if ((error as Error).name !== 'AbortError') throw error;
    });
    return { ended, stop: () => abort.abort() };
  });
}

/** A subscription over WebSocket (graphql-transport-ws), token in connection_init. */
export function subscribeWs<T = Record<string, unknown>>(
  url: string,
  token: string | null,
  query: string,
  variables: Record<string, unknown>,
): Received<T> {
  return collector<T>((push) => {
    const client = createClient({
      url: `${url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    });
    let unsubscribe = () => {};
    const ended = new Promise<void>((resolve) => {
      unsubscribe = client.subscribe<T>(
        { query, variables },
        {
          next: (result) => push(result as SubscriptionResult<T>),
          error: (error) => {
            const errors = Array.isArray(error) ? error : [];
            if (errors.length > 0) push({ errors } as SubscriptionResult<T>);
            resolve();
          },
          complete: () => resolve(),
        },
      );
    });
    return {
      ended,
      stop: () => {
        unsubscribe();
        void client.dispose();
      },
    };
  });
}
