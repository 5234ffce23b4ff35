/**
 * Conditions an install step waits on (a CRD Established, a hook Job complete, objects gone), re-checked
 * whenever something may have changed them (after every watch event): waiting is driven by events, never by
 * polling.
 */
export class Waiters {
  private readonly pending = new Set<() => void>();

  /** Resolves once `check` holds; rejects on abort or when `check` throws. */
  until(signal: AbortSignal, check: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        try {
          if (signal.aborted) throw signal.reason as Error;
          if (!check()) return;
          this.pending.delete(attempt);
          resolve();
        } catch (error) {
          this.pending.delete(attempt);
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      };
      this.pending.add(attempt);
      signal.addEventListener('abort', attempt, { once: true });
      attempt();
    });
  }

  /** Re-checks every pending condition. */
  wake(): void {
    for (const attempt of [...this.pending]) attempt();
  }
}
