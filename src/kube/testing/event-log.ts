/**
 * For tests: an append-only log that waiters subscribe to, so tests wait on events rather than on time. Only
 * the deadline is a timer, and it fails with what the log holds.
 */
export class EventLog<E> {
  readonly items: E[] = [];
  private waiters: { done: () => boolean; resolve: () => void }[] = [];

  push(item: E): void {
    this.items.push(item);
    this.waiters = this.waiters.filter((w) => {
      if (!w.done()) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves once n items are in, plus one macrotask (ListWatch commits its cache right after the handler). */
  waitFor(n: number, timeoutMs = 20_000): Promise<void> {
    return this.waitUntil(() => this.items.length >= n, `${n} items`, timeoutMs);
  }

  async waitUntil(done: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    if (!done()) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`timed out waiting for ${what}; log: ${JSON.stringify(this.items)}`));
        }, timeoutMs);
        this.waiters.push({
          done,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    }
    await new Promise((r) => setImmediate(r));
  }
}
