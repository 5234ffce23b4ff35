// Builds the hub's views (views.ts) from what the engine and the store hold. Pure: no store, no runner.
import { stringify } from 'yaml';
import type { DesiredPack } from '../engine/index.js';
import type { ChartSource } from '../profile/index.js';
import {
  packPhaseDisplay,
  worstPhase,
  type ObjectRef,
  type PackPhase,
  type PackStatus,
} from '../status/index.js';
import type {
  DriftView,
  PackValuesView,
  PackView,
  PhaseCounts,
  ProfileVersionView,
  WarningEventView,
} from './views.js';

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
  warnings: (ref: ObjectRef) => readonly WarningEventView[] = () => [],
): PackView {
  const display = packPhaseDisplay[status.phase];
  const eventsOf = (ref: ObjectRef) => {
    const events = warnings(ref).map((e) => ({ ...e, message: desired.redactor.redact(e.message) }));
    return events.length === 0 ? {} : { events };
  };
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
    stale,
    resources: status.resources.map((r) => ({
      ref: r.ref,
      state: r.evaluation.state,
      reason: r.evaluation.reason,
      message: desired.redactor.redact(r.evaluation.message),
      ...(r.hook ? { hook: true as const } : {}),
      ...eventsOf(r.ref),
    })),
    ...(lastDrift ? { lastDrift } : {}),
  };
}

/** `notes`: the chart's NOTES.txt from the pack's last rendering on the cluster, if any. */
export function packValuesView(desired: DesiredPack, notes?: string): PackValuesView {
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
      ...(notes === undefined ? {} : { notes: redactor.redact(notes) }),
    };
  }
  const manifests = redactor.redactDeep(pack.manifests);
  return {
    ...base,
    manifests: [...manifests],
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

export function versionView(
  record: { name: string; version: string; type: string; published: boolean; createdAt: string },
  packs: number,
  description?: string,
): ProfileVersionView {
  return {
    name: record.name,
    version: record.version,
    type: record.type,
    published: record.published,
    createdAt: record.createdAt,
    packs,
    ...(description ? { description } : {}),
  };
}
