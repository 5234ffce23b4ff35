// Each pack's revision deadline (installs.ts), watched by one timer for the soonest of them rather than a
// Timeout per pack: a wave's installs run side by side, each held its Timeout and closure for its whole install
// and nearly every one was cleared unused when the pack turned green (issue 15: promoted per pack).

/** One pack's deadline. */
export interface Deadline {
  /** performance.now() when it passes: what the timer waits for, whatever the runner's clock says. */
  readonly at: number;
  /** The runner's clock (ms since the epoch) when it passes: what the pack's status names. */
  readonly deadline: number;
  /** The timeout it was set from. */
  readonly ms: number;
}

export class Deadlines<K> {
  private readonly pending = new Map<K, Deadline>();
  private timer: NodeJS.Timeout | undefined;
  /** performance.now() the timer fires at (Infinity: none). */
  private timerAt = Number.POSITIVE_INFINITY;

  /** `expired` is called for each deadline as it passes, and it is forgotten. */
  constructor(private readonly expired: (key: K, deadline: Deadline) => void) {}

  /** `key` is due `ms` from now (replacing a deadline it had); `now` is the runner's clock. */
  set(key: K, ms: number, now: number): void {
    const at = performance.now() + ms;
    this.pending.set(key, { at, deadline: now + ms, ms });
    if (at < this.timerAt) this.arm(at);
  }

  /** `key` has no deadline any more. */
  clear(key: K): void {
    if (!this.pending.delete(key) || this.pending.size > 0) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  /** Forgets every deadline. */
  stop(): void {
    this.pending.clear();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private arm(at: number): void {
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.fire();
      },
      Math.max(0, Math.ceil(at - performance.now())),
    );
    this.timer.unref();
  }

  /** Calls back what passed (in the order they were set) and waits for the soonest left. */
  private fire(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    const passed: [K, Deadline][] = [];
    let soonest = Number.POSITIVE_INFINITY;
    for (const entry of this.pending) {
      if (entry[1].at <= now) passed.push(entry);
      else soonest = Math.min(soonest, entry[1].at);
    }
    for (const [key] of passed) this.pending.delete(key);
    if (soonest < Number.POSITIVE_INFINITY) this.arm(soonest);
    for (const [key, deadline] of passed) this.expired(key, deadline);
  }
}
