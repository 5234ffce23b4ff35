import { quietCollection } from '../shared/quiet-collection.js';

/** What the burst's end asks for: the process's quiet collector (shared/quiet-collection.ts). */
export interface Collector {
  /** Asks for one full collection, run once the event loop is quiet. */
  request(): void;
  /** False where no collection is exposed: then notes cost nothing at all. */
  readonly enabled: boolean;
}

/**
 * One full garbage collection once a burst of watch events is over (an install, a relist, a rollout): V8 keeps
 * the heap such a burst grew while the hub idles, because its memory reducer sees no reason to run, and the
 * native memory that goes with it (issue 15: at rest a hub held 2.5 × what a full collection leaves, 10 KiB per
 * watched object instead of 3.5). The same as upload-checker.ts does after a burst of uploads.
 *
 * The burst is over after `quietMs` without an event; the collection itself is the process's quiet collector's,
 * which waits for a quiet event loop: collected at once, it landed in the page reads that follow an install (a
 * synchronous pause of 50-120 ms that every reader in flight waits for). Only where the process runs with
 * `--expose-gc` (bin/strata does); elsewhere this does nothing.
 */
export class IdleCollection {
  private events = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: {
      readonly collector: Collector;
      /** Quiet time after the last event before asking for the collection. */
      readonly quietMs: number;
      /** Fewer events than this since the last collection are not a burst: no collection. */
      readonly minEvents: number;
    },
  ) {}

  /** A watch event arrived. Cheap: a counter and a timer moved, nothing allocated. */
  note(): void {
    if (!this.options.collector.enabled) return;
    this.events++;
    if (this.timer !== undefined) {
      this.timer.refresh();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const burst = this.events >= this.options.minEvents;
      this.events = 0;
      if (burst) this.options.collector.request();
    }, this.options.quietMs);
    // Never what keeps a process alive.
    this.timer.unref();
  }
}

/** The engine's, fed by every WatchSet. */
export const idleCollection = new IdleCollection({
  collector: quietCollection,
  quietMs: 2000,
  minEvents: 1000,
});
