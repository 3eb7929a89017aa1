import type { CombinedError, Exchange, Operation } from '@urql/core';
import { makeOperation } from '@urql/core';
import { filter, makeSubject, merge, onPush, pipe } from 'wonka';
import { type BackoffOptions, backoffDelay } from './backoff.ts';

export type TokenSource = () => string | Promise<string>;
export type FetchLike = typeof fetch;

/** A transport failure: no GraphQL answer came back (offline, refused, reset, timed out). */
export function isNetworkError(error: CombinedError | undefined): boolean {
  return !!error?.networkError && !error.response;
}

/** Adds a fresh `Authorization: Bearer` header from getToken to every HTTP request. */
export function authorizedFetch(base: FetchLike, getToken: TokenSource): FetchLike {
  return async (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${await getToken()}`);
    return base(input, { ...init, headers });
  };
}

export interface RetryOptions extends BackoffOptions {
  /** Further tries after the first. */
  attempts: number;
  setTimeout: typeof setTimeout;
  clearTimeout: typeof clearTimeout;
}

/**
 * Retries queries that failed for lack of a network, with backoff. GraphQL errors are
 * answers and are never retried, and neither are mutations: most are not idempotent
 * (pushChanges is, and its outbox retries it on its own terms). Nor are the sync engine's own
 * queries: a failed catch-up is how it learns the server is gone, and it probes on its own.
 */
export function networkRetryExchange(options: RetryOptions): Exchange {
  return ({ forward }) =>
    (operations$) => {
      const retries = makeSubject<Operation>();
      const tornDown = new Set<number>();
      const watched$ = pipe(
        operations$,
        onPush((operation) => {
          if (operation.kind === 'teardown') tornDown.add(operation.key);
          else tornDown.delete(operation.key);
        }),
      );
      return pipe(
        merge([watched$, retries.source]),
        forward,
        filter((result) => {
          const { operation } = result;
          const attempt = (operation.context.retryAttempt as number | undefined) ?? 0;
          const retry =
            operation.kind === 'query' &&
            !operation.context.converge &&
            isNetworkError(result.error) &&
            attempt < options.attempts &&
            !tornDown.has(operation.key);
          if (!retry) return true;
          options.setTimeout(
            () => {
              if (tornDown.has(operation.key)) return;
              retries.next(
                makeOperation(operation.kind, operation, {
                  ...operation.context,
                  retryAttempt: attempt + 1,
                }),
              );
            },
            backoffDelay(attempt, options),
          );
          return false;
        }),
      );
    };
}
