// The removal path of the runner: a pack no longer attached is uninstalled (PackOperations.uninstall) once the
// scheduler says so, and a failed uninstall is tried again on a backoff clock until the pack is gone.
import { backoffDelay, type Backoff } from '../kube/index.js';
import { formatDuration } from '../profile/index.js';
import type { PackEvent } from '../status/index.js';
import type { PackOperations } from './pack-operations.js';
import type { PackRun, RunnerCore } from './pack-run.js';
import type { Deadlines } from './deadlines.js';

interface UninstallRetry {
  readonly attempt: number;
  timer?: NodeJS.Timeout;
}

export class Removals {
  /** Tasks that are uninstalls, so reconcile does not restart one that is under way. */
  private readonly tasks = new WeakSet<AbortController>();
  /** Packs whose uninstall failed: the attempts so far and the timer of the next one. */
  private readonly retries = new Map<PackRun, UninstallRetry>();

  constructor(
    private readonly core: RunnerCore,
    private readonly options: {
      readonly ops: PackOperations;
      /** The installs' revision deadlines: a pack being removed has none. */
      readonly deadlines: Deadlines<PackRun>;
      readonly retry: Backoff;
      readonly random: () => number;
      /** The pack is uninstalled: the runner forgets it (PackRemoved is emitted here). */
      readonly removed: (run: PackRun) => void;
    },
  ) {}

  start(run: PackRun): void {
    run.task?.abort(new Error('pack removed'));
    this.options.deadlines.clear(run);
    const task = new AbortController();
    run.task = task;
    this.tasks.add(task);
    // Attached again while (or after) being removed: its objects may be gone, so it installs anew.
    run.startedFor = undefined;
    this.options.ops
      .uninstall(run, this.core.sink(run), task.signal)
      .then(() => {
        // Attached again as it finished (an install took over, or is about to): the pack stays and installs anew.
        if (task.signal.aborted || !run.removing) return;
        this.forget(run);
        this.options.removed(run);
        this.core.emit({
          type: 'PackRemoved',
          cluster: this.core.cluster,
          pack: run.desired.pack.name,
          time: this.core.iso(),
        });
      })
      .catch((error: unknown) => {
        if (task.signal.aborted || this.core.stopped()) return;
        this.scheduleRetry(run, error);
      })
      .finally(() => {
        if (run.task === task) run.task = undefined;
        this.core.scheduleReconcile(run);
      });
  }

  /** Its uninstall runs, or waits for its next attempt: the scheduler does not start it again. */
  uninstalling(run: PackRun): boolean {
    return (run.task !== undefined && this.tasks.has(run.task)) || this.retries.get(run)?.timer !== undefined;
  }

  /**
   * After an uninstall failed, the next attempts do not announce themselves (Uninstalling, Retrying): the
   * pack would flip red → blue → red on every attempt. Their outcome still shows: gone, or red with the
   * (possibly new) cause.
   */
  quiet(run: PackRun, event: PackEvent): boolean {
    if (!run.removing || !this.retries.has(run)) return false;
    return event.type === 'RevisionStarted' || event.type === 'StageChanged';
  }

  /** No more attempts (the pack is gone, attached again, or the runner stops). */
  forget(run: PackRun): void {
    clearTimeout(this.retries.get(run)?.timer);
    this.retries.delete(run);
  }

  /**
   * A failed uninstall is tried again after a capped, jittered backoff (never at once: an object that cannot
   * be deleted once will not be deleted a millisecond later either). The pack stays red with the cause; while
   * it retries, its attempts are quiet (see quiet), so an unchanged failure adds no transition.
   */
  private scheduleRetry(run: PackRun, error: unknown): void {
    const { retry, random } = this.options;
    const attempt = (this.retries.get(run)?.attempt ?? 0) + 1;
    const cause = error instanceof Error ? error.message : String(error);
    this.core.dispatch(run, {
      type: 'StageChanged',
      time: this.core.iso(),
      stage: {
        type: 'ApplyFailed',
        error: `uninstall: ${cause} (retrying, at most every ${formatDuration(retry.maxMs)})`,
      },
    });
    // Full jitter can draw 0: keep at least the initial delay so a failing uninstall never spins.
    const delay = Math.max(retry.initialMs, backoffDelay(attempt, retry, random));
    const next: UninstallRetry = { attempt };
    next.timer = setTimeout(() => {
      next.timer = undefined;
      this.core.scheduleReconcile(run);
    }, delay);
    next.timer.unref();
    this.retries.set(run, next);
  }
}
