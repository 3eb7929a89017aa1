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
