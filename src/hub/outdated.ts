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

type Listed = Awaited<ReturnType<typeof listChartVersions>>;

export interface VersionsCacheOptions {
  /** How long a source's answer is used. Default 5 minutes. */
  readonly ttlMs?: number;
  /** How long a failure is used (the source may be back soon). Default 1 minute. */
  readonly failureTtlMs?: number;
  /** The answers kept, in bytes of their text; the oldest go first. Default 1 MiB. */
  readonly maxBytes?: number;
  /** For tests: the clock. */
  readonly now?: () => number;
}

/**
 * The versions each source answered for a chart (review 8, item 6): any viewer may ask for a version's
 * outdated charts, and each answer costs a download of up to 8 MiB from a remote, so one answer per (source,
 * chart) serves every request for a few minutes. Bounded by the bytes of what it keeps.
 */
export class VersionsCache {
  private readonly entries = new Map<string, { listed: Listed; until: number; bytes: number }>();
  private bytes = 0;
  private readonly ttlMs: number;
  private readonly failureTtlMs: number;
  private readonly maxBytes: number;
  private readonly now: () => number;

  constructor(options: VersionsCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 5 * 60_000;
    this.failureTtlMs = options.failureTtlMs ?? 60_000;
    this.maxBytes = options.maxBytes ?? 1024 * 1024;
    this.now = options.now ?? Date.now;
  }

  get(key: string): Listed | undefined {
    const found = this.entries.get(key);
    if (found === undefined) return undefined;
    if (found.until > this.now()) return found.listed;
    this.drop(key);
    return undefined;
  }

  set(key: string, listed: Listed): void {
    this.drop(key);
    const text = listed.ok ? listed.versions : [listed.cause];
    const bytes = key.length + text.reduce((sum, v) => sum + v.length + 8, 0);
    if (bytes > this.maxBytes) return;
    for (const oldest of this.entries.keys()) {
      if (this.bytes + bytes <= this.maxBytes) break;
      this.drop(oldest);
    }
    const until = this.now() + (listed.ok ? this.ttlMs : this.failureTtlMs);
    this.entries.set(key, { listed, until, bytes });
    this.bytes += bytes;
  }

  private drop(key: string): void {
    const found = this.entries.get(key);
    if (found === undefined) return;
    this.entries.delete(key);
    this.bytes -= found.bytes;
  }
}

export async function outdatedCharts(
  profile: ClusterProfile,
  options: {
    readonly helmBin: string;
    readonly sources: readonly ChartSourceCredentials[];
    readonly deny: ReadonlySet<AddressRange>;
    readonly list?: typeof listChartVersions;
    /** Answers kept from earlier requests (default: none kept). */
    readonly cache?: VersionsCache;
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
    // The source's name too: another source (other credentials) may be answered otherwise.
    const key = `${source?.name ?? ''}\n${shown}`;
    let found = options.cache?.get(key);
    if (found === undefined) {
      found = await list(chart, {
        helmBin: options.helmBin,
        deny: options.deny,
        ...(source === undefined ? {} : { source }),
      });
      options.cache?.set(key, found);
    }
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
