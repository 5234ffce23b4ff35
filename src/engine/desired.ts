import {
  ChartSourceKind,
  IssueKind,
  PackType,
  planCluster,
  remoteChartKey,
  resolveProfile,
  type LoadedProfile,
  type Pack,
  type ProfileIssue,
  type ProfileResult,
  type Redactor,
  type ResolvedProfile,
} from '../profile/index.js';
import type { HealthRuleSpec } from '../status/index.js';

/** One pack as the runner should have it: resolved (no macros left), placed in its wave. */
export interface DesiredPack {
  readonly pack: Pack;
  readonly profile: { readonly name: string; readonly version: string };
  /**
   * For a local chart: the chart folder or archive helm reads, a path the hub chose (its chart cache) or, for
   * a profile loaded from disk, inside the profile's folder. Never a path a client named.
   */
  readonly chartFile?: string;
  /** 1-based install wave. */
  readonly wave: number;
  /** Position in the cluster's install order (0-based), for display and removal order. */
  readonly order: number;
  /** Why the pack sits where it does ("wave 3: layer addon, priority 0, after …"). */
  readonly explanation: string;
  readonly redactor: Redactor;
  /** The profile's health rules for custom resources (`spec.healthChecks`); they win over cluster rules. */
  readonly healthChecks?: readonly HealthRuleSpec[];
}

export interface DesiredOptions {
  readonly cluster: string;
  /** Variable values per profile name. */
  readonly values?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * Profiles resolved already for this cluster with these values, by profile name: used as they are, not
   * resolved again (the hub's planner keeps the attachments it handed to the runner, so the next plan shares
   * their packs instead of making another copy of every manifest: issue 15).
   */
  readonly resolved?: ReadonlyMap<string, ResolvedProfile>;
}

/** The cluster's attached profiles → the packs to run, in install order; or every positioned issue at once. */
export function desiredPacks(
  profiles: readonly LoadedProfile[],
  options: DesiredOptions,
): ProfileResult<DesiredPack[]> {
  const plan = planCluster(profiles);
  if (!plan.ok) return plan;
  const issues: ProfileIssue[] = [];
  const resolved = new Map<string, { pack: Pack; loaded: LoadedProfile; redactor: Redactor }>();
  for (const loaded of profiles) {
    const name = loaded.profile.metadata.name;
    const given = options.resolved?.get(name);
    const result: ProfileResult<ResolvedProfile> =
      given === undefined
        ? resolveProfile(loaded, {
            clusterName: options.cluster,
            values: options.values?.[name] ?? {},
            fileManifests: loaded.fileManifests,
          })
        : { ok: true, value: given };
    if (!result.ok) {
      issues.push(...result.issues);
      continue;
    }
    for (const pack of result.value.packs)
      resolved.set(pack.name, { pack, loaded, redactor: result.value.redactor });
  }
  if (issues.length > 0) return { ok: false, issues };

  const out: DesiredPack[] = [];
  for (const wave of plan.value.waves) {
    for (const planned of wave.packs) {
      const entry = resolved.get(planned.pack.name);
      if (!entry) {
        issues.push({
          file: '',
          line: 0,
          column: 0,
          path: '',
          kind: IssueKind.Composition,
          message: `pack ${planned.pack.name} was planned but not resolved`,
        });
        continue;
      }
      out.push({
        pack: entry.pack,
        profile: planned.profile,
        ...chartFileOf(entry.pack, entry.loaded),
        wave: planned.wave,
        order: out.length,
        explanation: planned.explanation,
        redactor: entry.redactor,
        ...(entry.loaded.profile.spec.healthChecks === undefined
          ? {}
          : { healthChecks: entry.loaded.profile.spec.healthChecks }),
      });
    }
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: out };
}

/** The archive a pack renders from: its local chart's, or the one its remote chart was pinned to at publish. */
function chartFileOf(pack: Pack, loaded: LoadedProfile): { chartFile?: string } {
  if (pack.type !== PackType.Helm) return {};
  const key = pack.chart.kind === ChartSourceKind.Local ? pack.chart.path : remoteChartKey(pack.chart);
  const chartFile = loaded.chartFiles.get(key);
  return chartFile === undefined ? {} : { chartFile };
}
