import type { ObjectRef } from '../shared/refs.js';

/**
 * Event-loop time the status evaluations of one turn may take before the rest wait for a later turn.
 * Review 14, finding 3: a pack's health rules run on the hub's event loop for each object a watch event, an
 * inventory change or new cluster rules concern; each evaluation is bounded (src/health-rules/cel.ts: about
 * 10 ms), but a pack of N objects judged in one go held the loop N times that.
 */
export const TURN_BUDGET_MS = 20;

/**
 * The event loop's current turn as every runner's evaluations share it: one budget per turn for the whole
 * process, not per cluster (review 15, item 2: with a budget per runner, 30 clusters held one turn 680 ms).
 * When a turn's budget is spent, each runner's queue waits; on the next turn the budget is renewed and the
 * queues are drained one after another, starting each turn with a different one.
 */
export class EvaluationTurn {
  private spent = 0;
  private open = false;
  /** Queues with objects waiting, drained in this order (rotated each turn). */
  private readonly waiting = new Set<() => void>();

  constructor(
    private readonly options: {
      readonly budgetMs?: number;
      readonly clock?: () => number;
      readonly nextTurn?: (run: () => void) => void;
    } = {},
  ) {}

  get budget(): number {
    return this.options.budgetMs ?? TURN_BUDGET_MS;
  }

  /** Whether this turn's budget is spent. */
  exhausted(): boolean {
    return this.spent >= this.budget;
  }

  /** Runs `evaluate` and charges this turn with the time it took. */
  timed(evaluate: () => void): void {
    const clock = this.options.clock ?? performance.now.bind(performance);
    const started = clock();
    try {
      evaluate();
    } finally {
      this.spent += clock() - started;
      this.renewLater();
    }
  }

  /** `drain` runs on a later turn, when the budget is renewed. */
  wait(drain: () => void): void {
    this.waiting.add(drain);
    this.renewLater();
  }

  private renewLater(): void {
    if (this.open) return;
    this.open = true;
    (this.options.nextTurn ?? setImmediate)(() => {
      this.open = false;
      this.spent = 0;
      const queues = [...this.waiting];
      this.waiting.clear();
      for (const drain of queues) {
        // A queue not reached (or not emptied) this turn asks again with wait(); the others go first next time.
        if (this.exhausted()) this.waiting.add(drain);
        else drain();
      }
    });
  }
}

/** The process's one turn, shared by every cluster's runner. */
export const processTurn = new EvaluationTurn();

/**
 * Runs evaluations at once while this turn's budget lasts, and queues the rest for later turns
 * (`setImmediate`, so I/O callbacks and other requests run in between), taking one object of each waiting pack
 * in turn so one pack's many objects do not hold back another's. An object queued twice is judged once: the
 * evaluation reads the object as the watches have it then. The budget is the process's (EvaluationTurn).
 */
export class EvaluationTurns<P> {
  /** Pack → object key → ref, in the order they were queued. */
  private readonly waiting = new Map<P, Map<string, ObjectRef>>();
  private stopped = false;
  private readonly turn: EvaluationTurn;
  private readonly drainLater = () => {
    this.drain();
  };

  constructor(
    private readonly options: {
      /** Judges one object; `later` when it was queued (the pack may have changed or gone since). */
      readonly evaluate: (pack: P, ref: ObjectRef, later: boolean) => void;
      /** Called after a later turn judged what was queued (the runner then wakes what waits on statuses). */
      readonly judgedLater: () => void;
      /** Default the process's (processTurn). */
      readonly turn?: EvaluationTurn;
    },
  ) {
    this.turn = options.turn ?? processTurn;
  }

  /** Judges the object now, or on a later turn if this turn's budget is spent. */
  submit(pack: P, key: string, ref: ObjectRef): void {
    if (this.stopped) return;
    if (this.turn.exhausted()) {
      let refs = this.waiting.get(pack);
      if (refs === undefined) this.waiting.set(pack, (refs = new Map<string, ObjectRef>()));
      refs.set(key, ref);
      this.turn.wait(this.drainLater);
      return;
    }
    // Judged now: a queued evaluation of it would only repeat this one.
    const refs = this.waiting.get(pack);
    if (refs?.delete(key) && refs.size === 0) this.waiting.delete(pack);
    this.turn.timed(() => {
      this.options.evaluate(pack, ref, false);
    });
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

  private drain(): void {
    if (this.stopped || this.waiting.size === 0) return;
    while (!this.turn.exhausted() && this.waiting.size > 0) {
      for (const [pack, refs] of this.waiting) {
        const [entry] = refs;
        if (entry === undefined) {
          this.waiting.delete(pack);
          continue;
        }
        refs.delete(entry[0]);
        if (refs.size === 0) this.waiting.delete(pack);
        this.turn.timed(() => {
          this.options.evaluate(pack, entry[1], true);
        });
        if (this.turn.exhausted()) break;
      }
    }
    if (this.waiting.size > 0) this.turn.wait(this.drainLater);
    this.options.judgedLater();
  }
}
