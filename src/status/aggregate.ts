import { assertNever } from '../shared/assert-never.js';
import { cutText } from '../shared/kept-text.js';
import { formatRef, type ObjectRef } from '../shared/refs.js';
import { PackConditionType, PackPhase, conditionPhase } from './pack-phase.js';
import { ResourceState, resourceStateSeverity, type ResourceEvaluation } from './resource-state.js';

/** What the engine is doing to the pack; decides the Palette condition while resources converge. */
export const PackOperation = {
  Install: 'install',
  Upgrade: 'upgrade',
  Uninstall: 'uninstall',
} as const;
export type PackOperation = (typeof PackOperation)[keyof typeof PackOperation];

/** Another pack this one waits for (`profile/pack`), with its phase: "waiting for: monitoring/metrics-store (processing)". */
export interface PackDependency {
  readonly pack: string;
  readonly phase: PackPhase;
}

/**
 * More packs waited for than a message can name usefully (WAITING_LIST_LIMIT): the wave they belong to and
 * the phases among them. Named one by one, every phase change of each of them would change the message of every
 * pack waiting behind them (issue 15: a store write and a stream event each, the square of a wave's size).
 */
export interface WaitingWave {
  readonly wave: number;
  /** The distinct phases of the packs still waited for, in PackPhase order. */
  readonly phases: readonly PackPhase[];
}

/** Up to this many packs waited for are named each with its phase; more are summed up as their wave. */
export const WAITING_LIST_LIMIT = 3;

/**
 * Where the engine is with the pack. The engine owns these facts; everything else about the colour comes
 * from the resources.
 */
export type PackStage =
  /** Earlier layers, lower install priorities or `dependsOn` packs are not green yet. */
  | {
      readonly type: 'Waiting';
      readonly waitingFor: readonly PackDependency[];
      /** Set instead of waitingFor when more than WAITING_LIST_LIMIT packs are waited for. */
      readonly wave?: WaitingWave;
    }
  /** An earlier pack is red; this one will not start until it recovers. */
  | { readonly type: 'Blocked'; readonly blockedBy: string }
  /** Nothing to wait for; the engine will start it next. */
  | { readonly type: 'Queued' }
  | { readonly type: 'Rendering' }
  | { readonly type: 'Applying' }
  /** A transient error (5xx, 429, network, conflict) is being retried with backoff. */
  | { readonly type: 'Retrying'; readonly attempt: number; readonly cause: string }
  | { readonly type: 'RenderFailed'; readonly error: string }
  | { readonly type: 'ApplyFailed'; readonly error: string }
  /** Everything is applied; the resources decide. */
  | { readonly type: 'Applied' }
  /**
   * `kept`: owned objects left in the cluster as Helm would leave them (resource-policy keep, crds/ CRDs).
   * `hooksSkipped`: the pack's rendering is gone (removed after a hub restart), so its delete hooks cannot run.
   * `deletingCrds`: CRDs of a chart's crds/ folder deleted because the pack opted in (`deleteCrds`), each with
   * how many custom resources of it existed, which go with it.
   */
  | {
      readonly type: 'Uninstalling';
      readonly kept?: readonly ObjectRef[];
      readonly hooksSkipped?: boolean;
      readonly deletingCrds?: readonly CrdDeletion[];
      /** Deleted objects that came back (an aggregated ClusterRole re-created by its controller), deleted again. */
      readonly deletedAgain?: readonly ObjectRef[];
    };

export interface CrdDeletion {
  readonly ref: ObjectRef;
  readonly customResources: number;
}
export type PackStageType = PackStage['type'];

/** One object the pack owns, in install order, with its latest evaluation. */
export interface PackResource {
  readonly ref: ObjectRef;
  readonly evaluation: ResourceEvaluation;
  /** A Helm hook: it runs at its events (and may be deleted after them) rather than staying. */
  readonly hook?: true;
}

/** Set by the engine when the pack's deadline passed while it was still processing. */
export interface PackTimeout {
  /** ISO-8601 time the pack had to be green by. */
  readonly deadline: string;
  /** The configured timeout as the user wrote it, e.g. `10m`, for the message. */
  readonly after?: string;
}

export interface PackAggregationInput {
  readonly operation: PackOperation;
  readonly stage: PackStage;
  /** The pack's expected objects in install order. */
  readonly resources: readonly PackResource[];
  readonly timedOut?: PackTimeout;
}

export interface PackProgress {
  readonly ready: number;
  readonly total: number;
}

export interface PackSummary {
  readonly phase: PackPhase;
  readonly condition: PackConditionType;
  readonly reason: string;
  readonly message: string;
  readonly progress: PackProgress;
  readonly resources: readonly PackResource[];
}

/** How many not-ready resources a timeout message lists before "and N more". */
const TIMEOUT_LIST_LIMIT = 5;

/**
 * The resource a pack message names: the most severe state (Failed > Missing > Terminating > Progressing),
 * then the earliest in install order, since a later resource often waits on an earlier one.
 */
export function worstResource(resources: readonly PackResource[]): PackResource | undefined {
  let worst: PackResource | undefined;
  for (const r of resources) {
    if (r.evaluation.state === ResourceState.Ready) continue;
    if (
      worst === undefined ||
      resourceStateSeverity[r.evaluation.state] > resourceStateSeverity[worst.evaluation.state]
    ) {
      worst = r;
    }
  }
  return worst;
}

export function packProgress(resources: readonly PackResource[]): PackProgress {
  let ready = 0;
  for (const r of resources) if (r.evaluation.state === ResourceState.Ready) ready++;
  return { ready, total: resources.length };
}

function summary(
  condition: PackConditionType,
  reason: string,
  message: string,
  input: PackAggregationInput,
  progress: PackProgress,
): PackSummary {
  return {
    phase: conditionPhase[condition],
    condition,
    reason,
    // Each resource's message is kept at most KEPT_TEXT_MAX long (reducePackStatus), and so is the pack's that
    // lists several (a timeout's).
    message: cutText(message),
    progress,
    resources: input.resources,
  };
}

function timedOutMessage(timeout: PackTimeout, waitingFor: readonly string[]): string {
  const after = timeout.after ? ` after ${timeout.after}` : '';
  const shown = waitingFor.slice(0, TIMEOUT_LIST_LIMIT);
  const more = waitingFor.length > shown.length ? `; and ${waitingFor.length - shown.length} more` : '';
  const what = shown.length > 0 ? `; still waiting for: ${shown.join('; ')}${more}` : '';
  return `timed out${after} (deadline ${timeout.deadline})${what}`;
}

function notReadyMessages(resources: readonly PackResource[]): string[] {
  return resources.filter((r) => r.evaluation.state !== ResourceState.Ready).map((r) => r.evaluation.message);
}

/**
 * Resource-driven summary for a pack whose objects have been (`applied`) or are being applied. While the
 * apply is still in flight the inventory may be partial, so all-ready is not green yet; a failure is red
 * at once either way.
 */
function fromResources(
  input: PackAggregationInput,
  converging: PackConditionType,
  applied: boolean,
  progress: PackProgress,
): PackSummary {
  const worst = worstResource(input.resources);
  if (worst === undefined && !applied) {
    if (input.timedOut) {
      return summary(
        PackConditionType.Error,
        'TimedOut',
        timedOutMessage(input.timedOut, ['the apply to finish']),
        input,
        progress,
      );
    }
    return summary(
      converging,
      'Applying',
      `applying; ${progress.ready}/${progress.total} resources ready`,
      input,
      progress,
    );
  }
  if (worst === undefined) {
    return summary(
      PackConditionType.Ready,
      'AllResourcesReady',
      `${progress.ready}/${progress.total} resources ready`,
      input,
      progress,
    );
  }
  if (worst.evaluation.state === ResourceState.Failed) {
    return summary(
      PackConditionType.Error,
      worst.evaluation.reason,
      worst.evaluation.message,
      input,
      progress,
    );
  }
  if (input.timedOut) {
    const message = timedOutMessage(input.timedOut, notReadyMessages(input.resources));
    return summary(PackConditionType.Error, 'TimedOut', message, input, progress);
  }
  const message = `${progress.ready}/${progress.total} resources ready; waiting for ${worst.evaluation.message}`;
  return summary(converging, worst.evaluation.reason, message, input, progress);
}

/**
 * A pack's colour, Palette condition, reason and message from the engine's facts and its resources'
 * evaluations (pack-status.md, "Aggregation"):
 * - Waiting/Blocked/Queued → onboarding (gray), naming what it waits for.
 * - Render or apply rejected → failed (red) at once, with Helm's or the API server's message.
 * - Rendering/Retrying → processing (blue); a timeout passing meanwhile → failed.
 * - Applying/Applied: any resource Failed → failed, naming the first failed resource; else (Applied) any not Ready →
 *   processing, "7/12 resources ready; waiting for Deployment monitoring/grafana: 1/3 available", or
 *   failed with everything it still waits for if the timeout passed; else success (green).
 * - Uninstalling → processing until every resource is gone.
 * Red is about now: the same input with recovered resources gives green again.
 */
export function aggregatePack(input: PackAggregationInput): PackSummary {
  const { stage, operation } = input;
  const progress = packProgress(input.resources);
  const working =
    operation === PackOperation.Upgrade ? PackConditionType.Upgrading : PackConditionType.Installing;
  switch (stage.type) {
    case 'Waiting': {
      const what = stage.wave
        ? `more than ${WAITING_LIST_LIMIT} packs of wave ${stage.wave.wave} (${stage.wave.phases.join(', ')})`
        : stage.waitingFor.map((d) => `${d.pack} (${d.phase})`).join(', ');
      const message = what === '' ? 'waiting for earlier packs' : `waiting for: ${what}`;
      return summary(
        PackConditionType.WaitingForOtherLayers,
        'WaitingForDependencies',
        message,
        input,
        progress,
      );
    }
    case 'Blocked':
      return summary(
        PackConditionType.WaitingForOtherLayers,
        'BlockedByFailedPack',
        `blocked by ${stage.blockedBy} (failed)`,
        input,
        progress,
      );
    case 'Queued':
      return summary(
        PackConditionType.ReadyForInstall,
        'ReadyForInstall',
        'ready to install',
        input,
        progress,
      );
    case 'RenderFailed':
      return summary(
        PackConditionType.Error,
        'RenderFailed',
        `render failed: ${stage.error}`,
        input,
        progress,
      );
    case 'ApplyFailed':
      return summary(
        PackConditionType.Error,
        'ApplyFailed',
        `apply rejected: ${stage.error}`,
        input,
        progress,
      );
    case 'Rendering':
    case 'Retrying': {
      const message =
        stage.type === 'Retrying'
          ? `Retrying (attempt ${stage.attempt}): ${stage.cause}`
          : 'rendering manifests';
      if (input.timedOut) {
        return summary(
          PackConditionType.Error,
          'TimedOut',
          timedOutMessage(input.timedOut, [message]),
          input,
          progress,
        );
      }
      return stage.type === 'Retrying'
        ? summary(PackConditionType.Retrying, 'Retrying', message, input, progress)
        : summary(working, 'Rendering', message, input, progress);
    }
    case 'Applying':
      return fromResources(input, working, false, progress);
    case 'Applied':
      return fromResources(
        input,
        operation === PackOperation.Install ? PackConditionType.Installed : working,
        true,
        progress,
      );
    case 'Uninstalling': {
      const remaining = input.resources.filter((r) => r.evaluation.state !== ResourceState.Missing);
      const gone = { ready: input.resources.length - remaining.length, total: input.resources.length };
      const first = remaining[0];
      if (input.timedOut && first !== undefined) {
        const message = timedOutMessage(
          input.timedOut,
          remaining.map((r) => `${formatRef(r.ref)} to be removed`),
        );
        return summary(PackConditionType.Error, 'TimedOut', message, input, gone);
      }
      const kept = stage.kept ?? [];
      const keptNote =
        kept.length === 0
          ? ''
          : `; kept ${kept.length} as Helm would (resource-policy keep or a chart's crds/): ${kept.map(formatRef).join(', ')}`;
      const crds = stage.deletingCrds ?? [];
      const customResources = crds.reduce((sum, c) => sum + c.customResources, 0);
      const crdNote =
        crds.length === 0
          ? ''
          : `; deleteCrds: deleting ${crds.length} CRD${crds.length === 1 ? '' : 's'} of the chart's crds/ and with ${crds.length === 1 ? 'it' : 'them'} ${customResources} custom resource${customResources === 1 ? '' : 's'}: ${crds.map((c) => `${formatRef(c.ref)} (${c.customResources})`).join(', ')}`;
      const again = stage.deletedAgain ?? [];
      const againNote =
        again.length === 0
          ? ''
          : `; deleted again after ${again.length === 1 ? 'it' : 'they'} came back: ${again.map(formatRef).join(', ')}`;
      const hooksNote = stage.hooksSkipped
        ? "; delete hooks not run: the pack's rendering is gone since the hub restarted"
        : '';
      const message =
        (first === undefined
          ? 'all resources removed'
          : `${remaining.length}/${gone.total} resources still to remove; waiting for ${formatRef(first.ref)}`) +
        crdNote +
        againNote +
        keptNote +
        hooksNote;
      return summary(PackConditionType.Uninstalling, 'Uninstalling', message, input, gone);
    }
    default:
      return assertNever(stage, 'pack stage');
  }
}
