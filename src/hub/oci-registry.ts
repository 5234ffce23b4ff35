// An OCI registry read by the hub itself (the distribution API's pull path), every request through guardedGet:
// its tags list (which versions exist), and, when helm cannot be trusted with the outbound policy, the chart
// itself. Helm (Go) connects to `localhost` and loopback literals without the guarded proxy (outbound-proxy.ts),
// so when loopback is denied a registry's redirect there would reach the hub's own services: then the hub pulls
// the manifest and the chart layer itself, redirects followed and checked hop by hop, the layer's digest checked.
// Credentials (Basic, or a bearer token from the registry's token service: RFC 6750 challenge) go to the
// registry's origin (and Basic to its token service) only, never to a blob store a redirect names.
import { createHash } from 'node:crypto';
import type { ChartSourceCredentials } from '../store/index.js';
import { guardedGet, type GuardedAnswer, type GuardedGetOptions } from './guarded-http.js';

/** The policy and TLS settings for every request (guardedGet's options without what is per request). */
export type RegistryGuard = Omit<GuardedGetOptions, 'what' | 'maxBytes' | 'credentials' | 'accept'>;

/** Helm's media types for a chart in a registry (helm.sh/helm/v3/pkg/registry/constants.go). */
const CHART_LAYER = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
const LEGACY_CHART_LAYER = 'application/tar+gzip';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** One registry repository (`oci://host/path`), its requests authenticated the way the registry asks. */
class Repository {
  readonly base: URL;
  private readonly basic: string | undefined;
  private bearer: string | undefined;

  constructor(
    ref: string,
    private readonly source: ChartSourceCredentials | undefined,
    private readonly guard: RegistryGuard,
  ) {
    this.base = new URL(ref.replace(/^oci:\/\//, source?.plainHttp === true ? 'http://' : 'https://'));
    this.basic =
      source?.username === undefined
        ? undefined
        : `Basic ${Buffer.from(`${source.username}:${source.password ?? ''}`).toString('base64')}`;
  }

  /** `/v2/<repository>/<path>`, with a bearer token fetched once when the registry asks for one. */
  async get(
    path: string,
    options: { what: string; maxBytes: number; accept?: string },
  ): Promise<GuardedAnswer | string> {
    const url = new URL(`/v2${this.base.pathname}/${path}`, this.base);
    let answer = await this.send(url, options);
    // Only the registry's own challenge is answered: a blob store a redirect names must not get to choose
    // where the source's password goes.
    const challenge =
      answer.ok && new URL(answer.url).origin === this.base.origin
        ? answer.headers['www-authenticate']
        : undefined;
    if (answer.ok && answer.status === 401 && typeof challenge === 'string' && /^Bearer /i.test(challenge)) {
      const token = await this.token(challenge);
      if (typeof token === 'string' && token.startsWith('!')) return token.slice(1);
      if (token === undefined) return answer;
      this.bearer = token;
      answer = await this.send(url, options);
    }
    return answer;
  }

  private send(url: URL, options: { what: string; maxBytes: number; accept?: string }) {
    const authorization = this.bearer === undefined ? this.basic : `Bearer ${this.bearer}`;
    return guardedGet(url.href, {
      ...this.guard,
      ...options,
      ...(authorization === undefined ? {} : { credentials: { origin: url.origin, authorization } }),
    });
  }

  /** A bearer token from the challenge's realm; `!cause` when the token service failed, undefined: none given. */
  private async token(challenge: string): Promise<string | undefined> {
    const params = Object.fromEntries(
      [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']),
    );
    const realm = params.realm === undefined ? null : URL.parse(params.realm);
    if (realm === null) return undefined;
    if (params.service !== undefined) realm.searchParams.set('service', params.service);
    if (params.scope !== undefined) realm.searchParams.set('scope', params.scope);
    // Else the token is asked for anonymously (public repositories still read).
    const withPassword = passwordMayGoTo(realm, this.base);
    const answer = await guardedGet(realm.href, {
      ...this.guard,
      what: 'registry token',
      maxBytes: 1024 * 1024,
      ...(this.basic === undefined || !withPassword
        ? {}
        : { credentials: { origin: realm.origin, authorization: this.basic } }),
    });
    if (!answer.ok) return `!${answer.cause}`;
    if (answer.status !== 200) return `!${statusCause(answer.status)}`;
    const body = parseJson(answer.body) as { token?: unknown; access_token?: unknown } | undefined;
    const bearer = body?.token ?? body?.access_token;
    return typeof bearer === 'string' ? bearer : undefined;
  }
}

/**
 * Token services that a registry on another host is documented to use: Docker Hub's registry answers with
 * `realm="https://auth.docker.io/token"` (https://distribution.github.io/distribution/spec/auth/token/).
 */
const KNOWN_TOKEN_SERVICES: ReadonlyMap<string, readonly string[]> = new Map([
  ['auth.docker.io', ['registry-1.docker.io', 'docker.io', 'index.docker.io', 'registry.hub.docker.com']],
]);

/**
 * Whether a source's password may go to the token service a registry's challenge names (review 8, "oci-registry
 * .ts:80"). Docker, oras-go and so helm send it to whatever realm the registry names; Strata keeps a source's
 * credentials to its own registry (as it does for a repository's redirects): the realm must be on the
 * registry's host (any port) over TLS, or be the registry's own origin, or be a token service the registry is
 * documented to use (KNOWN_TOKEN_SERVICES). Otherwise a registry host shared by path (a proxy in front of
 * several backends) would let one backend send the password to any host it names.
 */
export function passwordMayGoTo(realm: URL, registry: URL): boolean {
  if (realm.origin === registry.origin) return true;
  if (realm.protocol !== 'https:') return false;
  if (realm.hostname === registry.hostname) return true;
  return KNOWN_TOKEN_SERVICES.get(realm.hostname)?.includes(registry.hostname) === true;
}

/** The tags of the repository (the distribution API's tags list), or the classified cause. */
export async function ociTags(
  ref: string,
  source: ChartSourceCredentials | undefined,
  guard: RegistryGuard,
): Promise<string[] | string> {
  const answer = await new Repository(ref, source, guard).get('tags/list', {
    what: 'tags list',
    maxBytes: 1024 * 1024,
  });
  if (typeof answer === 'string') return answer;
  if (!answer.ok) return answer.cause;
  // Only the status is kept: the registry's body is not ours to show.
  if (answer.status !== 200) return statusCause(answer.status);
  const tags = (parseJson(answer.body) as { tags?: unknown } | undefined)?.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
}

export type Pulled =
  | { readonly ok: true; readonly archive: Buffer }
  | { readonly ok: false; readonly cause: string; readonly notFound?: boolean };

/** The chart archive of `version` (helm's tag: `+` written `_`), its digest checked against the manifest. */
export async function pullOciChart(
  ref: string,
  version: string,
  options: { source: ChartSourceCredentials | undefined; guard: RegistryGuard; maxBytes: number },
): Promise<Pulled> {
  const repository = new Repository(ref, options.source, options.guard);
  const manifest = await repository.get(`manifests/${version.replaceAll('+', '_')}`, {
    what: 'chart manifest',
    maxBytes: 4 * 1024 * 1024,
    accept: OCI_MANIFEST,
  });
  if (typeof manifest === 'string') return { ok: false, cause: manifest };
  if (!manifest.ok) return manifest;
  if (manifest.status !== 200)
    return { ok: false, cause: statusCause(manifest.status), notFound: manifest.status === 404 };
  const layers = (parseJson(manifest.body) as { layers?: unknown } | undefined)?.layers;
  const layer = (Array.isArray(layers) ? (layers as unknown[]) : []).find(
    (l): l is { mediaType: string; digest: string; size?: unknown } =>
      typeof l === 'object' &&
      l !== null &&
      'mediaType' in l &&
      (l.mediaType === CHART_LAYER || l.mediaType === LEGACY_CHART_LAYER) &&
      'digest' in l &&
      typeof l.digest === 'string' &&
      /^sha256:[0-9a-f]{64}$/.test(l.digest),
  );
  if (layer === undefined)
    return { ok: false, cause: `${ref}:${version} is not a Helm chart (no chart layer)` };
  if (typeof layer.size === 'number' && layer.size > options.maxBytes) {
    return {
      ok: false,
      cause: `the chart archive is ${layer.size} bytes; the limit is ${options.maxBytes} (as for a profile bundle)`,
    };
  }
  const blob = await repository.get(`blobs/${layer.digest}`, {
    what: 'chart archive',
    maxBytes: options.maxBytes,
  });
  if (typeof blob === 'string') return { ok: false, cause: blob };
  if (!blob.ok) return blob;
  if (blob.status !== 200) return { ok: false, cause: statusCause(blob.status) };
  const digest = `sha256:${createHash('sha256').update(blob.body).digest('hex')}`;
  if (digest !== layer.digest) {
    return {
      ok: false,
      cause: `the chart archive's digest is ${digest}, not the ${layer.digest} its manifest gives`,
    };
  }
  return { ok: true, archive: blob.body };
}

const parseJson = (body: Buffer): unknown => {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
};

/** A registry's HTTP status in the words classify (chart-fetch.ts) uses for helm's. */
function statusCause(status: number): string {
  if (status === 401) return '401 Unauthorized (wrong or missing username or password)';
  if (status === 403) return '403 Forbidden';
  if (status === 404) return '404 Not Found';
  if (status >= 500 && status <= 599) return `server error ${status}`;
  return 'the chart could not be fetched';
}
