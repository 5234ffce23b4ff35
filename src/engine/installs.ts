// The install path of the runner: a pack the scheduler starts is installed or upgraded (PackOperations.install)
// as one task, and each new revision runs against the pack's timeout clock.
import { formatDuration } from '../profile/index.js';
import type { PackStage } from '../status/index.js';
import { EngineError, EngineErrorCode } from './errors.js';
import type { PackOperations } from './pack-operations.js';
import type { PackRun, RunnerCore } from './pack-run.js';
import { Deadlines } from './deadlines.js';

export class Installs {
  /** Each installing pack's revision deadline (the runner clears it when the pack turns green). */
  readonly deadlines: Deadlines<PackRun>;

  constructor(
    private readonly core: RunnerCore,
    private readonly options: { readonly ops: PackOperations; readonly now: () => number },
  ) {
    // Written out when it passes: nearly every pack turns green first.
    this.deadlines = new Deadlines((run, { deadline, ms }) => {
      this.core.dispatch(run, {
        type: 'TimedOut',
        time: this.core.iso(),
        timeout: { deadline: new Date(deadline).toISOString(), after: formatDuration(ms) },
      });
      this.core.wake();
    });
  }

  /** Installs the pack's current definition, superseding a task for an older one; a failure turns it red. */
  start(run: PackRun): void {
    run.task?.abort(new Error('superseded by a newer definition'));
    const task = new AbortController();
    run.task = task;
    run.startedFor = run.desired;
    // One reaction for either outcome, not .catch().finally(): a wave's installs run side by side, and each
    // held two more promises and three more closures for its whole install (issue 15: promoted per pack).
    this.options.ops.install(run, this.core.sink(run), task.signal).then(
      () => {
        this.finished(run, task);
      },
      (error: unknown) => {
        try {
          this.failed(run, task, error);
        } finally {
          this.finished(run, task);
        }
      },
    );
  }

  /** The install failed: the pack turns red with the cause, unless it was superseded or the runner stopped. */
  private failed(run: PackRun, task: AbortController, error: unknown): void {
    if (task.signal.aborted || this.core.stopped()) return;
    const message = error instanceof Error ? error.message : String(error);
    const stage: PackStage =
      error instanceof EngineError && error.code === EngineErrorCode.RenderFailed
        ? { type: 'RenderFailed', error: message }
        : { type: 'ApplyFailed', error: message };
    this.core.dispatch(run, { type: 'StageChanged', time: this.core.iso(), stage });
  }

  private finished(run: PackRun, task: AbortController): void {
    if (run.task === task) run.task = undefined;
    this.core.scheduleReconcile(run);
  }

  /**
   * A new revision is being applied: it has the pack's timeout from now to turn green (the runner clears the
   * clock when it does), else the pack turns red naming the deadline.
   */
  armTimeout(run: PackRun): void {
    this.deadlines.set(run, run.desired.pack.timeoutMs, this.options.now());
  }
}
