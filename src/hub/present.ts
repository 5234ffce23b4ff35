// Builds the hub's views (views.ts) from what the engine and the store hold. Pure: no store, no runner.
import type { DesiredPack } from '../engine/index.js';
import { yamlText } from './yaml-text.js';
import { posix } from 'node:path';
import { remoteChartKey, type ChartSource, type Pack, type Redactor } from '../profile/index.js';
import {
  initialPackStatus,
  packPhaseDisplay,
  worstPhase,
  type ObjectRef,
  type PackPhase,
  type PackResource,
  type PackStatus,
} from '../status/index.js';
import type {
  AttentionView,
  DriftView,
  PackValuesView,
  PackView,
  PhaseCounts,
  ProfilePackRow,
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

/**
 * What a pack whose status cannot be shown (stored before the agent routes checked its whole shape, or from a
 * runner's bug; `error` is what building its view threw) shows instead: that it cannot, so that one such status
 * takes neither the whole cluster page down with a 500 nor the live stream's fan-out.
 */
export function unreadableStatus(status: PackStatus, error: unknown): PackStatus {
  const why = error instanceof Error ? error.message : String(error);
  return {
    ...initialPackStatus({ revision: typeof status.revision === 'string' ? status.revision : '' }),
    reason: 'StatusUnreadable',
    message: `the status reported for this pack cannot be shown (${why.slice(0, 200)})`,
  };
}

export function packView(
  desired: DesiredPack,
  status: PackStatus,
  stale: boolean,
  lastDrift?: DriftView,
  warnings: (ref: ObjectRef) => readonly WarningEventView[] = () => [],
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
    // The current run only: the page is read on every change by every open browser, and a pack's 20 kept runs
    // were ~780 of its bytes (issue 15). The rest are read when wanted (Packs.runs, `…/runs`).
    ...lastRun(status.runs),
    stale,
    resources: status.resources.map((r) => resourceView(r, desired.redactor, warnings)),
    ...(lastDrift ? { lastDrift } : {}),
  };
}

/**
 * `lastRun` and `runCount` of a pack's view: the newest of the runs kept, and how many are kept when that is more
 * than the one (most packs have run once: the page does not say so 200 times).
 */
function lastRun(runs: PackStatus['runs']): Pick<PackView, 'lastRun' | 'runCount'> {
  const last = runs?.at(-1);
  if (last === undefined || runs === undefined) return {};
  return runs.length > 1 ? { lastRun: last, runCount: runs.length } : { lastRun: last };
}

type ResourceView = PackView['resources'][number];

/**
 * A resource's row. Built field by field, with no spread of a temporary object per optional field: a pack's
 * view is made for each of its status events, so an install of 100-object packs makes one per watch event
 * and object (issue 15).
 */
function resourceView(
  r: PackResource,
  redactor: Redactor,
  warnings: (ref: ObjectRef) => readonly WarningEventView[],
): ResourceView {
  const row: ResourceView = {
    ref: r.ref,
    state: r.evaluation.state,
    reason: r.evaluation.reason,
    message: redactor.redact(r.evaluation.message),
  };
  if (r.hook) row.hook = true;
  const events = warnings(r.ref);
  if (events.length > 0) row.events = events.map((e) => ({ ...e, message: redactor.redact(e.message) }));
  return row;
}

/**
 * `notes`: the chart's NOTES.txt from the pack's last rendering on the cluster, if any. `text`: this same
 * desired pack's values as shown and written before (values-text.ts): masking and writing them costs the most.
 */
export function packValuesView(desired: DesiredPack, notes?: string, text?: ShownPackValues): PackValuesView {
  const { pack, profile, redactor } = desired;
  const base = {
    pack: pack.name,
    profile: profile.name,
    profileVersion: profile.version,
    type: pack.type,
    namespace: pack.namespace.name,
  };
  const written =
    text ??
    (() => {
      const shown = shownValues(desired);
      return { ...shown, yaml: yamlText(shown.documents) };
    })();
  if (pack.type === 'helm') {
    return {
      ...base,
      chart: formatChartSource(pack.chart),
      releaseName: pack.releaseName,
      values: written.shown as typeof pack.values,
      yaml: written.yaml,
      masked: written.masked,
      ...(notes === undefined ? {} : { notes: redactor.redact(notes) }),
    };
  }
  return {
    ...base,
    manifests: [...(written.shown as typeof pack.manifests)],
    yaml: written.yaml,
    masked: written.masked,
  };
}

/** A pack's values as `…/values` shows them: masked, and written as YAML. */
export interface ShownPackValues {
  /** A Helm pack's values or a manifest pack's objects, sensitive values masked. */
  readonly shown: unknown;
  readonly yaml: string;
  readonly masked: boolean;
}

/**
 * What `…/values` shows, sensitive values masked: a Helm pack's values or a manifest pack's objects; the YAML
 * documents of it (none for empty values); whether masking changed anything; its length as JSON.
 */
export function shownValues(desired: DesiredPack): {
  readonly shown: unknown;
  readonly documents: readonly unknown[];
  readonly masked: boolean;
  readonly bytes: number;
} {
  const { pack, redactor } = desired;
  const visible = redactor.shownPack(pack);
  const [shown, original] =
    pack.type === 'helm' && visible.type === 'helm'
      ? [visible.values, pack.values]
      : [
          visible.type === 'manifest' ? visible.manifests : [],
          pack.type === 'manifest' ? pack.manifests : [],
        ];
  const json = JSON.stringify(shown);
  const documents =
    pack.type === 'helm' ? (Object.keys(shown).length === 0 ? [] : [shown]) : (shown as unknown[]);
  return { shown, documents, masked: json !== JSON.stringify(original), bytes: json.length };
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

export const ATTENTION_LIMIT = 5;

/** What the overview names: red packs first, then blue, each group in the order given (install order). */
export function needingAttention(
  packs: readonly { readonly pack: string; readonly phase: PackPhase; readonly reason: string }[],
): AttentionView[] {
  const of = (phase: PackPhase) =>
    packs.filter((p) => p.phase === phase).map((p) => ({ pack: p.pack, phase: p.phase, reason: p.reason }));
  return [...of('failed'), ...of('processing')].slice(0, ATTENTION_LIMIT);
}

/** The packs of a stored version in file order, with the digest of each local chart it was published with. */
export function profilePackRows(
  packs: readonly Pack[],
  blobs: Readonly<Record<string, string>>,
  /** Remote charts pinned at publish: remoteChartKey → sha256 of the archive. */
  pins: Readonly<Record<string, string>> = {},
): ProfilePackRow[] {
  return packs.map((pack) => {
    const base = { name: pack.name, layer: pack.layer, type: pack.type, version: pack.version };
    if (pack.type === 'helm') {
      const digest =
        pack.chart.kind === 'local'
          ? (blobs[pack.chart.path] ?? blobs[posix.normalize(pack.chart.path)])
          : pins[remoteChartKey(pack.chart)];
      return { ...base, chart: formatChartSource(pack.chart), ...(digest ? { digest } : {}) };
    }
    const objects = pack.manifests
      .slice(0, 20)
      .map((m) => `${m.kind} ${m.metadata.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata.name}`);
    return { ...base, objects, ...(pack.files.length > 0 ? { files: [...pack.files] } : {}) };
  });
}
