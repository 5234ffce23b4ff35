// How much pack history the hub keeps (security review 8, item 5). Every status write and every colour change
// is an event row, forever until now: a busy cluster, or an agent token pushing statuses in a loop, grew the
// database without bound. A pass every few minutes deletes, per pack, the transitions and status events past
// the newest `keepPerPack` and, with `keepDays`, those older than that (each pack's newest always stays). Every
// replica runs it; the deletes are the same whoever runs them.
import type { Store } from '../store/index.js';

export interface RetentionPolicy {
  /** Per pack, the newest transitions (and, separately, status events) kept. */
  readonly keepPerPack: number;
  /** Older rows go too (each pack's newest stays); 0 keeps them whatever their age. */
  readonly keepDays: number;
  /**
   * Per pack, the newest transitions (and, separately, status events) kept by size, bytes of JSON; older
   * ones go even within keepPerPack (each pack's newest stays). Default DEFAULT_KEEP_BYTES_PER_PACK.
   */
  readonly keepBytesPerPack?: number;
}

/**
 * Rows are bounded by size as well as count (security review 10, item 3): an agent's status can be up to 1 MiB,
 * so 1000 of them per pack was a gigabyte. An honest status is a few KiB, so 16 MiB keeps the count's worth of
 * history for all but the biggest packs, which keep their newest 16 MiB.
 */
export const DEFAULT_KEEP_BYTES_PER_PACK = 16 * 1024 * 1024;

/** STRATA_KEEP_TRANSITIONS / --keep-transitions, and STRATA_KEEP_DAYS / --keep-days. */
export const DEFAULT_RETENTION: RetentionPolicy = {
  keepPerPack: 1000,
  keepDays: 90,
  keepBytesPerPack: DEFAULT_KEEP_BYTES_PER_PACK,
};

/** How often the history is pruned; also once shortly after the hub starts. */
export const RETENTION_EVERY_MS = 10 * 60_000;
const FIRST_PASS_MS = 30_000;
const DAY_MS = 24 * 60 * 60_000;

export class Retention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly store: Store,
    private readonly policy: RetentionPolicy,
    private readonly log: (message: string) => void,
    private readonly now: () => number = () => Date.now(),
  ) {}

  start(): void {
    const pass = (next: number) => {
      this.timer = setTimeout(() => {
        void this.runOnce().finally(() => {
          if (this.timer !== undefined) pass(RETENTION_EVERY_MS);
        });
      }, next);
      this.timer.unref();
    };
    pass(FIRST_PASS_MS);
  }

  /** One pass; resolves with how many rows it deleted (0 when it failed: the next pass tries again). */
  runOnce(): Promise<number> {
    this.running ??= (async () => {
      try {
        const olderThan =
          this.policy.keepDays > 0
            ? { olderThan: new Date(this.now() - this.policy.keepDays * DAY_MS).toISOString() }
            : {};
        const deleted = await this.store.history.prune({
          keepPerPack: this.policy.keepPerPack,
          keepBytesPerPack: this.policy.keepBytesPerPack ?? DEFAULT_KEEP_BYTES_PER_PACK,
          ...olderThan,
        });
        if (deleted > 0) {
          this.log(
            `strata: pruned ${deleted} pack history rows (keeping ${this.policy.keepPerPack} per pack` +
              (this.policy.keepDays > 0 ? `, ${this.policy.keepDays} days)` : ')'),
          );
        }
        return deleted;
      } catch (error) {
        this.log(
          `strata: pruning the pack history failed: ${error instanceof Error ? error.message : String(error)}`,
        );
        return 0;
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
