// Each install, upgrade, retry and uninstall of a pack is a run with its own clock. A pack's startTime used to be
// the first time it ever left gray, so a two-second-old upgrade showed "Processing 5m 14s" and a retry "took
// 5m17s" (issue 18). The status keeps the current run's times in startTime/endTime and every run in `runs`.
import { PackOperation } from './aggregate.js';
import { PackPhase } from './pack-phase.js';

/** Why a run started: the first install, a new revision, the same revision applied again, or a removal. */
export const RunKind = {
  Install: 'install',
  Upgrade: 'upgrade',
  Retry: 'retry',
  Uninstall: 'uninstall',
} as const;
export type RunKind = (typeof RunKind)[keyof typeof RunKind];

/** One run of a pack: when it started, when it first reached green or red, and which of the two. */
export interface PackRunTimes {
  readonly kind: RunKind;
  /** The revision the run applies ('' until the first render of an install has produced one). */
  readonly revision: string;
  /** ISO-8601. */
  readonly startTime: string;
  /** ISO-8601: the first time this run reached success or failed. */
  readonly endTime?: string;
  readonly outcome?: typeof PackPhase.Success | typeof PackPhase.Failed;
}

/** Older runs beyond this are dropped from the record: the transitions keep the full history. */
export const MAX_RUNS = 20;

/** What the reducer knows when it decides whether an event starts a run. */
export interface RunStep {
  /**
   * The engine began work on the pack: it started rendering, or announced a revision. Resource evaluations never
   * start a run (a pod that crashes and recovers is not a new install).
   */
  readonly engineStart: boolean;
  /** The revision the status is for before and after the event. */
  readonly revisionBefore: string;
  readonly revisionAfter: string;
  readonly operation: PackOperation;
  readonly phase: PackPhase;
  /** The current run's times before the event. */
  readonly startTime: string | undefined;
  readonly endTime: string | undefined;
}

/**
 * Whether the event starts a new run: the first time the pack leaves gray, or the engine starting work after
 * the current run ended (a retry, an upgrade of a settled pack) or on another revision (an upgrade while the
 * previous one is still converging). An install's first render has no revision yet: its RevisionStarted
 * continues the run its render began.
 */
export function startsRun(step: RunStep): RunKind | undefined {
  if (step.phase === PackPhase.Onboarding) return undefined;
  const uninstall = step.operation === PackOperation.Uninstall;
  if (step.startTime === undefined) return uninstall ? RunKind.Uninstall : RunKind.Install;
  if (!step.engineStart) return undefined;
  const revisionChanged = step.revisionBefore !== '' && step.revisionAfter !== step.revisionBefore;
  if (step.endTime === undefined && !revisionChanged) return undefined;
  if (uninstall) return RunKind.Uninstall;
  return revisionChanged ? RunKind.Upgrade : RunKind.Retry;
}

/** The runs after an event: a new one appended, the current one given its revision or its end, or the same list. */
export function nextRuns(
  runs: readonly PackRunTimes[],
  change: {
    readonly started?: RunKind;
    readonly time: string;
    readonly revision: string;
    readonly ended?: typeof PackPhase.Success | typeof PackPhase.Failed;
  },
): readonly PackRunTimes[] {
  if (change.started !== undefined) {
    const run: PackRunTimes = {
      kind: change.started,
      revision: change.revision,
      startTime: change.time,
      ...(change.ended !== undefined ? { endTime: change.time, outcome: change.ended } : {}),
    };
    return [...runs, run].slice(-MAX_RUNS);
  }
  const current = runs.at(-1);
  if (current === undefined) return runs;
  const revision = current.revision === '' ? change.revision : current.revision;
  const ended =
    current.endTime === undefined && change.ended !== undefined
      ? { endTime: change.time, outcome: change.ended }
      : {};
  if (revision === current.revision && !('endTime' in ended)) return runs;
  return runs.with(-1, { ...current, revision, ...ended });
}
