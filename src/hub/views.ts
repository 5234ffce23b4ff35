import type {
  ObjectRef,
  PackConditionType,
  PackPhase,
  PackProgress,
  PackStatus,
  PackRunTimes,
  PhaseColor,
  ResourceState,
} from '../status/index.js';
import { packPhaseDisplay, worstPhase } from '../status/index.js';
import { stringify } from 'yaml';
import type { DesiredPack } from '../engine/index.js';
import { posix } from 'node:path';
import type { ChartSource, Pack } from '../profile/index.js';

export type PhaseCounts = Record<PackPhase, number>;

export interface ClusterView {
  readonly name: string;
  readonly server: string;
  readonly context: string;
  readonly driftPolicy: 'correct' | 'report';
  readonly createdAt: string;
  readonly reachable: boolean;
  readonly error?: string;
  /** The worst pack phase (failed > processing > onboarding > success); success when there are no packs. */
  readonly phase: PackPhase;
  readonly counts: PhaseCounts;
  readonly packs: number;
  /** Its red packs, then its blue ones, in that order and at most ATTENTION_LIMIT: what the overview names. */
  readonly attention: AttentionView[];
}

/** A pack the overview names: failed or processing, with its short reason (a code, never a message). */
export interface AttentionView {
  readonly pack: string;
  readonly phase: PackPhase;
  readonly reason: string;
}

export const ATTENTION_LIMIT = 5;

/** Red packs first, then blue, each group in the order given (install order). */
export function needingAttention(
  packs: readonly { readonly pack: string; readonly phase: PackPhase; readonly reason: string }[],
): AttentionView[] {
  const of = (phase: PackPhase) =>
    packs.filter((p) => p.phase === phase).map((p) => ({ pack: p.pack, phase: p.phase, reason: p.reason }));
  return [...of('failed'), ...of('processing')].slice(0, ATTENTION_LIMIT);
}

export interface ResourceView {
  readonly ref: ObjectRef;
  readonly state: ResourceState;
  readonly reason: string;
  readonly message: string;
  /** A Helm hook of the pack's chart (run around install, upgrade or removal), not one of its objects. */
  readonly hook?: true;
}

/** One pack on the Cluster Profile page: where it sits, its colour and why. */
export interface PackView {
  readonly name: string;
  readonly profile: string;
  readonly layer: string;
  readonly version: string;
  readonly type: string;
  readonly wave: number;
  readonly order: number;
  readonly explanation: string;
  readonly phase: PackPhase;
  readonly color: PhaseColor;
  readonly icon: string;
  readonly label: string;
  readonly condition: PackConditionType;
  readonly reason: string;
  readonly message: string;
  readonly progress: PackProgress;
  readonly startTime?: string;
  readonly endTime?: string;
  /** Every run's times (install, upgrade, retry, uninstall), oldest first. */
  readonly runs?: readonly PackRunTimes[];
  /** The last known status while the cluster is unreachable. */
  readonly stale: boolean;
  readonly resources: readonly ResourceView[];
  /** The last drift seen on the pack's objects since the hub started. */
  readonly lastDrift?: DriftView;
}

/** Someone changed or deleted an object a pack owns. */
export interface DriftView {
  readonly time: string;
  /** "drift: ConfigMap tenant-a/quota deleted", sensitive values masked. */
  readonly message: string;
  /** True when the drift policy puts the object back; false when it is only reported. */
  readonly correcting: boolean;
}

export function emptyCounts(): PhaseCounts {
  return { onboarding: 0, processing: 0, success: 0, failed: 0 };
}

export function countPhases(phases: Iterable<PackPhase>): {
  phase: PackPhase;
  counts: PhaseCounts;
  packs: number;
} {
  const counts = emptyCounts();
  const all: PackPhase[] = [];
  for (const phase of phases) {
    counts[phase]++;
    all.push(phase);
  }
  return { phase: all.length === 0 ? 'success' : worstPhase(all), counts, packs: all.length };
}

export function packView(
  desired: DesiredPack,
  status: PackStatus,
  stale: boolean,
  lastDrift?: DriftView,
): PackView {
  const display = packPhaseDisplay[status.phase];
  return {
    name: desired.pack.name,
    profile: desired.profile.name,
    layer: desired.pack.layer,
    version: desired.pack.version,
    type: desired.pack.type,
    wave: desired.wave,
    order: desired.order,
    explanation: desired.explanation,
    phase: status.phase,
    color: display.color,
    icon: display.icon,
    label: display.label,
    condition: status.condition,
    reason: status.reason,
    message: desired.redactor.redact(status.message),
    progress: status.progress,
    ...(status.startTime ? { startTime: status.startTime } : {}),
    ...(status.endTime ? { endTime: status.endTime } : {}),
    ...(status.runs ? { runs: status.runs } : {}),
    stale,
    resources: status.resources.map((r) => ({
      ref: r.ref,
      state: r.evaluation.state,
      reason: r.evaluation.reason,
      message: desired.redactor.redact(r.evaluation.message),
      ...(r.hook ? { hook: true as const } : {}),
    })),
    ...(lastDrift ? { lastDrift } : {}),
  };
}

/**
 * What a pack deploys with, after every variable and macro of its cluster is resolved: a Helm pack's values (the
 * ones passed to `helm template`), a manifest pack's objects. Sensitive variable values are masked.
 */
export interface PackValuesView {
  readonly pack: string;
  readonly profile: string;
  readonly profileVersion: string;
  readonly type: string;
  /** Helm packs: where the chart comes from ("repo https://… chart x 1.2.3", "local ./charts/x"). */
  readonly chart?: string;
  readonly releaseName?: string;
  readonly namespace: string;
  /** Helm packs: the resolved values. */
  readonly values?: Readonly<Record<string, unknown>>;
  /** Manifest packs: the resolved objects, inline and from files. */
  readonly manifests?: readonly unknown[];
  /** The same, as YAML (a multi-document stream for manifests). */
  readonly yaml: string;
  /** True when at least one sensitive value was replaced by `******`. */
  readonly masked: boolean;
}

export function packValuesView(desired: DesiredPack): PackValuesView {
  const { pack, profile, redactor } = desired;
  const base = {
    pack: pack.name,
    profile: profile.name,
    profileVersion: profile.version,
    type: pack.type,
    namespace: pack.namespace.name,
  };
  if (pack.type === 'helm') {
    const values = redactor.redactDeep(pack.values);
    return {
      ...base,
      chart: formatChartSource(pack.chart),
      releaseName: pack.releaseName,
      values,
      yaml: Object.keys(values).length === 0 ? '' : stringify(values),
      masked: JSON.stringify(values) !== JSON.stringify(pack.values),
    };
  }
  const manifests = redactor.redactDeep(pack.manifests);
  return {
    ...base,
    manifests,
    yaml: manifests.map((m) => stringify(m)).join('---\n'),
    masked: JSON.stringify(manifests) !== JSON.stringify(pack.manifests),
  };
}

function formatChartSource(chart: ChartSource): string {
  switch (chart.kind) {
    case 'local':
      return `local ${chart.path}`;
    case 'repo':
      return `${chart.name} ${chart.version} from ${chart.repo}`;
    case 'oci':
      return `${chart.ref} ${chart.version}`;
  }
}

/** One pack of a profile version, as the Profiles page's table shows it. */
export interface ProfilePackRow {
  readonly name: string;
  readonly layer: string;
  readonly type: string;
  readonly version: string;
  /** Where a Helm pack's chart comes from ("nginx 1.2.3 from https://…", "local charts/web"). */
  readonly chart?: string;
  /** The sha256 of a local chart as published with the version. */
  readonly digest?: string;
  /** A manifest pack's inline objects ("ConfigMap tenant-a/quota"), at most 20. */
  readonly objects?: readonly string[];
  /** A manifest pack's files, as the profile names them. */
  readonly files?: readonly string[];
}

/** The packs of a stored version in file order, with the digest of each local chart it was published with. */
export function profilePackRows(
  packs: readonly Pack[],
  blobs: Readonly<Record<string, string>>,
): ProfilePackRow[] {
  return packs.map((pack) => {
    const base = { name: pack.name, layer: pack.layer, type: pack.type, version: pack.version };
    if (pack.type === 'helm') {
      const digest =
        pack.chart.kind === 'local'
          ? (blobs[pack.chart.path] ?? blobs[posix.normalize(pack.chart.path)])
          : undefined;
      return { ...base, chart: formatChartSource(pack.chart), ...(digest ? { digest } : {}) };
    }
    const objects = pack.manifests
      .slice(0, 20)
      .map((m) => `${m.kind} ${m.metadata.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata.name}`);
    return { ...base, objects, ...(pack.files.length > 0 ? { files: [...pack.files] } : {}) };
  });
}
