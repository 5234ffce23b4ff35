import {
  aggregatePack,
  PackOperation,
  type PackResource,
  type PackStage,
  type PackSummary,
  type PackTimeout,
} from './aggregate.js';
import { assertNever } from '../shared/assert-never.js';
import { keptDeep } from '../shared/kept-text.js';
import { evaluation } from './evaluation.js';
import { apiGroup, refKey, type ObjectRef } from '../shared/refs.js';
import { PackPhase, type PackConditionType } from './pack-phase.js';
import { ResourceState, sameEvaluation, type ResourceEvaluation } from './resource-state.js';
import { nextRuns, RunKind, startsRun, type PackRunTimes } from './revision-runs.js';

/** One change of colour, as persisted in the pack's history. */
export interface PackTransition {
  /** ISO-8601. */
  readonly time: string;
  readonly from: PackPhase;
  readonly to: PackPhase;
  readonly condition: PackConditionType;
  readonly reason: string;
  readonly message: string;
}

/** A pack's full status record: the engine's facts, the derived summary, times and history. */
export interface PackStatus extends PackSummary {
  /** The pack revision (version / values hash) this status is for; endTime is per revision. */
  readonly revision: string;
  readonly operation: PackOperation;
  readonly stage: PackStage;
  readonly timedOut?: PackTimeout;
  /** Start of the current run (install, upgrade, retry, uninstall: see revision-runs.ts). ISO-8601. */
  readonly startTime?: string;
  /** First time the current run reached success or failed. ISO-8601. */
  readonly endTime?: string;
  /** Every run's times, oldest first (at most MAX_RUNS); the last one is the current run. */
  readonly runs?: readonly PackRunTimes[];
  readonly transitions: readonly PackTransition[];
}

/** Everything that changes a pack's status. Times come in as ISO-8601 strings; nothing here reads a clock. */
export type PackEvent =
  /** A new desired revision (install, upgrade, uninstall): endTime and any timeout are cleared. */
  | {
      readonly type: 'RevisionStarted';
      readonly time: string;
      readonly revision: string;
      readonly operation: PackOperation;
      readonly stage: PackStage;
    }
  | { readonly type: 'StageChanged'; readonly time: string; readonly stage: PackStage }
  /** The objects the pack owns, in install order; kept evaluations survive, new objects start Missing. */
  | { readonly type: 'InventoryChanged'; readonly time: string; readonly resources: readonly ObjectRef[] }
  /** Which of the pack's resources are Helm hooks (the others are not); kept across inventory changes. */
  | { readonly type: 'HooksMarked'; readonly time: string; readonly hooks: readonly ObjectRef[] }
  | {
      readonly type: 'ResourceEvaluated';
      readonly time: string;
      readonly ref: ObjectRef;
      readonly evaluation: ResourceEvaluation;
    }
  /** The pack's deadline passed. Ignored unless the pack is processing. */
  | { readonly type: 'TimedOut'; readonly time: string; readonly timeout: PackTimeout };

export interface InitialPackStatusOptions {
  readonly revision: string;
  readonly operation?: PackOperation;
  readonly stage?: PackStage;
  readonly resources?: readonly PackResource[];
  /** When the record is created; sets startTime/endTime if the initial phase already implies them. */
  readonly time?: string;
}

export function initialPackStatus(options: InitialPackStatusOptions): PackStatus {
  const operation = options.operation ?? PackOperation.Install;
  const stage = options.stage ?? { type: 'Queued' };
  const resources = options.resources ?? [];
  const s = aggregatePack({ operation, stage, resources });
  const started = s.phase !== PackPhase.Onboarding && options.time !== undefined;
  const ended = (s.phase === PackPhase.Success || s.phase === PackPhase.Failed) && options.time !== undefined;
  const runs = started
    ? nextRuns([], {
        started: operation === PackOperation.Uninstall ? RunKind.Uninstall : RunKind.Install,
        time: options.time,
        revision: options.revision,
        ...(ended ? { ended: s.phase } : {}),
      })
    : [];
  return {
    ...s,
    revision: options.revision,
    operation,
    stage,
    ...(started ? { startTime: options.time } : {}),
    ...(ended ? { endTime: options.time } : {}),
    ...(runs.length > 0 ? { runs } : {}),
    transitions: [],
  };
}

/** Structural equality for the plain data of a stage. */
export function sameStage(a: PackStage, b: PackStage): boolean {
  if (a === b) return true;
  switch (a.type) {
    case 'Waiting':
      return (
        b.type === 'Waiting' &&
        a.wave?.wave === b.wave?.wave &&
        (a.wave?.phases ?? []).join() === (b.wave?.phases ?? []).join() &&
        a.waitingFor.length === b.waitingFor.length &&
        a.waitingFor.every((d, i) => d.pack === b.waitingFor[i]?.pack && d.phase === b.waitingFor[i].phase)
      );
    case 'Blocked':
      return b.type === 'Blocked' && a.blockedBy === b.blockedBy;
    case 'Retrying':
      return b.type === 'Retrying' && a.attempt === b.attempt && a.cause === b.cause;
    case 'RenderFailed':
      return b.type === 'RenderFailed' && a.error === b.error;
    case 'ApplyFailed':
      return b.type === 'ApplyFailed' && a.error === b.error;
    case 'Queued':
    case 'Rendering':
    case 'Applying':
    case 'Applied':
      return a.type === b.type;
    case 'Uninstalling':
      return (
        b.type === 'Uninstalling' &&
        a.hooksSkipped === b.hooksSkipped &&
        (a.kept ?? []).map(refKey).join('\n') === (b.kept ?? []).map(refKey).join('\n') &&
        JSON.stringify(a.deletingCrds ?? []) === JSON.stringify(b.deletingCrds ?? []) &&
        (a.deletedAgain ?? []).map(refKey).join('\n') === (b.deletedAgain ?? []).map(refKey).join('\n')
      );
    default:
      return assertNever(a, 'pack stage');
  }
}

const notYetSeen = (ref: ObjectRef): ResourceEvaluation =>
  evaluation(ResourceState.Missing, ref, 'NotYetObserved', 'not yet observed');

/**
 * A resource evaluated under the previous revision says nothing yet about the new one: until the new revision
 * is applied and the object observed again, it is progressing. Otherwise a fix being rolled out would show red
 * again, and an upgrade of a green pack would show green, for the moment between "start applying" and the
 * first watch event of the new object (ADR 0004, ADR 0006). Objects not observed yet stay Missing.
 */
export const AWAITING_NEW_REVISION = 'AwaitingNewRevision';

function awaitingNewRevision(resource: PackResource): PackResource {
  const { state, message } = resource.evaluation;
  if (state === ResourceState.Missing || resource.evaluation.reason === AWAITING_NEW_REVISION)
    return resource;
  const was = state === ResourceState.Failed ? ` (failed under the previous one: ${message})` : '';
  return {
    ...resource,
    evaluation: evaluation(
      ResourceState.Progressing,
      resource.ref,
      AWAITING_NEW_REVISION,
      `applying the new revision${was}`,
    ),
  };
}

/** The facts a status is recomputed from; `timedOut` and `endTime` undefined when there are none. */
interface Facts {
  readonly revision: string;
  readonly operation: PackOperation;
  readonly stage: PackStage;
  readonly resources: readonly PackResource[];
  readonly timedOut: PackTimeout | undefined;
  readonly endTime: string | undefined;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Recomputes the summary from new facts and records a transition when the phase changed. `engineStart`: the
 * engine began work on the pack (rendering, a new revision), which may start a new run with its own clock.
 */
// Every status event of an install passes here (6 per pack): the new status is built as one object literal,
// without a spread of the facts or an object per optional field (issue 15: allocation per event).
function advance(state: PackStatus, facts: Facts, time: string, engineStart = false): PackStatus {
  const given = facts.timedOut;
  const s = aggregatePack(
    given
      ? { operation: facts.operation, stage: facts.stage, resources: facts.resources, timedOut: given }
      : { operation: facts.operation, stage: facts.stage, resources: facts.resources },
  );
  // Reaching green ends the timeout: a pack that later goes blue again (a node drains, pods move) starts a
  // new wait; it must not turn red at once on the old deadline.
  const timedOut = s.phase === PackPhase.Success ? undefined : given;
  const phaseChanged = s.phase !== state.phase;
  const transitions = phaseChanged
    ? [
        ...state.transitions,
        {
          time,
          from: state.phase,
          to: s.phase,
          condition: s.condition,
          reason: s.reason,
          message: s.message,
        },
      ]
    : state.transitions;
  const isFinal = s.phase === PackPhase.Success || s.phase === PackPhase.Failed;
  const started = startsRun({
    engineStart,
    revisionBefore: state.revision,
    revisionAfter: facts.revision,
    operation: facts.operation,
    phase: s.phase,
    startTime: state.startTime,
    endTime: state.endTime,
  });
  const startTime = started !== undefined ? time : state.startTime;
  const end = (started !== undefined ? undefined : facts.endTime) ?? (isFinal ? time : undefined);
  const ended = isFinal ? s.phase : undefined;
  const runs = nextRuns(
    state.runs ?? NO_RUNS,
    started !== undefined
      ? { started, time, revision: facts.revision, ended }
      : { time, revision: facts.revision, ended },
  );
  const next: Writable<PackStatus> = {
    revision: facts.revision,
    operation: facts.operation,
    stage: facts.stage,
    resources: s.resources,
    phase: s.phase,
    condition: s.condition,
    reason: s.reason,
    // The previous status's own when equal: the new ones are then garbage at once, not kept as long as the
    // status (a wave's installs hold theirs side by side: issue 15, what an install promotes per pack).
    message: s.message === state.message ? state.message : s.message,
    progress:
      s.progress.ready === state.progress.ready && s.progress.total === state.progress.total
        ? state.progress
        : s.progress,
    transitions,
  };
  if (timedOut) next.timedOut = timedOut;
  if (startTime !== undefined) next.startTime = startTime;
  if (end !== undefined) next.endTime = end;
  if (runs.length > 0) next.runs = runs;
  return next;
}

const NO_RUNS: readonly PackRunTimes[] = [];

/**
 * refKey(a) === refKey(b) without building either key: a pack of n objects judges each of them during an
 * install, and two strings per resource per evaluation were n² garbage per pack (issue 15: peak memory).
 */
function sameObject(a: ObjectRef, b: ObjectRef): boolean {
  return (
    a.name === b.name &&
    a.kind === b.kind &&
    (a.namespace ?? '') === (b.namespace ?? '') &&
    apiGroup(a.apiVersion) === apiGroup(b.apiVersion)
  );
}

function sameRefs(resources: readonly PackResource[], refs: readonly ObjectRef[]): boolean {
  return (
    resources.length === refs.length &&
    resources.every((r, i) => {
      const ref = refs[i];
      return ref !== undefined && refKey(r.ref) === refKey(ref);
    })
  );
}

/**
 * The pack status reducer (style.md rule 5): returns the SAME object when the event changes nothing, so the
 * engine can compare references to decide whether to emit and persist.
 */
export function reducePackStatus(state: PackStatus, raw: PackEvent): PackStatus {
  // Evaluation messages, conditions and helm errors are the cluster's and the chart's words: what the status
  // keeps of them (and the page, the history and the CLI show) holds no terminal control and no text longer
  // than an agent's status may hold (shared/kept-text.ts): a cluster's object is up to 1.5 MiB, a chart's
  // failure output unbounded, and each is stored, streamed to every viewer and kept in the history.
  const event = keptDeep(raw);
  switch (event.type) {
    case 'RevisionStarted': {
      if (
        event.revision === state.revision &&
        event.operation === state.operation &&
        sameStage(event.stage, state.stage)
      ) {
        return state;
      }
      // The facts leave out the timeout and the end: a new revision is neither timed out nor finished.
      return advance(
        state,
        {
          revision: event.revision,
          operation: event.operation,
          stage: event.stage,
          resources:
            event.revision === state.revision ? state.resources : state.resources.map(awaitingNewRevision),
          timedOut: undefined,
          endTime: undefined,
        },
        event.time,
        true,
      );
    }
    case 'StageChanged':
      if (sameStage(event.stage, state.stage)) return state;
      return advance(
        state,
        facts(state, { stage: event.stage }),
        event.time,
        event.stage.type === 'Rendering',
      );
    case 'InventoryChanged': {
      if (sameRefs(state.resources, event.resources)) return state;
      const known = new Map(state.resources.map((r) => [refKey(r.ref), r]));
      const resources = event.resources.map((ref) => {
        const before = known.get(refKey(ref));
        return {
          ref,
          evaluation: before?.evaluation ?? notYetSeen(ref),
          ...(before?.hook ? { hook: true as const } : {}),
        };
      });
      return advance(state, facts(state, { resources }), event.time);
    }
    case 'HooksMarked': {
      const hooks = new Set(event.hooks.map(refKey));
      if (state.resources.every((r) => (r.hook === true) === hooks.has(refKey(r.ref)))) return state;
      const resources = state.resources.map(({ hook: _hook, ...r }) =>
        hooks.has(refKey(r.ref)) ? { ...r, hook: true as const } : r,
      );
      return advance(state, facts(state, { resources }), event.time);
    }
    case 'ResourceEvaluated': {
      const index = state.resources.findIndex((r) => sameObject(r.ref, event.ref));
      const current = state.resources[index];
      if (current === undefined || sameEvaluation(current.evaluation, event.evaluation)) return state;
      const resources = state.resources.with(index, { ...current, evaluation: event.evaluation });
      return advance(state, facts(state, { resources }), event.time);
    }
    case 'TimedOut':
      if (state.phase !== PackPhase.Processing) return state;
      if (
        state.timedOut?.deadline === event.timeout.deadline &&
        state.timedOut.after === event.timeout.after
      ) {
        return state;
      }
      return advance(state, facts(state, { timedOut: event.timeout }), event.time);
    default:
      return assertNever(event, 'pack event');
  }
}

/** The status's facts, with `change` in place of what it names. */
function facts(
  state: PackStatus,
  change: { stage?: PackStage; resources?: readonly PackResource[]; timedOut?: PackTimeout },
): Facts {
  return {
    revision: state.revision,
    operation: state.operation,
    stage: change.stage ?? state.stage,
    resources: change.resources ?? state.resources,
    timedOut: change.timedOut ?? state.timedOut,
    endTime: state.endTime,
  };
}
