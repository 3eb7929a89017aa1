export interface BackoffOptions {
  /** First delay, doubled per attempt. */
  baseMs: number;
  /** No delay grows past this. */
  maxMs: number;
  /** Injectable for tests; Math.random otherwise. */
  random: () => number;
}

/**
 * Exponential backoff with "full jitter": a random delay up to base * 2^attempt (capped), so
 * clients that lost the server together do not come back in lockstep.
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (options.random() * ceiling) / 2);
}

/**
 * What the parts of the engine that try the server again on their own (the prober, the live
 * follower) ask of it.
 */
export interface RetryPorts {
  /**
   * The engine's catch-up from its cursor: one that succeeds means online, and it starts the
   * live streams once caught up.
   */
  pull: () => Promise<void>;
  /** Closed or revoked: nothing more is tried or scheduled. */
  stopped: () => boolean;
  /** A refused static token: no retry until the app gives a new one. */
  waitsForToken: () => boolean;
  retry: BackoffOptions;
  setTimeout: typeof setTimeout;
  clearTimeout: typeof clearTimeout;
}
