// Remote charts pinned at publish (issue 13, item 2): each `{ repo, name, version }` or `{ oci, version }`
// chart of a version being stored is fetched once, with the credentials of the chart source whose URL
// prefixes it, and its archive is stored as a blob recorded on the version. Renders, resyncs, restarts and
// rollbacks then use that archive only (see loadStored in planner.ts): the remote is never contacted again.
import {
  ChartSourceKind,
  PackType,
  chartArchiveProblem,
  remoteChartKey,
  type ClusterProfile,
  type LoadedProfile,
  type RemoteChartSource,
} from '../profile/index.js';
import type { AddressRange } from '../kube/index.js';
import type { ChartSourceCredentials, Repositories, Store } from '../store/index.js';
import { chartLocation, fetchChart, type FetchResult } from './chart-fetch.js';
import { HubError, HubErrorCode } from './errors.js';
import { storedFiles } from './stored-files.js';

export interface PinOptions {
  readonly helmBin: string;
  readonly sources: readonly ChartSourceCredentials[];
  readonly deny: ReadonlySet<AddressRange>;
  /** For tests: the fetcher (default: the real helm). */
  readonly fetch?: typeof fetchChart;
}

/** Each remote chart of the profile, by remoteChartKey → its archive. Throws CHART_FETCH_FAILED (422). */
export async function fetchRemoteCharts(
  profile: ClusterProfile,
  options: PinOptions,
): Promise<Map<string, Buffer>> {
  const archives = new Map<string, Buffer>();
  const fetch = options.fetch ?? fetchChart;
  for (const pack of profile.spec.packs) {
    if (pack.type !== PackType.Helm || pack.chart.kind === ChartSourceKind.Local) continue;
    const chart = pack.chart;
    const key = remoteChartKey(chart);
    if (archives.has(key)) continue;
    const choice = sourceFor(chart, options.sources);
    if (!choice.ok)
      throw new HubError(
        HubErrorCode.ChartFetchFailed,
        `${profile.metadata.name}@${profile.spec.version}: pack ${pack.name}: ${choice.problem}; nothing was stored`,
      );
    const source = choice.source;
    const result = await fetch(chart, {
      helmBin: options.helmBin,
      deny: options.deny,
      ...(source === undefined ? {} : { source }),
    });
    if (!result.ok) throw fetchFailed(profile, pack.name, chart, source, result);
    // Checked as a local chart in a bundle is (review 8, item 1): the archive is written out for each render,
    // so a link in it could lead helm out of the folder, and its values schema could make helm load anything.
    const problem = await chartArchiveProblem(result.archive);
    if (problem !== undefined)
      throw fetchFailed(profile, pack.name, chart, source, {
        ok: false,
        cause: `its archive is refused: ${problem}`,
      });
    archives.set(key, result.archive);
  }
  return archives;
}

/** Which source's credentials a chart is fetched with: `source` undefined means anonymously. */
export type SourceChoice<S> =
  { readonly ok: true; readonly source: S | undefined } | { readonly ok: false; readonly problem: string };

/**
 * The source a chart names, else the one its URL matches, else none. A named source must cover the chart's
 * URL too: its credentials are only ever sent to the URL an admin gave it, never to wherever a profile
 * points (an operator could otherwise name the admin's source beside their own server's URL).
 */
export function sourceFor<S extends { readonly name: string; readonly url: string }>(
  chart: RemoteChartSource,
  sources: readonly S[],
): SourceChoice<S> {
  const location = chartLocation(chart);
  if (chart.source === undefined) return { ok: true, source: matchSource(location, sources) };
  const named = sources.find((s) => s.name === chart.source);
  if (named === undefined) {
    return {
      ok: false,
      problem:
        `chart source "${chart.source}" (chart.source) does not exist: add it with ` +
        `\`strata source add ${chart.source} --url …\``,
    };
  }
  if (matchSource(location, [named]) === undefined) {
    return {
      ok: false,
      problem:
        `chart source "${named.name}" (chart.source) is for ${named.url}; ${location} is not under it, and a ` +
        `source's credentials are only sent to its own URL`,
    };
  }
  return { ok: true, source: named };
}

/**
 * The source whose URL is the longest prefix of `location` at a path boundary (as Helm matches repository
 * credentials). `oci://host/…` and `https://host/…` name the same registry.
 */
export function matchSource<S extends { readonly url: string }>(
  location: string,
  sources: readonly S[],
): S | undefined {
  const norm = (url: string) => url.replace(/^oci:\/\//, 'https://').replace(/\/+$/, '');
  const target = norm(location);
  let best: S | undefined;
  for (const source of sources) {
    const prefix = norm(source.url);
    if (target !== prefix && !target.startsWith(`${prefix}/`)) continue;
    if (best === undefined || prefix.length > norm(best.url).length) best = source;
  }
  return best;
}

function fetchFailed(
  profile: ClusterProfile,
  pack: string,
  chart: RemoteChartSource,
  source: ChartSourceCredentials | undefined,
  result: Extract<FetchResult, { ok: false }>,
): HubError {
  const what =
    chart.kind === ChartSourceKind.Repo
      ? `chart "${chart.name}" version ${chart.version} from ${chart.repo}`
      : `chart ${chart.ref} version ${chart.version}`;
  const from =
    source === undefined ? 'no chart source matches, fetched anonymously' : `source "${source.name}"`;
  const versions =
    result.versions === undefined ? '' : `; the versions that exist: ${newestOf(result.versions, 10)}`;
  return new HubError(
    HubErrorCode.ChartFetchFailed,
    `${profile.metadata.name}@${profile.spec.version}: pack ${pack}: ${what} (${from}): ${result.cause}${versions}; nothing was stored`,
  );
}

/** Stores the fetched archives as blobs and records them on the version, in the caller's transaction. */
export async function storePinnedCharts(
  tx: Repositories,
  version: { readonly name: string; readonly version: string },
  archives: ReadonlyMap<string, Buffer>,
): Promise<void> {
  if (archives.size === 0) return;
  const digests: Record<string, string> = {};
  for (const [key, archive] of archives) digests[key] = await tx.blobs.put(archive);
  await tx.pinnedCharts.pin(version.name, version.version, digests);
}

/**
 * The loaded version with its pinned archives added to `chartFiles` (by remoteChartKey), each written to the
 * hub's chart cache under its digest, so the engine renders them instead of contacting the remote.
 */
export async function withPinnedCharts(
  loaded: LoadedProfile,
  options: { store: Store; pins: Readonly<Record<string, string>>; chartCacheDir: () => Promise<string> },
): Promise<LoadedProfile> {
  if (Object.keys(options.pins).length === 0) return loaded;
  const files = storedFiles({
    store: options.store,
    blobs: options.pins,
    chartCacheDir: options.chartCacheDir,
  });
  const chartFiles = new Map(loaded.chartFiles);
  for (const key of Object.keys(options.pins)) {
    const found = await files.chart(key);
    if (!found.ok)
      throw new HubError(
        HubErrorCode.ProfileInvalid,
        `stored profile ${loaded.profile.metadata.name}@${loaded.profile.spec.version}: pinned chart ${key}: ${found.message}`,
      );
    if (found.value.location !== undefined) chartFiles.set(key, found.value.location);
  }
  return { ...loaded, chartFiles };
}

/** `{ charts }` for a version's API view: each pinned remote chart → the sha256 of its archive. */
export async function pinnedChartsView(
  store: Store,
  name: string,
  version: string,
): Promise<{ charts?: Readonly<Record<string, string>> }> {
  const pins = await store.pinnedCharts.of(name, version);
  return Object.keys(pins).length === 0 ? {} : { charts: pins };
}

/** The last `n` of `versions` (oldest first), and how many older ones there are. */
function newestOf(versions: readonly string[], n: number): string {
  const shown = versions.slice(-n).join(', ');
  return versions.length > n ? `${shown} (and ${versions.length - n} older)` : shown;
}
