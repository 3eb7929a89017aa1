const done: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * What a live stream listens to, as one async iterator fed by callbacks (pub/sub listeners,
 * timers), in arrival order. One small object per stream, where merged Repeaters cost several
 * objects and promises per stream and per event.
 *
 * A reader that falls far behind (a slow socket) does not make the queue grow without end:
 * a signal that finds `maxQueued` waiting replaces them, and itself, by `overflow` (for a
 * gap-free stream, a resync: what was dropped is read again from the change log).
 */
export class SignalQueue<T> implements AsyncIterableIterator<T> {
  private items: T[] = [];
  private readers: ((result: IteratorResult<T>) => void)[] = [];
  private cleanups: (() => void)[] = [];
  private ended = false;

  constructor(
    private readonly overflow: T,
    private readonly maxQueued = 256,
  ) {}

  push(item: T): void {
    if (this.ended) return;
    const reader = this.readers.shift();
    if (reader) reader({ done: false, value: item });
    else if (this.items.length >= this.maxQueued) this.items = [this.overflow];
    else this.items.push(item);
  }

  /** Pushes unless the same item already waits: one pending recheck is as good as many. */
  pushOnce(item: T): void {
    if (!this.items.includes(item)) this.push(item);
  }

  /** Runs `cleanup` when the queue ends (at once if it has). */
  onEnd(cleanup: () => void): void {
    if (this.ended) cleanup();
    else this.cleanups.push(cleanup);
  }

  /** Ends the queue: readers get done, callbacks stop feeding it, clean-ups run. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.items = [];
    for (const reader of this.readers.splice(0)) reader(done);
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) {
      return Promise.resolve({ done: false, value: this.items.shift() as T });
    }
    if (this.ended) return Promise.resolve(done);
    return new Promise((resolve) => this.readers.push(resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    return Promise.resolve(done);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
