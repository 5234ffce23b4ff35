import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { ChartSourceKind, type HelmPack } from '../profile/index.js';
import { assertNever } from '../shared/assert-never.js';
import { EngineError, EngineErrorCode } from './errors.js';
import type { HelmTemplateOptions } from './helm.js';
import { templateWithNotes } from './notes.js';

/**
 * What `helm template` printed for one revision of a Helm pack, kept so the pack renders once per revision
 * (issue 11, ADR 0007): a resync, a drift correction or a restarted hub re-uses it, and values a chart
 * generates (`randAlphaNum`, `genSelfSignedCert`) stay what they were.
 */
export interface RenderCacheEntry {
  /** renderKey() of the inputs this manifest was rendered from. */
  readonly key: string;
  /** helm's output as it printed it; parsed, labelled and ordered again on every use (render.ts). */
  readonly manifest: string;
  /** The cluster version it was rendered for (`v1.34.1`), for the record. */
  readonly kubeVersion?: string;
}

/**
 * Where a cluster runner keeps its packs' renderings: one entry per pack of the cluster, the latest revision.
 * The hub stores them in its database (sealed, like every secret: a rendering holds the chart's Secrets);
 * the engine only knows this interface, so the runner stays free of database code (architecture.md).
 * A rejected call is retried by the caller with backoff: an unreachable store delays a render, it never
 * causes a new one.
 */
export interface RenderCache {
  get(pack: string): Promise<RenderCacheEntry | undefined>;
  put(pack: string, entry: RenderCacheEntry): Promise<void>;
  /** The pack is uninstalled: a later install renders anew, as `helm install` after `helm uninstall` does. */
  forget(pack: string): Promise<void>;
}

/** The cache a runner uses when none is given: stable within the process (tests, `strata` without a hub). */
export class MemoryRenderCache implements RenderCache {
  private readonly entries = new Map<string, RenderCacheEntry>();

  get(pack: string): Promise<RenderCacheEntry | undefined> {
    return Promise.resolve(this.entries.get(pack));
  }

  put(pack: string, entry: RenderCacheEntry): Promise<void> {
    this.entries.set(pack, entry);
    return Promise.resolve();
  }

  forget(pack: string): Promise<void> {
    this.entries.delete(pack);
    return Promise.resolve();
  }
}

export interface TemplateOnceDeps {
  readonly cache: RenderCache;
  /** Runs a cache call until it succeeds (backoff, shown as Retrying), or throws when the task is aborted. */
  readonly retry: <T>(what: string, action: () => Promise<T>) => Promise<T>;
  readonly signal: AbortSignal;
  /** Default: the real `helm template`, with a local chart's notes (notes.ts). */
  readonly template?: (pack: HelmPack, options: HelmTemplateOptions) => Promise<string>;
}

/**
 * `helm template` once per revision (ADR 0007): the stored rendering when its inputs are this revision's,
 * else a new one, stored before it is returned (and so before anything of it is applied): a restart can never
 * apply a second, different rendering of a revision (new random passwords, new certificates).
 */
export async function templateOnce(
  pack: HelmPack,
  options: HelmTemplateOptions,
  deps: TemplateOnceDeps,
): Promise<string> {
  const digest = options.chartFile === undefined ? undefined : await readChartDigest(pack, options.chartFile);
  const kubeVersion = options.capabilities?.kubeVersion;
  const key = renderKey({
    pack,
    ...(digest === undefined ? {} : { chartDigest: digest }),
    ...(kubeVersion === undefined ? {} : { kubeVersion }),
  });
  const stored = await deps.retry(`reading the stored rendering of pack ${pack.name}`, () =>
    deps.cache.get(pack.name),
  );
  const entry = reusable(stored, key);
  if (entry) return entry.manifest;
  const manifest = await (deps.template ?? templateWithNotes)(pack, options);
  deps.signal.throwIfAborted();
  await deps.retry(`storing the rendering of pack ${pack.name}`, () =>
    deps.cache.put(pack.name, { key, manifest, ...(kubeVersion === undefined ? {} : { kubeVersion }) }),
  );
  return manifest;
}

async function readChartDigest(pack: HelmPack, chartFile: string): Promise<string> {
  try {
    return await chartDigest(chartFile);
  } catch (error) {
    throw new EngineError(
      EngineErrorCode.RenderFailed,
      `pack ${pack.name}: cannot read its chart: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** Bump when what goes into the key changes meaning, so old entries render again instead of matching. */
const KEY_FORMAT = 1;

/**
 * The version of the checks a chart goes through on its way to helm: readChartArchive (profile/bundle.ts:
 * regular files and folders only, size caps, no `$ref` out of the chart, no header two tar readers read
 * differently, subcharts written unpacked) and `--skip-schema-validation` for a chart nothing checked. A
 * rendering is stamped with it (in its key), so one stored by older code (ADR 0007 reuses a revision's
 * rendering for ever) is rendered again, once, through the checks in force; a rendering stored before the
 * checks carries no stamp. Bump it when those checks refuse something they used to let through.
 *   1: review 8 and 9's archive checks (session 8).
 */
export const CHART_CHECKS_VERSION = 1;

export interface RenderInputs {
  readonly pack: HelmPack;
  /** For a local chart: chartDigest() of the folder or archive helm reads. */
  readonly chartDigest?: string;
  /** The cluster's gitVersion (`v1.34.1`); only its minor version is part of the key. */
  readonly kubeVersion?: string;
}

/**
 * The identity of a Helm pack's revision: everything that reaches `helm template` and changes what it
 * prints, and nothing else (ADR 0007). In: the pack's version, its chart (the local chart's content digest,
 * or the repository/OCI reference and version), release name, namespace, values (key order ignored) and the
 * cluster's Kubernetes minor version; and the chart checks' version (CHART_CHECKS_VERSION). Out: the profile's version (a new profile version that leaves this pack
 * as it was is no new revision of it), the cluster's patch version and its served API list (a CRD installed
 * by another pack would otherwise re-render, and re-randomise, every chart on the cluster).
 */
export function renderKey(inputs: RenderInputs): string {
  const { pack } = inputs;
  const canonical = canonicalJson({
    format: KEY_FORMAT,
    version: pack.version,
    chart: chartIdentity(pack, inputs.chartDigest),
    releaseName: pack.releaseName,
    namespace: pack.namespace.name,
    values: pack.values,
    kubeMinor: kubeMinor(inputs.kubeVersion),
    checks: CHART_CHECKS_VERSION,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/** The stored rendering when it is of this revision; undefined means: render, then store. */
export function reusable(entry: RenderCacheEntry | undefined, key: string): RenderCacheEntry | undefined {
  return entry?.key === key ? entry : undefined;
}

function chartIdentity(pack: HelmPack, digest: string | undefined): Record<string, string | undefined> {
  const chart = pack.chart;
  switch (chart.kind) {
    case ChartSourceKind.Local:
      // The path is where the hub cached it, not what it is: the content decides.
      return { kind: chart.kind, digest };
    case ChartSourceKind.Repo:
      return { kind: chart.kind, repo: chart.repo, name: chart.name, version: chart.version };
    case ChartSourceKind.Oci:
      return { kind: chart.kind, ref: chart.ref, version: chart.version };
    default:
      return assertNever(chart, 'chart source');
  }
}

/**
 * `v1.34.1`, `v1.34.1+k3s1`, `v1.34.0-gke.100` → `1.34`: a cluster's patch releases do not change which APIs
 * it serves, so they do not re-render; a minor upgrade does (charts switch APIs on it).
 */
export function kubeMinor(gitVersion: string | undefined): string | undefined {
  if (gitVersion === undefined) return undefined;
  const match = /^v?(\d+)\.(\d+)/.exec(gitVersion.trim());
  return match ? `${Number(match[1])}.${Number(match[2])}` : gitVersion;
}

/**
 * sha256 of a chart archive, or of a chart folder's files (relative path and content, in path order), so an
 * edited chart is a new revision whatever its file is called.
 */
export async function chartDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  const info = await stat(path);
  if (!info.isDirectory()) return hash.update(await readFile(path)).digest('hex');
  for (const file of await filesUnder(path)) {
    const name = relative(path, file).split(sep).join('/');
    hash.update(`${name}\0${(await stat(file)).size}\0`);
    hash.update(await readFile(file));
  }
  return hash.digest('hex');
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** JSON with object keys sorted at every level: the same values give the same key whatever their order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}
