// "Update available" for pinned charts (issue 13, item 4): for each remote chart of a version, the newer
// versions its source has now. Read-only and on request: the pinned archives are untouched, and publishing a
// new profile version is how a newer chart gets deployed.
import semver from 'semver';
import { ChartSourceKind, PackType, type ClusterProfile } from '../profile/index.js';
import type { AddressRange } from '../kube/index.js';
import type { ChartSourceCredentials } from '../store/index.js';
import { listChartVersions } from './chart-fetch.js';
import { sourceFor } from './chart-pinning.js';

export interface OutdatedChart {
  readonly pack: string;
  /** `oci://host/path/chart` or `https://repo name`. */
  readonly chart: string;
  readonly version: string;
  /** Newer versions in the source, oldest first; [] when the pinned one is the latest. */
  readonly newer: readonly string[];
  /** Why the source could not be asked (classified, never the remote's answer). */
  readonly error?: string;
}

export async function outdatedCharts(
  profile: ClusterProfile,
  options: {
    readonly helmBin: string;
    readonly sources: readonly ChartSourceCredentials[];
    readonly deny: ReadonlySet<AddressRange>;
    readonly list?: typeof listChartVersions;
  },
): Promise<OutdatedChart[]> {
  const list = options.list ?? listChartVersions;
  const out: OutdatedChart[] = [];
  for (const pack of profile.spec.packs) {
    if (pack.type !== PackType.Helm || pack.chart.kind === ChartSourceKind.Local) continue;
    const chart = pack.chart;
    const shown = chart.kind === ChartSourceKind.Repo ? `${chart.repo} ${chart.name}` : chart.ref;
    const choice = sourceFor(chart, options.sources);
    if (!choice.ok) {
      out.push({ pack: pack.name, chart: shown, version: chart.version, newer: [], error: choice.problem });
      continue;
    }
    const source = choice.source;
    const found = await list(chart, {
      helmBin: options.helmBin,
      deny: options.deny,
      ...(source === undefined ? {} : { source }),
    });
    if (!found.ok) {
      out.push({ pack: pack.name, chart: shown, version: chart.version, newer: [], error: found.cause });
      continue;
    }
    const pinned = semver.valid(chart.version);
    const newer =
      pinned === null ? [] : found.versions.filter((v) => semver.valid(v) !== null && semver.gt(v, pinned));
    out.push({ pack: pack.name, chart: shown, version: chart.version, newer });
  }
  return out;
}
