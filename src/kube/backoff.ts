export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export const defaultBackoff: Backoff = { initialMs: 200, maxMs: 30_000 };

/**
 * Capped exponential backoff with full jitter: a uniform delay in [0, min(max, initial·2^(attempt-1))).
 * Full jitter spreads reconnecting watchers of many runners apart after an API server restart
 * (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/). `attempt` counts from 1.
 */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 52));
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}

/** Resolves after `ms`, or at once when `signal` aborts (it never rejects: the caller checks the signal). */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
