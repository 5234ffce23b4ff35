/**
 * One full garbage collection once a burst of watch events is over (an install, a relist, a rollout): V8 keeps
 * the heap such a burst grew while the hub idles, because its memory reducer sees no reason to run, and the
 * native memory that goes with it (issue 15: at rest a hub held 2.5 × what a full collection leaves, 10 KiB per
 * watched object instead of 3.5). The same as upload-checker.ts does after a burst of uploads.
 *
 * Only where the process runs with `--expose-gc` (bin/strata does); elsewhere `collect` is undefined and this
 * does nothing. One collection per burst, after `quietMs` without an event, costs a pause of tens of
 * milliseconds when nothing else is happening.
 */
export class IdleCollection {
  private events = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: {
      /** A full, synchronous collection (`globalThis.gc`), or undefined where it is not exposed. */
      readonly collect: (() => void) | undefined;
      /** Quiet time after the last event before collecting. */
      readonly quietMs: number;
      /** Fewer events than this since the last collection are not a burst: no collection. */
      readonly minEvents: number;
    },
  ) {}

  /** A watch event arrived. Cheap: a counter and a timer moved, nothing allocated. */
  note(): void {
    if (this.options.collect === undefined) return;
    this.events++;
    if (this.timer !== undefined) {
      this.timer.refresh();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const burst = this.events >= this.options.minEvents;
      this.events = 0;
      if (burst) this.options.collect?.();
    }, this.options.quietMs);
    // Never what keeps a process alive.
    this.timer.unref();
  }
}

type ExposedGc = (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;
const exposedGc = (globalThis as { gc?: ExposedGc }).gc;

/**
 * The process's one collector, fed by every WatchSet. V8's "last resort" flavour (what a low-memory
 * notification runs, and the inspector's collectGarbage): it compacts and gives the freed pages back to the
 * system. A plain `gc()` frees the objects but keeps the pages: at 1,000 objects it left RSS where it was
 * (198 MiB), this flavour took it to 165.
 */
export const idleCollection = new IdleCollection({
  collect:
    exposedGc === undefined
      ? undefined
      : () => {
          exposedGc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
        },
  quietMs: 2000,
  minEvents: 1000,
});
