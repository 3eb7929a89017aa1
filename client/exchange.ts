import type { Exchange, Operation, OperationResult } from '@urql/core';
import { filter, makeSubject, map, merge, pipe } from 'wonka';

/** What the sync engine does with the operations and results passing this exchange. */
export interface ExchangeHooks {
  /** Takes an operation out of the stream (outbox edits, pushChanges, hydration); true if taken. */
  claim(operation: Operation): boolean;
  /** A claimed operation was torn down by its consumer. */
  release(operation: Operation): boolean;
  /** Every network result on its way to graphcache: version gate, cursor, online status. */
  inspect(result: OperationResult): OperationResult;
  /** Hands the engine its way to the network and to graphcache. */
  connect(transport: Transport): void;
}

export interface Transport {
  /** Sends an operation to the exchanges after this one; resolves with its first result. */
  execute(operation: Operation): Promise<OperationResult>;
  /** Emits a result for a claimed operation, as if it came from the network. */
  deliver(result: OperationResult): void;
}

/**
 * Sits between graphcache and the network. pushChanges never passes straight through: the
 * engine's outbox owns ordering (one batch in flight, in the order made) and turns each
 * batch's answer into one result per edit, so graphcache retires each optimistic layer with
 * the server's entity. urql's offline replay never sees these mutations (urql #2347, #2882).
 */
export function convergeExchange(hooks: ExchangeHooks): Exchange {
  return ({ forward }) =>
    (operations$) => {
      const internal = makeSubject<Operation>();
      const local = makeSubject<OperationResult>();
      const waiting = new Map<number, (result: OperationResult) => void>();
      hooks.connect({
        execute: (operation) =>
          new Promise((resolve) => {
            waiting.set(operation.key, resolve);
            internal.next(operation);
          }),
        deliver: (result) => local.next(result),
      });
      const passed$ = pipe(
        operations$,
        filter((operation) =>
          operation.kind === 'teardown' ? !hooks.release(operation) : !hooks.claim(operation),
        ),
      );
      const network$ = pipe(
        merge([passed$, internal.source]),
        forward,
        filter((result) => {
          const resolve = waiting.get(result.operation.key);
          if (!resolve) return true;
          waiting.delete(result.operation.key);
          resolve(hooks.inspect(result));
          return false;
        }),
        map((result) => hooks.inspect(result)),
      );
      return merge([network$, local.source]);
    };
}
