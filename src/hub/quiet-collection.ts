// A full garbage collection run when the hub's event loop is quiet, not at a fixed time (issue 15, fast reads).
// The upload checker collects once its threads are gone, 10 s after the last upload (upload-checker.ts): a
// synchronous full collection, 50-120 ms with a 200-pack hub's heap on a loaded machine. In the page benchmark
// it landed in the reads whenever the profile's upload had ended 10 s before, and every reader in flight waited
// for it at once. It now waits for a second in which the loop was busy less than 5 % of the time, checked once a
// second, and runs after a minute at the latest, so a hub that is never quiet still gives the memory back.
import { performance } from 'node:perf_hooks';

export interface QuietCollectionOptions {
  /** The collection (`globalThis.gc`); undefined where it is not exposed: then nothing is ever scheduled. */
  readonly collect: (() => void) | undefined;
  /** The share of time (0-1) the event loop was busy since the last call; by default perf_hooks' utilization. */
  readonly busy?: () => number;
  /** How often the loop is looked at while a collection waits. Default 1 s. */
  readonly checkEveryMs?: number;
  /** A check that found the loop busy less than this runs the collection. Default 0.05. */
  readonly quietBelow?: number;
  /** The collection runs after waiting this long, quiet or not. Default 60 s. */
  readonly maxWaitMs?: number;
}

/** The event loop's utilization since the previous call (the first call: since the process started). */
export function loopBusy(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    return busy;
  };
}

export class QuietCollection {
  private timer: NodeJS.Timeout | undefined;
  private readonly busy: () => number;
  private readonly checkEveryMs: number;
  private readonly quietBelow: number;
  private readonly maxWaitMs: number;

  constructor(private readonly options: QuietCollectionOptions) {
    this.busy = options.busy ?? loopBusy();
    this.checkEveryMs = options.checkEveryMs ?? 1000;
    this.quietBelow = options.quietBelow ?? 0.05;
    this.maxWaitMs = options.maxWaitMs ?? 60_000;
  }

  /** Asks for one collection; asking again while one waits changes nothing (that one serves both). */
  request(): void {
    if (this.options.collect === undefined || this.timer !== undefined) return;
    // What the loop did before the request is not what decides: the first check looks at the second after it.
    this.busy();
    let waited = 0;
    const check = () => {
      waited += this.checkEveryMs;
      if (this.busy() >= this.quietBelow && waited < this.maxWaitMs) {
        this.timer = setTimeout(check, this.checkEveryMs).unref();
        return;
      }
      this.timer = undefined;
      this.options.collect?.();
    };
    // Never what keeps a process alive.
    this.timer = setTimeout(check, this.checkEveryMs).unref();
  }

  /** Whether a collection waits for a quiet loop. */
  get pending(): boolean {
    return this.timer !== undefined;
  }
}
