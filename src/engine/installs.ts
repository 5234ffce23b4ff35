// The install path of the runner: a pack the scheduler starts is installed or upgraded (PackOperations.install)
// as one task, and each new revision runs against the pack's timeout clock.
import { formatDuration } from '../profile/index.js';
import type { PackStage } from '../status/index.js';
import { EngineError, EngineErrorCode } from './errors.js';
import type { PackOperations } from './pack-operations.js';
import type { PackRun, RunnerCore } from './pack-run.js';

export class Installs {
  constructor(
    private readonly core: RunnerCore,
    private readonly options: { readonly ops: PackOperations; readonly now: () => number },
  ) {}

  /** Installs the pack's current definition, superseding a task for an older one; a failure turns it red. */
  start(run: PackRun): void {
    run.task?.abort(new Error('superseded by a newer definition'));
    const task = new AbortController();
    run.task = task;
    run.startedFor = run.desired;
    this.options.ops
      .install(run, this.core.sink(run), task.signal)
      .catch((error: unknown) => {
        if (task.signal.aborted || this.core.stopped()) return;
        const message = error instanceof Error ? error.message : String(error);
        const stage: PackStage =
          error instanceof EngineError && error.code === EngineErrorCode.RenderFailed
            ? { type: 'RenderFailed', error: message }
            : { type: 'ApplyFailed', error: message };
        this.core.dispatch(run, { type: 'StageChanged', time: this.core.iso(), stage });
      })
      .finally(() => {
        if (run.task === task) run.task = undefined;
        this.core.scheduleReconcile(run);
      });
  }

  /**
   * A new revision is being applied: it has the pack's timeout from now to turn green (the runner clears the
   * clock when it does), else the pack turns red naming the deadline.
   */
  armTimeout(run: PackRun): void {
    clearTimeout(run.timer);
    const ms = run.desired.pack.timeoutMs;
    // Written out when it passes: nearly every pack turns green first, and a Date and a string per revision
    // were kept alive by the timer for nothing.
    const deadline = this.options.now() + ms;
    run.timer = setTimeout(() => {
      this.core.dispatch(run, {
        type: 'TimedOut',
        time: this.core.iso(),
        timeout: { deadline: new Date(deadline).toISOString(), after: formatDuration(ms) },
      });
      this.core.wake();
    }, ms);
    run.timer.unref();
  }
}
