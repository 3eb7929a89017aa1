import type { FetchLike } from './network.ts';

export interface DeadlineOptions {
  /** How long a request may take, answer body included, before it is aborted. */
  timeoutMs: number;
  setTimeout: typeof setTimeout;
  clearTimeout: typeof clearTimeout;
}

/** A request that got no complete answer within its deadline; it was aborted. */
export class RequestTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`No answer within ${timeoutMs} ms: the request was aborted`);
    this.name = 'RequestTimeoutError';
  }
}

/**
 * Gives every HTTP request a deadline. A connection that takes a request and never answers
 * (a dead NAT mapping, a half-open socket) otherwise holds it until the platform gives up,
 * minutes later, with every later edit queued behind it. The answer's body is read within
 * the deadline too, and handed on whole: a body that stalls halfway is a timeout, seen as a
 * network failure (no response), so the caller retries it like any other.
 *
 * `abortAll()` aborts what is in flight (close()).
 */
export function deadlineFetch(base: FetchLike, options: DeadlineOptions) {
  const inFlight = new Set<AbortController>();
  const fetchWithDeadline: FetchLike = async (input, init = {}) => {
    const controller = new AbortController();
    const callerSignal = init.signal;
    const abortFromCaller = () => controller.abort(callerSignal?.reason);
    if (callerSignal?.aborted) abortFromCaller();
    callerSignal?.addEventListener('abort', abortFromCaller, { once: true });
    let timedOut = false;
    const timer = options.setTimeout(() => {
      timedOut = true;
      controller.abort(new RequestTimeoutError(options.timeoutMs));
    }, options.timeoutMs);
    inFlight.add(controller);
    // Raced as well as passed on: a fetch (or a getToken before it) may ignore the signal.
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), {
        once: true,
      });
    });
    aborted.catch(() => undefined);
    try {
      const response = await Promise.race([
        base(input, { ...init, signal: controller.signal }),
        aborted,
      ]);
      if (isStream(response)) return response;
      const body = await Promise.race([response.arrayBuffer(), aborted]);
      return new Response(body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    } catch (error) {
      throw timedOut ? new RequestTimeoutError(options.timeoutMs) : error;
    } finally {
      options.clearTimeout(timer);
      inFlight.delete(controller);
      callerSignal?.removeEventListener('abort', abortFromCaller);
    }
  };
  return {
    fetch: fetchWithDeadline,
    abortAll(): void {
      for (const controller of inFlight) controller.abort(new Error('The sync client closed'));
    },
  };
}

/** Streamed answers (incremental delivery, event streams) are not buffered. */
function isStream(response: Response): boolean {
  const type = response.headers.get('content-type') ?? '';
  return /multipart\/mixed|text\/event-stream/i.test(type);
}

/**
 * Watches a graphql-ws connection: a connect that gets no acknowledgement, or a keep-alive
 * ping that gets no pong, within `timeoutMs` means a silent socket (a half-open TCP
 * connection sends nothing and fails nothing). `terminate` then drops it; graphql-ws
 * reconnects with backoff and the live streams resume from the cursor.
 */
export function socketWatchdog(options: DeadlineOptions & { terminate: () => void }) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const disarm = () => {
    if (timer) options.clearTimeout(timer);
    timer = undefined;
  };
  const arm = () => {
    disarm();
    timer = options.setTimeout(() => {
      timer = undefined;
      options.terminate();
    }, options.timeoutMs);
  };
  return {
    connecting: arm,
    connected: disarm,
    /** graphql-ws's `ping` event: `received` false when this side sent it. */
    ping: (received: boolean) => {
      if (!received) arm();
    },
    pong: (received: boolean) => {
      if (received) disarm();
    },
    closed: disarm,
  };
}
