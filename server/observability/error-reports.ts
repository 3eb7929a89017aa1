import type { Plugin } from 'graphql-yoga';
import { requestIdOf } from './request-id.ts';

/**
 * The log line of a masked error, written once its request id is known.
 *
 * Yoga calls the masker with the error alone, so the masker cannot know which request it
 * belongs to. Finding out through the async context (AsyncLocalStorage) costs every promise
 * of the process a hook on Node 20; measured (issue 15), that was 15-25% of the server CPU of
 * a one-change push and of a fan-out. Instead the masker leaves a report on the error it
 * returns, and whoever sends the error with its request id in hand (Yoga's result processing
 * over HTTP, the WebSocket transport) adds the id to the error and writes the line, once.
 */
type Report = (requestId: string) => void;

const pendingReports = new WeakMap<object, Report>();

/** Leaves `report` on `error` (a masked error about to be answered) until it is sent. */
export function reportWhenSent(error: object, report: Report): void {
  pendingReports.set(error, report);
}

/**
 * Gives each masked error among `errors` its request id (in `extensions.requestId`, so a
 * client can quote it) and writes its log line. An error already reported is left alone.
 */
export function reportMaskedErrors(errors: readonly unknown[] | undefined, requestId: string) {
  if (!errors) return;
  for (const error of errors) {
    if (typeof error !== 'object' || error === null) continue;
    const report = pendingReports.get(error);
    if (!report) continue;
    pendingReports.delete(error);
    const { extensions } = error as { extensions?: Record<string, unknown> };
    if (extensions) extensions.requestId = requestId;
    report(requestId);
  }
}

type ResultWithErrors = { errors?: readonly unknown[] };

/** Reports the masked errors of every HTTP answer, streamed ones (SSE) result by result. */
export function useErrorReports(): Plugin {
  return {
    onResultProcess({ request, result, setResult }) {
      const requestId = requestIdOf(request);
      if (isAsyncIterable(result)) {
        setResult(reportingEach(result as AsyncIterable<ResultWithErrors>, requestId) as never);
        return;
      }
      for (const single of Array.isArray(result) ? result : [result]) {
        reportMaskedErrors((single as ResultWithErrors).errors, requestId);
      }
    },
  };
}

function reportingEach<T extends ResultWithErrors>(
  source: AsyncIterable<T>,
  requestId: string,
): AsyncIterableIterator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const reporting: AsyncIterableIterator<T> = {
    async next() {
      const step = await iterator.next();
      if (!step.done) reportMaskedErrors(step.value.errors, requestId);
      return step;
    },
    // Passed straight on: a client that goes away ends the source at once.
    return: async (value?: unknown) =>
      (await iterator.return?.(value)) ?? { done: true, value: undefined },
    [Symbol.asyncIterator]: () => reporting,
  };
  return reporting;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
