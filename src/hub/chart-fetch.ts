// Fetching one remote chart, as a user would get it but under the outbound policy at every hop. From a Helm
// repository the hub downloads index.yaml and the archive itself (guarded-http.ts: each hop, redirects included,
// resolved once, checked against STRATA_OUTBOUND_DENY and connected by that address); helm is not run at all.
// From an OCI registry the real helm pulls an anonymous chart (`helm pull oci://…`) through a guarded forward
// proxy (outbound-proxy.ts), with its own temporary HELM_* folders (the hub's and the user's Helm set-up are never
// read or written). A source with a password is pulled by the hub itself (oci-registry.ts): helm is never given
// it. A failure is classified (401, 404, TLS, …) rather than echoing what the remote said: a remote's answer is
// not ours to show.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { AddressRange } from '../kube/index.js';
import { ChartSourceKind, type ChartSource } from '../profile/index.js';
import type { ChartSourceCredentials } from '../store/index.js';
import {
  DEFAULT_MEMORY_LIMIT_MIB,
  noRegistryCredentials,
  ranOutOfMemory,
  withMemoryLimit,
} from '../engine/index.js';
import { bySemver, entriesOf, MAX_INDEX_BYTES, versionsOf, type IndexEntry } from './chart-index.js';
import {
  denyCheck,
  guardedGet,
  systemResolve,
  type AddressCheck,
  type GuardedGetOptions,
  type ResolveAll,
} from './guarded-http.js';
import { ociTags, pullOciChart, type RegistryGuard } from './oci-registry.js';
import { startOutboundProxy, type OutboundProxy } from './outbound-proxy.js';

export type RemoteChart = Exclude<ChartSource, { kind: typeof ChartSourceKind.Local }>;
type RepoChart = Extract<RemoteChart, { kind: typeof ChartSourceKind.Repo }>;

export type FetchResult =
  | { readonly ok: true; readonly archive: Buffer }
  /** `cause`: what went wrong, classified (never the remote's own text); `versions`: when the version is unknown. */
  | { readonly ok: false; readonly cause: string; readonly versions?: readonly string[] };

type Failure = Extract<FetchResult, { ok: false }>;

export interface FetchOptions {
  readonly helmBin: string;
  /** Address ranges the hub does not contact (STRATA_OUTBOUND_DENY): every hop of a fetch is checked. */
  readonly deny: ReadonlySet<AddressRange>;
  /** The source whose URL prefixes the chart's, with its credentials; undefined: anonymous. */
  readonly source?: ChartSourceCredentials;
  readonly timeoutMs?: number;
  /** For tests: which addresses are refused (default: `deny`'s ranges), and how names resolve. */
  readonly check?: AddressCheck;
  readonly resolve?: ResolveAll;
}

/** Where the chart lives, as a URL (an OCI reference as `oci://…`). */
export function chartLocation(chart: RemoteChart): string {
  return chart.kind === ChartSourceKind.Repo ? chart.repo : chart.ref;
}

export async function fetchChart(chart: RemoteChart, options: FetchOptions): Promise<FetchResult> {
  return chart.kind === ChartSourceKind.Repo ? fetchFromRepo(chart, options) : fetchFromOci(chart, options);
}

/** What guardedGet needs for a source's URLs: the policy, the source's TLS settings and where its password goes. */
function guardOf(options: FetchOptions): Omit<GuardedGetOptions, 'what' | 'maxBytes'> {
  const source = options.source;
  return {
    check: options.check ?? denyCheck(options.deny),
    ...(options.resolve === undefined ? {} : { resolve: options.resolve }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    tls: {
      ...(source?.caPem === undefined ? {} : { caPem: source.caPem }),
      insecureSkipTlsVerify: source?.insecureSkipTlsVerify === true,
    },
    // Only to the source's own origin, never to where a redirect or an index's archive URL points.
    ...(source?.username === undefined
      ? {}
      : {
          credentials: {
            origin: new URL(source.url).origin,
            authorization: `Basic ${Buffer.from(`${source.username}:${source.password ?? ''}`).toString('base64')}`,
          },
        }),
  };
}

/** The repository's index.yaml (`<repo>/index.yaml`, as helm repo add reads it), as text. */
async function repoIndex(chart: RepoChart, options: FetchOptions): Promise<string | Failure> {
  const url = new URL(chart.repo);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/index.yaml`;
  const got = await guardedGet(url.href, {
    ...guardOf(options),
    what: 'repository index',
    maxBytes: MAX_INDEX_BYTES,
  });
  if (!got.ok) return got;
  if (got.status !== 200) return { ok: false, cause: classify(`${got.status}`) };
  return got.body.toString('utf8');
}

/** The chart's entries in the repository's index.yaml. */
async function repoEntries(chart: RepoChart, options: FetchOptions): Promise<IndexEntry[] | Failure> {
  const text = await repoIndex(chart, options);
  if (typeof text !== 'string') return text;
  try {
    const entries = entriesOf(text, chart.name);
    return typeof entries === 'string' ? { ok: false, cause: entries } : entries;
  } catch {
    return { ok: false, cause: "the repository's index is not valid YAML" };
  }
}

async function fetchFromRepo(chart: RepoChart, options: FetchOptions): Promise<FetchResult> {
  const entries = await repoEntries(chart, options);
  if (!Array.isArray(entries)) return entries;
  const versions = entries.flatMap((e) => (typeof e.version === 'string' ? [e.version] : []));
  if (versions.length === 0)
    return { ok: false, cause: `404 Not Found: no chart "${chart.name}" in the repository's index` };
  const entry = entries.find((e) => e.version === chart.version);
  if (entry === undefined)
    return { ok: false, cause: `version ${chart.version} not found`, versions: bySemver(versions) };
  // Helm downloads the entry's first URL, relative to the repository's.
  const first: unknown = Array.isArray(entry.urls) ? entry.urls[0] : undefined;
  const href =
    typeof first === 'string' ? URL.parse(first, `${chart.repo.replace(/\/+$/, '')}/`)?.href : undefined;
  if (href === undefined)
    return { ok: false, cause: `the index's entry for version ${chart.version} has no valid archive URL` };
  const got = await guardedGet(href, {
    ...guardOf(options),
    what: 'chart archive',
    maxBytes: MAX_CHART_ARCHIVE_BYTES,
  });
  if (!got.ok) return got;
  if (got.status !== 200) return { ok: false, cause: classify(`${got.status}`) };
  // The index's digest, when it gives one, is the archive's sha256 (helm repo index writes it).
  if (typeof entry.digest === 'string' && entry.digest !== '') {
    const digest = createHash('sha256').update(got.body).digest('hex');
    if (digest !== entry.digest.replace(/^sha256:/, '').toLowerCase())
      return {
        ok: false,
        cause: `the chart archive's sha256 is ${digest}, not the digest the repository's index gives for version ${chart.version}`,
      };
  }
  return { ok: true, archive: got.body };
}

async function fetchFromOci(
  chart: Extract<RemoteChart, { kind: typeof ChartSourceKind.Oci }>,
  options: FetchOptions,
): Promise<FetchResult> {
  const check = options.check ?? denyCheck(options.deny);
  // Checked here too: Go connects to a loopback literal or `localhost` directly, never through the proxy.
  const refused = await refusedReference(chart.ref, check, options.resolve);
  if (refused !== undefined) return { ok: false, cause: refused };
  // helm (oras-go) sends a login's password to whatever token service the registry's challenge names, in an
  // OAuth2 form or as Basic, and the proxy cannot hold it back: the realm may be a loopback literal Go reaches
  // around the proxy, and an https one is a tunnel the proxy cannot read. The hub's own client sends it only
  // where passwordMayGoTo allows (oci-registry.ts), so a source with a password is never handed to helm.
  if (helmBypassesPolicy(check) || options.source?.username !== undefined)
    return pullNatively(chart, options);
  const dir = await mkdtemp(join(tmpdir(), 'strata-chart-fetch-'));
  // helm writes the layer to disk before its size can be checked: the proxy stops passing bytes past the cap.
  const proxy = await startOutboundProxy({
    check,
    ...(options.resolve === undefined ? {} : { resolve: options.resolve }),
    maxBytes: MAX_OCI_PULL_BYTES,
  });
  try {
    const helm = helmIn(dir, options, proxy);
    const tls = await tlsFlags(dir, options.source);
    const out = join(dir, 'out');
    await mkdir(out);
    const pulled = await helm([
      'pull',
      `--version=${chart.version}`,
      `--destination=${out}`,
      ...tls,
      '--',
      chart.ref,
    ]);
    if (!pulled.ok) {
      const cause = refusedBy(proxy, chart.ref) ?? classify(pulled.stderr, pulled.exitCode);
      if (!cause.startsWith('404')) return { ok: false, cause };
      return await notFound(chart, cause, options);
    }
    const files = await readdir(out).catch(() => []);
    const archive = files.find((f) => f.endsWith('.tgz'));
    if (archive === undefined) return { ok: false, cause: 'helm pull wrote no chart archive' };
    const { size } = await stat(join(out, archive));
    if (size > MAX_CHART_ARCHIVE_BYTES) {
      return {
        ok: false,
        cause: `the chart archive is ${size} bytes; the limit is ${MAX_CHART_ARCHIVE_BYTES} (as for a profile bundle)`,
      };
    }
    return { ok: true, archive: await readFile(join(out, archive)) };
  } finally {
    await proxy.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Go (helm) connects to `localhost` and loopback literals without a proxy (golang.org/x/net/http/httpproxy,
 * useProxy), so while loopback is denied a registry could redirect helm there: then the hub pulls itself. (The
 * named ranges deny all of 127.0.0.0/8 and ::1 or none of them, so two addresses tell.)
 */
const helmBypassesPolicy = (check: AddressCheck) =>
  check('127.0.0.1') !== undefined || check('::1') !== undefined;

async function pullNatively(
  chart: Extract<RemoteChart, { kind: typeof ChartSourceKind.Oci }>,
  options: FetchOptions,
): Promise<FetchResult> {
  const pulled = await pullOciChart(chart.ref, chart.version, {
    source: options.source,
    guard: registryGuard(options),
    maxBytes: MAX_CHART_ARCHIVE_BYTES,
  });
  if (pulled.ok) return pulled;
  return pulled.notFound === true
    ? notFound(chart, pulled.cause, options)
    : { ok: false, cause: pulled.cause };
}

/** A 404 for the version: the versions the registry has, when it lists them. */
async function notFound(
  chart: Extract<RemoteChart, { kind: typeof ChartSourceKind.Oci }>,
  cause: string,
  options: FetchOptions,
): Promise<FetchResult> {
  const tags = await ociTags(chart.ref, options.source, registryGuard(options)).catch(() => undefined);
  if (tags === undefined || typeof tags === 'string' || tags.length === 0) return { ok: false, cause };
  // Helm stores a chart version's `+` as `_` in the tag (OCI tags cannot hold `+`).
  const versions = tags.map((t) => t.replaceAll('_', '+'));
  return { ok: false, cause: `version ${chart.version} not found`, versions: bySemver(versions) };
}

/** guardOf for a registry: its credentials are sent by oci-registry.ts, to the registry and its token service. */
function registryGuard(options: FetchOptions): RegistryGuard {
  const { credentials: _registryOnly, ...guard } = guardOf(options);
  return guard;
}

/** The registry's own host under the policy: its name was checked at publish, and may resolve elsewhere by now. */
async function refusedReference(
  ref: string,
  check: AddressCheck,
  resolve: ResolveAll = systemResolve,
): Promise<string | undefined> {
  const host = new URL(ref.replace(/^oci:\/\//, 'https://')).hostname.replace(/^\[(.*)\]$/, '$1');
  const addresses = isIP(host) !== 0 ? [host] : (await resolve(host).catch(() => [])).map((a) => a.address);
  for (const address of addresses) {
    const range = check(address);
    if (range !== undefined)
      return `${ref} resolves to ${address}, in the ${range} range the hub does not contact`;
  }
  return undefined;
}

/**
 * What the proxy saw go wrong during a helm run, in our words: the first connection it refused, named, or the
 * first connection that failed (helm itself only sees a 403 or 502 from the proxy).
 */
function refusedBy(proxy: OutboundProxy, ref: string): string | undefined {
  if (proxy.overLimit)
    return (
      `${ref}: the registry sent more than ${MAX_OCI_PULL_BYTES} bytes; a chart archive may be at most ` +
      `${MAX_CHART_ARCHIVE_BYTES} (as for a profile bundle)`
    );
  const refusal = proxy.refusals[0];
  if (refusal !== undefined)
    return `${ref}: helm was sent to ${refusal.target} (${refusal.address}), in the ${refusal.range} range the hub does not contact`;
  return proxy.failures[0];
}

/** A remote chart archive is stored like a bundle's chart, so it is bounded the same way. */
export const MAX_CHART_ARCHIVE_BYTES = 20 * 1024 * 1024;

/**
 * What one OCI pull by helm may receive in all: the archive, plus its manifest, the registry's token answers and TLS
 * framing (well under 1 %), with room to spare.
 */
const MAX_OCI_PULL_BYTES = MAX_CHART_ARCHIVE_BYTES + 4 * 1024 * 1024;

/** Every version of the chart its source has now (repository index or registry tags), oldest first. */
export async function listChartVersions(
  chart: RemoteChart,
  options: FetchOptions,
): Promise<
  { readonly ok: true; readonly versions: string[] } | { readonly ok: false; readonly cause: string }
> {
  if (chart.kind === ChartSourceKind.Oci) {
    const tags = await ociTags(chart.ref, options.source, registryGuard(options)).catch(
      () => 'the chart could not be fetched',
    );
    if (typeof tags === 'string') return { ok: false, cause: tags };
    return { ok: true, versions: bySemver(tags.map((t) => t.replaceAll('_', '+'))) };
  }
  // Any viewer may ask (outdated.ts): the versions are read in one pass over the text, not parsed (versionsOf).
  const text = await repoIndex(chart, options);
  if (typeof text !== 'string') return text;
  try {
    const versions = versionsOf(text, chart.name);
    return typeof versions === 'string'
      ? { ok: false, cause: versions }
      : { ok: true, versions: bySemver(versions) };
  } catch {
    return { ok: false, cause: "the repository's index is not valid YAML" };
  }
}

/** What went wrong, from helm's message, in our words: never the remote's body. */
export function classify(stderr: string, exitCode?: number | string): string {
  const text = stderr;
  // Go's goroutine dump would match the patterns below at random.
  if (ranOutOfMemory(text, exitCode))
    return `helm pull exceeded its memory limit (${String(DEFAULT_MEMORY_LIMIT_MIB)} MiB)`;
  if (/\b401\b|unauthori[sz]ed/i.test(text))
    return '401 Unauthorized (wrong or missing username or password)';
  if (/\b403\b|forbidden|denied/i.test(text)) return '403 Forbidden';
  if (/x509:|certificate|tls: /i.test(text)) {
    const x509 = /x509: ([a-z ,]+)/i.exec(text)?.[1]?.trim();
    return `TLS error${x509 ? ` (x509: ${x509})` : ''}: add the source with --ca-file, or --insecure-skip-tls-verify`;
  }
  if (/HTTP response to HTTPS client/i.test(text))
    return 'the server speaks plain HTTP: add the source with --plain-http';
  if (/\b404\b|not found/i.test(text)) return '404 Not Found';
  if (/connection refused|ECONNREFUSED/i.test(text)) return 'connection refused';
  if (/no such host|ENOTFOUND|EAI_AGAIN/i.test(text)) return 'host not found (DNS)';
  if (/timeout|timed out|deadline exceeded|ETIMEDOUT/i.test(text)) return 'timed out';
  if (/\b5\d\d\b/.test(text)) return `server error ${/\b(5\d\d)\b/.exec(text)?.[1] ?? ''}`.trim();
  return 'the chart could not be fetched';
}

type HelmIn = (args: string[]) => Promise<{ ok: boolean; stderr: string; exitCode?: number | string }>;

/** helm with every folder it reads or writes inside `dir`, and every connection through the guarded proxy. */
function helmIn(dir: string, options: FetchOptions, proxy: OutboundProxy): HelmIn {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    // Go reads these (golang.org/x/net/http/httpproxy); an empty NO_PROXY leaves no host out, but Go itself
    // never proxies `localhost` or a loopback literal (see outbound-proxy.ts).
    HTTPS_PROXY: proxy.url,
    HTTP_PROXY: proxy.url,
    NO_PROXY: '',
    HOME: dir,
    HELM_CONFIG_HOME: join(dir, 'config'),
    HELM_CACHE_HOME: join(dir, 'cache'),
    HELM_DATA_HOME: join(dir, 'data'),
    // No logins of this machine's user, not even from a credential helper on PATH (helm.ts).
    ...noRegistryCredentials(dir),
    HELM_REPOSITORY_CONFIG: join(dir, 'repositories.yaml'),
    HELM_REPOSITORY_CACHE: join(dir, 'cache', 'repository'),
  };
  return (args) =>
    new Promise((resolve) => {
      // Under the same memory limit as a render (engine/memory-limit.ts); a wrapper-less machine starts nothing.
      let bounded;
      try {
        bounded = withMemoryLimit(options.helmBin, args, DEFAULT_MEMORY_LIMIT_MIB);
      } catch (error) {
        resolve({ ok: false, stderr: error instanceof Error ? error.message : String(error) });
        return;
      }
      const child = execFile(
        bounded.file,
        bounded.args,
        { env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 4 * 1024 * 1024 },
        (error, _stdout, stderr) => {
          resolve({
            ok: error === null,
            stderr: error === null ? '' : stderr || error.message,
            ...(error?.code === undefined || error.code === null ? {} : { exitCode: error.code }),
          });
        },
      );
      child.stdin?.end();
    });
}

/** helm pull's TLS flags for the source (an anonymous pull: a source with a password never reaches helm). */
async function tlsFlags(dir: string, source: ChartSourceCredentials | undefined): Promise<string[]> {
  const flags: string[] = [];
  if (source?.caPem !== undefined) {
    const ca = join(dir, 'ca.pem');
    await writeFile(ca, source.caPem, { mode: 0o600 });
    flags.push(`--ca-file=${ca}`);
  }
  if (source?.insecureSkipTlsVerify === true) flags.push('--insecure-skip-tls-verify');
  if (source?.plainHttp === true) flags.push('--plain-http');
  return flags;
}
