// Fetching one remote chart with the real helm, as a user would: `helm repo add` + `helm pull` for a Helm
// repository, `helm registry login` + `helm pull oci://…` for an OCI registry. Each fetch runs in its own
// temporary HELM_* folders (the hub's and the user's Helm set-up are never read or written), passwords go in on
// stdin (never in argv, where `ps` would show them), and a failure is classified (401, 404, TLS, …) rather
// than echoing what the remote said: a remote's answer is not ours to show.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkOutbound, type AddressRange } from '../kube/index.js';
import { ChartSourceKind, type ChartSource } from '../profile/index.js';
import type { ChartSourceCredentials } from '../store/index.js';
import { bySemver, indexEntries } from './chart-index.js';

export type RemoteChart = Exclude<ChartSource, { kind: typeof ChartSourceKind.Local }>;

export type FetchResult =
  | { readonly ok: true; readonly archive: Buffer }
  /** `cause`: what went wrong, classified (never the remote's own text); `versions`: when the version is unknown. */
  | { readonly ok: false; readonly cause: string; readonly versions?: readonly string[] };

/** A step before the archive is read: ok, or the failure to report. */
type Pulled = { readonly ok: true } | Extract<FetchResult, { ok: false }>;

export interface FetchOptions {
  readonly helmBin: string;
  /** Address ranges the hub does not contact (STRATA_OUTBOUND_DENY): a chart URL from an index is checked too. */
  readonly deny: ReadonlySet<AddressRange>;
  /** The source whose URL prefixes the chart's, with its credentials; undefined: anonymous. */
  readonly source?: ChartSourceCredentials;
  readonly timeoutMs?: number;
}

/** Where the chart lives, as a URL (an OCI reference as `oci://…`). */
export function chartLocation(chart: RemoteChart): string {
  return chart.kind === ChartSourceKind.Repo ? chart.repo : chart.ref;
}

/**
 * The outbound policy for the chart's own URL, checked again at every fetch and listing: its name was checked
 * when the profile was published, and may resolve elsewhere by now. (Helm resolves names and follows redirects
 * itself, so this narrows, not closes, the window: see the README's outbound policy.)
 */
async function refusedLocation(
  chart: RemoteChart,
  deny: ReadonlySet<AddressRange>,
): Promise<string | undefined> {
  const refusal = await checkOutbound(chartLocation(chart).replace(/^oci:\/\//, 'https://'), deny);
  return refusal === undefined
    ? undefined
    : `${chartLocation(chart)} resolves to ${refusal.address}, in the ${refusal.range} range the hub does not contact`;
}

export async function fetchChart(chart: RemoteChart, options: FetchOptions): Promise<FetchResult> {
  const refused = await refusedLocation(chart, options.deny);
  if (refused !== undefined) return { ok: false, cause: refused };
  const dir = await mkdtemp(join(tmpdir(), 'strata-chart-fetch-'));
  try {
    const helm = helmIn(dir, options);
    const tls = await tlsFlags(dir, options.source);
    const out = join(dir, 'out');
    await mkdir(out);
    const pulled =
      chart.kind === ChartSourceKind.Repo
        ? await fetchFromRepo(chart, { helm, tls, out, dir, ...options })
        : await fetchFromOci(chart, { helm, tls, out, ...options });
    if (!pulled.ok) return pulled;
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
    await rm(dir, { recursive: true, force: true });
  }
}

interface Step {
  readonly helm: HelmIn;
  readonly tls: TlsFlags;
  readonly out: string;
}

async function fetchFromRepo(
  chart: Extract<RemoteChart, { kind: typeof ChartSourceKind.Repo }>,
  step: Step & FetchOptions & { dir: string },
): Promise<Pulled> {
  const source = step.source;
  const login = source?.username === undefined ? [] : [`--username=${source.username}`, '--password-stdin'];
  const added = await step.helm(
    ['repo', 'add', ...login, ...step.tls.repo, '--', 'source', chart.repo],
    source?.password ?? '',
  );
  if (!added.ok) return { ok: false, cause: classify(added.stderr) };
  // The index helm just downloaded: which versions exist, so an unknown one is named with its alternatives.
  const entries = await indexEntries(step.dir, chart.name);
  if (typeof entries === 'string') return { ok: false, cause: entries };
  const versions = entries.flatMap((e) => (typeof e.version === 'string' ? [e.version] : []));
  if (versions.length === 0)
    return { ok: false, cause: `404 Not Found: no chart "${chart.name}" in the repository's index` };
  const entry = entries.find((e) => e.version === chart.version);
  if (entry === undefined)
    return { ok: false, cause: `version ${chart.version} not found`, versions: bySemver(versions) };
  // The index names where the archive is: any URL, so the outbound policy applies to it as to the repository.
  const urls = Array.isArray(entry.urls) ? entry.urls : [];
  for (const url of urls) {
    const href =
      typeof url === 'string' ? URL.parse(url, `${chart.repo.replace(/\/+$/, '')}/`)?.href : undefined;
    if (href === undefined)
      return { ok: false, cause: `the index's entry for version ${chart.version} has an invalid URL` };
    const refusal = await checkOutbound(href, step.deny);
    if (refusal !== undefined)
      return {
        ok: false,
        cause: `the index points at ${refusal.address}, in the ${refusal.range} range the hub does not contact`,
      };
  }
  const pulled = await step.helm(
    [
      'pull',
      `--version=${chart.version}`,
      `--destination=${step.out}`,
      ...step.tls.repo,
      '--',
      `source/${chart.name}`,
    ],
    '',
  );
  return pulled.ok ? { ok: true } : { ok: false, cause: classify(pulled.stderr) };
}

async function fetchFromOci(
  chart: Extract<RemoteChart, { kind: typeof ChartSourceKind.Oci }>,
  step: Step & FetchOptions,
): Promise<Pulled> {
  const source = step.source;
  const host = new URL(chart.ref.replace(/^oci:\/\//, 'https://')).host;
  if (source?.username !== undefined) {
    const login = await step.helm(
      [
        'registry',
        'login',
        `--username=${source.username}`,
        '--password-stdin',
        ...step.tls.login,
        '--',
        host,
      ],
      source.password ?? '',
    );
    if (!login.ok) return { ok: false, cause: classify(login.stderr) };
  }
  const pulled = await step.helm(
    ['pull', `--version=${chart.version}`, `--destination=${step.out}`, ...step.tls.oci, '--', chart.ref],
    '',
  );
  if (pulled.ok) return { ok: true };
  const cause = classify(pulled.stderr);
  if (!cause.startsWith('404')) return { ok: false, cause };
  const tags = await ociTags(chart.ref, source, step.deny).catch(() => undefined);
  if (tags === undefined || tags.length === 0) return { ok: false, cause };
  // Helm stores a chart version's `+` as `_` in the tag (OCI tags cannot hold `+`).
  const versions = tags.map((t) => t.replaceAll('_', '+'));
  return { ok: false, cause: `version ${chart.version} not found`, versions: bySemver(versions) };
}

/** A remote chart archive is stored like a bundle's chart, so it is bounded the same way. */
export const MAX_CHART_ARCHIVE_BYTES = 20 * 1024 * 1024;

/** Every version of the chart its source has now (repository index or registry tags), oldest first. */
export async function listChartVersions(
  chart: RemoteChart,
  options: FetchOptions,
): Promise<
  { readonly ok: true; readonly versions: string[] } | { readonly ok: false; readonly cause: string }
> {
  const refused = await refusedLocation(chart, options.deny);
  if (refused !== undefined) return { ok: false, cause: refused };
  if (chart.kind === ChartSourceKind.Oci) {
    const tags = await ociTags(chart.ref, options.source, options.deny).catch((error: unknown) =>
      classify(error instanceof Error ? error.message : String(error)),
    );
    if (typeof tags === 'string') return { ok: false, cause: tags };
    return { ok: true, versions: bySemver(tags.map((t) => t.replaceAll('_', '+'))) };
  }
  const dir = await mkdtemp(join(tmpdir(), 'strata-chart-versions-'));
  try {
    const helm = helmIn(dir, options);
    const tls = await tlsFlags(dir, options.source);
    const source = options.source;
    const login = source?.username === undefined ? [] : [`--username=${source.username}`, '--password-stdin'];
    const added = await helm(
      ['repo', 'add', ...login, ...tls.repo, '--', 'source', chart.repo],
      source?.password ?? '',
    );
    if (!added.ok) return { ok: false, cause: classify(added.stderr) };
    const entries = await indexEntries(dir, chart.name);
    if (typeof entries === 'string') return { ok: false, cause: entries };
    const versions = entries.flatMap((e) => (typeof e.version === 'string' ? [e.version] : []));
    return { ok: true, versions: bySemver(versions) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What went wrong, from helm's message, in our words: never the remote's body. */
export function classify(stderr: string): string {
  const text = stderr;
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

type HelmIn = (args: string[], stdin: string) => Promise<{ ok: boolean; stderr: string }>;

/** helm with every folder it reads or writes inside `dir`. */
function helmIn(dir: string, options: FetchOptions): HelmIn {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    HELM_CONFIG_HOME: join(dir, 'config'),
    HELM_CACHE_HOME: join(dir, 'cache'),
    HELM_DATA_HOME: join(dir, 'data'),
    HELM_REGISTRY_CONFIG: join(dir, 'registry.json'),
    HELM_REPOSITORY_CONFIG: join(dir, 'repositories.yaml'),
    HELM_REPOSITORY_CACHE: join(dir, 'cache', 'repository'),
  };
  return (args, stdin) =>
    new Promise((resolve) => {
      const child = execFile(
        options.helmBin,
        args,
        { env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 4 * 1024 * 1024 },
        (error, _stdout, stderr) => {
          resolve({ ok: error === null, stderr: error === null ? '' : stderr || error.message });
        },
      );
      child.stdin?.end(stdin);
    });
}

interface TlsFlags {
  readonly repo: readonly string[];
  readonly login: readonly string[];
  readonly oci: readonly string[];
}

async function tlsFlags(dir: string, source: ChartSourceCredentials | undefined): Promise<TlsFlags> {
  const repo: string[] = [];
  const login: string[] = [];
  const oci: string[] = [];
  if (source?.caPem !== undefined) {
    const ca = join(dir, 'ca.pem');
    await writeFile(ca, source.caPem, { mode: 0o600 });
    for (const flags of [repo, login, oci]) flags.push(`--ca-file=${ca}`);
  }
  if (source?.insecureSkipTlsVerify === true) {
    repo.push('--insecure-skip-tls-verify');
    oci.push('--insecure-skip-tls-verify');
    login.push('--insecure');
  }
  if (source?.plainHttp === true) {
    oci.push('--plain-http');
    login.push('--plain-http');
  }
  return { repo, login, oci };
}

/**
 * The tags of an OCI repository (the distribution API's tags list), with the source's credentials: Basic
 * first, then a bearer token from the registry's token service when it asks for one (RFC 6750 challenge).
 */
async function ociTags(
  ref: string,
  source: ChartSourceCredentials | undefined,
  deny: ReadonlySet<AddressRange>,
): Promise<string[]> {
  const url = new URL(ref.replace(/^oci:\/\//, source?.plainHttp === true ? 'http://' : 'https://'));
  const list = new URL(`/v2${url.pathname}/tags/list`, url);
  const basic =
    source?.username === undefined
      ? undefined
      : `Basic ${Buffer.from(`${source.username}:${source.password ?? ''}`).toString('base64')}`;
  let answer = await get(list, basic, source);
  const challenge = answer.headers['www-authenticate'];
  if (answer.status === 401 && typeof challenge === 'string' && /^Bearer /i.test(challenge)) {
    const params = Object.fromEntries(
      [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']),
    );
    if (params.realm === undefined) return [];
    const tokenUrl = new URL(params.realm);
    if ((await checkOutbound(tokenUrl.href, deny)) !== undefined) return [];
    if (params.service !== undefined) tokenUrl.searchParams.set('service', params.service);
    if (params.scope !== undefined) tokenUrl.searchParams.set('scope', params.scope);
    const token = await get(tokenUrl, basic, source);
    if (token.status !== 200) throw new Error(`token service answered ${token.status}`);
    const body = JSON.parse(token.body) as { token?: string; access_token?: string };
    const bearer = body.token ?? body.access_token;
    if (bearer === undefined) return [];
    answer = await get(list, `Bearer ${bearer}`, source);
  }
  // Only the status is kept: the registry's body is not ours to show.
  if (answer.status !== 200) throw new Error(`tags list answered ${answer.status}`);
  const tags = (JSON.parse(answer.body) as { tags?: unknown }).tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
}

function get(
  url: URL,
  authorization: string | undefined,
  source: ChartSourceCredentials | undefined,
): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    const request = url.protocol === 'http:' ? httpRequest : httpsRequest;
    const req = request(
      url,
      {
        method: 'GET',
        timeout: 15_000,
        headers: authorization === undefined ? {} : { authorization },
        ...(url.protocol === 'https:'
          ? {
              ...(source?.caPem === undefined ? {} : { ca: source.caPem }),
              rejectUnauthorized: source?.insecureSkipTlsVerify !== true,
            }
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > 1024 * 1024) req.destroy(new Error('tags list over 1 MiB'));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}
