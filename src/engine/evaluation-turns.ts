import type { ObjectRef } from '../shared/refs.js';

/**
 * Event-loop time the status evaluations of one turn may take before the rest wait for a later turn.
 * Review 14, finding 3: a pack's health rules run on the hub's event loop for each object a watch event, an
 * inventory change or new cluster rules concern; each evaluation is bounded (src/health-rules/cel.ts: about
 * 10 ms), but a pack of N objects judged in one go held the loop N times that.
 */
export const TURN_BUDGET_MS = 20;

/**
 * Runs evaluations at once while this turn's budget lasts, and queues the rest for later turns
 * (`setImmediate`, so I/O callbacks and other requests run in between), taking one object of each waiting pack
 * in turn so one pack's many objects do not hold back another's. An object queued twice is judged once: the
 * evaluation reads the object as the watches have it then.
 */
export class EvaluationTurns<P> {
  private spent = 0;
  private turnOpen = false;
  /** Pack → object key → ref, in the order they were queued. */
  private readonly waiting = new Map<P, Map<string, ObjectRef>>();
  private stopped = false;

  constructor(
    private readonly options: {
      /** Judges one object; `later` when it was queued (the pack may have changed or gone since). */
      readonly evaluate: (pack: P, ref: ObjectRef, later: boolean) => void;
      /** Called after a later turn judged what was queued (the runner then wakes what waits on statuses). */
      readonly judgedLater: () => void;
      readonly budgetMs?: number;
      readonly clock?: () => number;
      readonly nextTurn?: (run: () => void) => void;
    },
  ) {}

  /** Judges the object now, or on a later turn if this turn's budget is spent. */
  submit(pack: P, key: string, ref: ObjectRef): void {
    if (this.stopped) return;
    if (this.spent >= this.budget) {
      let refs = this.waiting.get(pack);
      if (refs === undefined) this.waiting.set(pack, (refs = new Map<string, ObjectRef>()));
      refs.set(key, ref);
      return;
    }
    // Judged now: a queued evaluation of it would only repeat this one.
    const refs = this.waiting.get(pack);
    if (refs?.delete(key) && refs.size === 0) this.waiting.delete(pack);
    this.timed(pack, ref, false);
  }

  /** Objects queued for the pack, not yet judged. */
  queued(pack: P): number {
    return this.waiting.get(pack)?.size ?? 0;
  }

  /** The pack is gone: its queued objects are dropped. */
  forget(pack: P): void {
    this.waiting.delete(pack);
  }

  stop(): void {
    this.stopped = true;
    this.waiting.clear();
  }

  private get budget(): number {
    return this.options.budgetMs ?? TURN_BUDGET_MS;
  }

  private timed(pack: P, ref: ObjectRef, later: boolean): void {
    const clock = this.options.clock ?? performance.now.bind(performance);
    const started = clock();
    try {
      this.options.evaluate(pack, ref, later);
    } finally {
      this.spent += clock() - started;
      this.openTurn();
    }
  }

  /** The first evaluation of a turn: the budget is renewed, and what waits is judged, on the next turn. */
  private openTurn(): void {
    if (this.turnOpen) return;
    this.turnOpen = true;
    (this.options.nextTurn ?? setImmediate)(() => {
      this.turnOpen = false;
      this.spent = 0;
      this.drain();
    });
  }

  private drain(): void {
    if (this.stopped || this.waiting.size === 0) return;
    while (this.spent < this.budget && this.waiting.size > 0) {
      for (const [pack, refs] of this.waiting) {
        const [entry] = refs;
        if (entry === undefined) {
          this.waiting.delete(pack);
          continue;
        }
        refs.delete(entry[0]);
        if (refs.size === 0) this.waiting.delete(pack);
        this.timed(pack, entry[1], true);
        if (this.spent >= this.budget) break;
      }
    }
    this.options.judgedLater();
  }
}
