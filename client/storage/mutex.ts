/** Serialises async sections within one process; the cross-process lock sits inside it. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(section: () => Promise<T>): Promise<T> {
    const result = this.tail.then(section, section);
    // The chain must survive a failed section, or one error would block every later one.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
