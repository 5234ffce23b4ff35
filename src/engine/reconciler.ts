// The runner's reconcile: after the I/O of a turn, what the packs do next (which starts, which waits and for
// what, which is blocked, which is removed) is decided by the schedule (schedule.ts: only for what changed)
// and the scheduler's removal order (scheduler.ts), and carried out here.
import { PackPhase, type PackStage } from '../status/index.js';
import { assertNever } from '../shared/assert-never.js';
import type { Installs } from './installs.js';
import type { PackRun, RunnerCore } from './pack-run.js';
import type { PackSet } from './pack-set.js';
import type { Removals } from './removals.js';
import { Schedule } from './schedule.js';
import { removalSteps, type PackSnapshot, type Step } from './scheduler.js';
import { waitingStage } from './waiting-stage.js';

export class Reconciler {
  /** Each pack's gate, kept up to date (schedule.ts). */
  private readonly waves: Schedule;
  /** Packs whose phase, start or task changed since the last reconcile: the schedule looks at them (and on). */
  private changed = new Set<string>();
  /** The packs or their definitions changed: the next reconcile builds the schedule anew. */
  private rebuild = true;
  /** Waiting stages built in the current reconcile, one per list of packs waited for. */
  private waitingStages = new Map<readonly string[], PackStage>();
  private queued = false;

  constructor(
    private readonly core: RunnerCore,
    private readonly options: {
      readonly packs: PackSet;
      readonly installs: Installs;
      readonly removals: Removals;
    },
  ) {
    this.waves = new Schedule({
      state: (name) => {
        const run = core.runs.get(name);
        return run
          ? { phase: run.status.phase, started: run.startedFor === run.desired, busy: run.task !== undefined }
          : { phase: PackPhase.Onboarding, started: true, busy: false };
      },
      waitingStage: (packs) => this.waitingStage(packs),
    });
  }

  /** A reconcile after this turn's I/O: for `run`'s change only, or (without one) over every pack. */
  schedule(run?: PackRun): void {
    if (run === undefined) this.rebuild = true;
    else this.changed.add(run.desired.pack.name);
    if (this.queued || this.core.stopped()) return;
    this.queued = true;
    // After the I/O callbacks of this turn: the phase changes of many watch events are decided in one pass.
    setImmediate(() => {
      this.queued = false;
      if (!this.core.stopped()) this.reconcile();
    });
  }

  private reconcile(): void {
    const steps = this.nextSteps();
    if (steps.length === 0) return;
    // One timestamp per reconcile: formatting one per gray pack on each phase change was its largest cost.
    const time = this.core.iso();
    for (const step of steps) {
      const run = this.core.runs.get(step.pack);
      if (!run) continue;
      switch (step.type) {
        case 'start':
          this.options.installs.start(run);
          break;
        case 'wait': {
          const stage = this.waitingStage(step.for);
          this.waves.shown(step, stage);
          this.setStage(run, stage, time);
          break;
        }
        case 'block':
          this.setStage(run, { type: 'Blocked', blockedBy: this.packLabel(step.by) }, time);
          break;
        case 'uninstall':
          this.options.removals.start(run);
          break;
        default:
          assertNever(step);
      }
    }
  }

  /**
   * The steps to take now: the install steps of the packs the changes since the last reconcile reach
   * (schedule.ts), all of them when the packs changed; then the removals, from the packs being removed only.
   */
  private nextSteps(): Step[] {
    const { packs } = this.options;
    const predecessors = packs.predecessors();
    const changed = this.changed;
    this.changed = new Set();
    let steps: Step[];
    if (this.rebuild || !this.waves.builtFrom(predecessors)) {
      this.rebuild = false;
      steps = this.waves.rebuild(packs.active(), predecessors);
    } else steps = this.waves.update(changed);
    const starts = steps.filter((step) => step.type === 'start').map((step) => step.pack);
    if (starts.length > 0) steps = this.withWaitingOn(starts, steps);
    // Stages are built as the steps are carried out: a start among them may change a waited pack's phase.
    this.waitingStages = new Map();
    const removing = packs.removing();
    if (removing.length > 0) steps.push(...removalSteps(removing.map((run) => this.snapshot(run))));
    return steps;
  }

  /**
   * `steps` with the wait steps of the packs that wait for one of `starts`, in install order: they come after
   * the starts, so their stage names the phases the starts gave.
   */
  private withWaitingOn(starts: readonly string[], steps: readonly Step[]): Step[] {
    const byPack = new Map(steps.map((step) => [step.pack, step]));
    for (const step of this.waves.waitingOn(starts)) if (!byPack.has(step.pack)) byPack.set(step.pack, step);
    // Each step's order looked up once, not twice per comparison: a wave's start sorts the wave's starts and
    // the next wave's wait steps (2 × 200 at 1,000 packs in 5 waves).
    const ordered = [...byPack.values()].map((step) => ({
      step,
      order: this.core.runs.get(step.pack)?.desired.order ?? 0,
    }));
    return ordered.sort((a, b) => a.order - b.order).map(({ step }) => step);
  }

  private snapshot(run: PackRun): PackSnapshot {
    const { pack, profile, wave, order } = run.desired;
    return {
      name: pack.name,
      layer: pack.layer,
      profile: profile.name,
      wave,
      dependsOn: pack.dependsOn,
      order,
      phase: run.status.phase,
      removing: run.removing,
      started: run.startedFor === run.desired,
      busy: run.task !== undefined,
      uninstalling: this.options.removals.uninstalling(run),
    };
  }

  /**
   * The stage of packs waiting for `packs` (waiting-stage.ts). Packs waiting for the same packs share the list,
   * and so the stage: built once per reconcile for each list.
   */
  private waitingStage(packs: readonly string[]): PackStage {
    let stage = this.waitingStages.get(packs);
    if (stage === undefined) {
      stage = waitingStage(packs, (name) => {
        const run = this.core.runs.get(name);
        return run && { label: this.packLabel(name), phase: run.status.phase, wave: run.desired.wave };
      });
      this.waitingStages.set(packs, stage);
    }
    return stage;
  }

  private setStage(run: PackRun, stage: PackStage, time: string): void {
    this.core.dispatch(run, { type: 'StageChanged', time, stage });
  }

  /** `monitoring/metrics-store`: a gray pack names the profile and pack it waits on or is blocked by. */
  private packLabel(name: string): string {
    const run = this.core.runs.get(name);
    return run ? `${run.desired.profile.name}/${name}` : name;
  }
}
