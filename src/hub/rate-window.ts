// A fixed-window budget per key: at most `max` uses per `windowMs`. What is over the budget is counted, so the
// caller can say once per window how much it dropped instead of logging each.

export class RateWindow {
  private readonly windows = new Map<string, { start: number; used: number; dropped: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Whether `key` may use one more now. `droppedBefore` is how many the window that just ended dropped (said
   * once, on the first use of the next window; 0 otherwise).
   */
  take(key: string): { readonly allowed: boolean; readonly droppedBefore: number } {
    const now = this.now();
    let window = this.windows.get(key);
    let droppedBefore = 0;
    if (window === undefined || now - window.start >= this.windowMs) {
      droppedBefore = window?.dropped ?? 0;
      window = { start: now, used: 0, dropped: 0 };
      this.windows.set(key, window);
    }
    if (window.used >= this.max) {
      window.dropped++;
      return { allowed: false, droppedBefore };
    }
    window.used++;
    return { allowed: true, droppedBefore };
  }

  forget(key: string): void {
    this.windows.delete(key);
  }
}
