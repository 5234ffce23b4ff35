// A full garbage collection run when the process's event loop is quiet, not at a fixed time (issue 15, fast reads).
// The hub collects after a burst: of uploads (the upload checker, once its threads are gone, 10 s after the last
// upload) and of watch events (the engine, 2 s after an install's or a relist's last event: engine/
// idle-collection.ts). A synchronous full collection takes 50-120 ms with a 200-pack hub's heap on a loaded
// machine; run at a fixed time, it landed in the page reads and every reader in flight waited for it at once. It
// now waits for a second in which the loop was busy less than 5 % of the time, checked once a second, and runs
// after a minute at the latest, so a process that is never quiet still gives the memory back.
//
// One collector per process (`quietCollection`): both bursts ask it, and requests made while one waits are
// served by that one collection.
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
  /** Whether requests do anything: false where the collection is not exposed (no `--expose-gc`). */
  readonly enabled: boolean;

  constructor(private readonly options: QuietCollectionOptions) {
    this.enabled = options.collect !== undefined;
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

type ExposedGc = (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;
const exposedGc = (globalThis as { gc?: ExposedGc }).gc;

/**
 * The process's one collector. Only where the process runs with `--expose-gc` (bin/strata does); elsewhere
 * requests do nothing. V8's "last resort" flavour (what a low-memory notification runs, and the inspector's
 * collectGarbage): it compacts and gives the freed pages back to the system. A plain `gc()` frees the objects
 * but keeps the pages: at 1,000 watched objects it left RSS where it was (198 MiB), this flavour took it to 165.
 */
export const quietCollection = new QuietCollection({
  collect:
    exposedGc === undefined
      ? undefined
      : () => {
          exposedGc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
        },
});
