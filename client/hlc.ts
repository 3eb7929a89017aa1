/**
 * The client's hybrid logical clock (docs/protocol.md, Hybrid logical clock): stamps
 * "<unixMillis>:<counter>" that never go backwards, even when the wall clock does, and that move
 * past every server time the client has seen so its next edit sorts after what it has observed.
 */
export class HybridClock {
  private millis = 0;
  private counter = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** A stamp for a new local edit, greater than every stamp made or observed before. */
  tick(): string {
    const wall = this.now();
    if (wall > this.millis) {
      this.millis = wall;
      this.counter = 0;
    } else {
      this.counter += 1;
    }
    return this.current();
  }

  /** Moves the clock past a stamp or a time seen elsewhere (a server write, a stored stamp). */
  observe(stamp: string | number | null | undefined): void {
    const parsed = parseStamp(stamp);
    if (!parsed) return;
    if (
      parsed.millis > this.millis ||
      (parsed.millis === this.millis && parsed.counter > this.counter)
    ) {
      this.millis = parsed.millis;
      this.counter = parsed.counter;
    }
  }

  current(): string {
    return `${this.millis}:${this.counter}`;
  }
}

function parseStamp(
  stamp: string | number | null | undefined,
): { millis: number; counter: number } | null {
  if (typeof stamp === 'number') {
    return Number.isFinite(stamp) ? { millis: Math.floor(stamp), counter: 0 } : null;
  }
  if (typeof stamp !== 'string') return null;
  const match = /^(\d{1,15}):(\d{1,10})$/.exec(stamp);
  if (match) return { millis: Number(match[1]), counter: Number(match[2]) };
  // Server writes are seen as ISO dates (updatedAt).
  const millis = Date.parse(stamp);
  return Number.isNaN(millis) ? null : { millis, counter: 0 };
}

/** Orders two stamps of this clock; unreadable ones sort first. */
export function compareStamps(a: string, b: string): number {
  const left = parseStamp(a) ?? { millis: -1, counter: 0 };
  const right = parseStamp(b) ?? { millis: -1, counter: 0 };
  return left.millis - right.millis || left.counter - right.counter;
}
