import type { V1APIResourceList, VersionInfo } from '@kubernetes/client-node';
import { clientNode } from './client-node.js';
import { KubeError, KubeErrorCode } from './errors.js';
import { parseApiVersion, type ResourceInfo } from './refs.js';
import { shownUrl } from './shown-url.js';
import type { Transport } from './transport.js';

/*
 * Bounds on what discovery takes from an API server (review 16, item 3: a /apis listing 2,000 groups gave 42,021
 * `--api-versions` flags, 2.4 MiB of helm arguments, more than Linux lets a program start with; 20,000 groups
 * stalled the hub for minutes). Each is sized well above real clusters, so only a broken or hostile server
 * meets it: Kubernetes 1.34 serves about 25 groups itself, and a big cluster with many operators about 100-300
 * (Crossplane's AWS provider family alone adds about 150); a group serves one to three versions; the core
 * v1 document, the largest built-in, lists about 60 resources and subresources, the largest CRD groups a few
 * hundred; a big cluster's whole answer is a few thousand versions and kinds.
 */
/** Groups listed by /apis. */
export const DISCOVERY_MAX_GROUPS = 1000;
/** Group versions listed by /api and /apis: each is one document request. */
export const DISCOVERY_MAX_GROUP_VERSIONS = 2000;
/** Resources (subresources included) in one group version's document. */
export const DISCOVERY_MAX_RESOURCES = 2000;
/**
 * Resources kept in the cache of one cluster's documents, all versions together (a big real cluster: a few
 * thousand; above DISCOVERY_MAX_API_VERSIONS, which counts kinds, not subresources). Only each resource's name, kind and scope are kept, and a name or kind longer than
 * DISCOVERY_MAX_NAME is refused (Kubernetes' own are DNS names, at most 253): review 17, item 2, 40 documents
 * padded with 8 MiB each were cached whole, +324 MiB of the hub's heap for the cluster's life.
 */
export const DISCOVERY_MAX_CACHED_RESOURCES = 50_000;
export const DISCOVERY_MAX_NAME = 253;

/** What the cache keeps of a resource of a group version's document. */
interface DiscoveredResource {
  readonly name: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

/** What the cache keeps of a group version's document. */
interface DiscoveredDocument {
  readonly resources: readonly DiscoveredResource[];
}
/** Served versions and kinds in all: each is one `--api-versions` flag of every helm render on the cluster. */
export const DISCOVERY_MAX_API_VERSIONS = 20_000;
/**
 * Group version documents asked for at once: the API server answers each from memory in milliseconds, so a few
 * hundred groups still take well under a second, and the hub's HTTP pool never queues thousands of requests.
 */
export const DISCOVERY_CONCURRENCY = 8;
/**
 * How long discovery goes on starting document requests. Fetched 8 at a time, a server that answers each
 * document just inside the 30 s request deadline would hold a render for hours (2,000 / 8 × 30 s); a real
 * cluster takes seconds, or about 30 s when an aggregated API hangs (its group then counts as served without
 * kinds). Past it no request is started, and the call fails with a retryable Timeout once those running end.
 */
export const DISCOVERY_DEADLINE_MS = 120_000;

/** The URL prefix of a group/version: `/api/v1` for the core group, `/apis/<group>/<version>` otherwise. */
export function groupVersionPath(group: string, version: string): string {
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
}

/**
 * Discovery and REST mapping, one group/version document at a time, cached. A kind missing from a cached
 * document triggers one fresh fetch of that document before UnknownKind: a CRD established since the cache was
 * filled then maps at once (client-go's DeferredDiscoveryRESTMapper does the same on a miss).
 */
export class Discovery {
  private readonly cache = new Map<string, Promise<DiscoveredDocument | undefined>>();
  /** Resources in the cached documents (DISCOVERY_MAX_CACHED_RESOURCES), each counted while its entry is kept. */
  private cachedResources = 0;
  private readonly counted = new Map<Promise<DiscoveredDocument | undefined>, number>();

  constructor(private readonly transport: Transport) {}

  /** The API server's version (GET /version), e.g. `v1.34.1`. */
  async serverVersion(): Promise<string> {
    return (await this.transport.get<VersionInfo>('/version')).gitVersion;
  }

  /**
   * Every served group/version and group/version/Kind, as Helm's GetVersionSet lists them for
   * `.Capabilities.APIVersions` (helm/helm pkg/action/action.go): each group's versions, and the kind of every
   * resource of each, subresources included. Served means listed by /api and /apis now, so a CRD's group
   * appears once it is Established; the per-version documents come from this cache. Only /version, /api and
   * /apis failing fails the call, or an answer past the DISCOVERY_MAX_* bounds (an Invalid KubeError naming the
   * server and the count: the server is broken or hostile, and retrying would not change its answer), or the
   * documents taking longer than DISCOVERY_DEADLINE_MS (a retryable Timeout).
   *
   * At most DISCOVERY_CONCURRENCY documents are asked for at once (review 16, item 3: all of 20,000 groups at
   * once stalled the hub's event loop 122 s in undici's queue, and 448 connections were open at 2,000).
   */
  async apiVersions(): Promise<string[]> {
    const [core, groups] = await Promise.all([
      this.transport.get<unknown>('/api'),
      this.transport.get<unknown>('/apis'),
    ]);
    const server = shownUrl(this.transport.server);
    const groupVersions = servedGroupVersions(server, core, groups);
    // A group whose server does not answer (an aggregated API such as metrics.k8s.io with its Service down)
    // still counts as served, without kinds: Helm ignores such group discovery failures too. A document past
    // the bounds fails the whole call.
    const out = new Set(groupVersions.map((gv) => gv.apiVersion));
    const deadline = Date.now() + DISCOVERY_DEADLINE_MS;
    let answered = 0;
    // Counted as the documents come, so a server past the bound is stopped at it, not after every document.
    await inTurns(groupVersions, DISCOVERY_CONCURRENCY, async (gv) => {
      if (Date.now() > deadline) {
        throw new KubeError(
          KubeErrorCode.Timeout,
          `the API server at ${server} answered ${String(answered)} of ${String(groupVersions.length)} API group ` +
            `version documents in ${String(DISCOVERY_DEADLINE_MS / 1000)} s, the longest discovery takes`,
        );
      }
      const list = await this.document(gv.group, gv.version, gv.apiVersion).catch((error: unknown) => {
        if (error instanceof OverLimit) throw error;
        return undefined;
      });
      answered++;
      for (const r of list?.resources ?? []) out.add(`${gv.apiVersion}/${r.kind}`);
      if (out.size > DISCOVERY_MAX_API_VERSIONS) {
        throw overLimit(
          `the API server at ${server} serves more than ${String(DISCOVERY_MAX_API_VERSIONS)} API versions and ` +
            'kinds, the most the hub passes helm (a large real cluster has a few thousand)',
        );
      }
    });
    return [...out].sort();
  }

  invalidate(): void {
    this.cache.clear();
    this.counted.clear();
    this.cachedResources = 0;
  }

  /** Drops `key`'s document from the cache if it is still `entry`, and its resources from the count. */
  private forget(key: string, entry: Promise<DiscoveredDocument | undefined>): void {
    if (this.cache.get(key) === entry) this.cache.delete(key);
    this.cachedResources -= this.counted.get(entry) ?? 0;
    this.counted.delete(entry);
  }

  async resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const { group, version } = parseApiVersion(apiVersion);
    if (!version || !kind) {
      throw new KubeError(
        KubeErrorCode.Invalid,
        `apiVersion "${apiVersion}" and kind "${kind}" must both be set`,
      );
    }
    const cached = this.cache.has(apiVersion);
    let found = find(await this.document(group, version, apiVersion), kind);
    if (!found && cached) {
      const entry = this.cache.get(apiVersion);
      if (entry) this.forget(apiVersion, entry);
      found = find(await this.document(group, version, apiVersion), kind);
    }
    if (!found) {
      const list = await this.document(group, version, apiVersion);
      const why = list
        ? `the server knows apiVersion "${apiVersion}" but not its kind "${kind}"`
        : `the server does not serve apiVersion "${apiVersion}"`;
      throw new KubeError(
        KubeErrorCode.UnknownKind,
        `no kind "${kind}" in "${apiVersion}": ${why} (is its CRD installed and Established?)`,
      );
    }
    const list = await this.document(group, version, apiVersion);
    const statusSubresource = list?.resources.some((r) => r.name === `${found.name}/status`) ?? false;
    return { group, version, kind, resource: found.name, namespaced: found.namespaced, statusSubresource };
  }

  private document(group: string, version: string, key: string): Promise<DiscoveredDocument | undefined> {
    let pending = this.cache.get(key);
    if (!pending) {
      const entry: Promise<DiscoveredDocument | undefined> = this.transport
        .json<V1APIResourceList>(clientNode().HttpMethod.GET, groupVersionPath(group, version))
        .then(({ value }) => {
          const kept = this.kept(value, key);
          // Counted only while this answer is still the cached one (an invalidate() may have come between).
          if (this.cache.get(key) === entry) {
            this.counted.set(entry, kept.resources.length);
            this.cachedResources += kept.resources.length;
            if (this.cachedResources > DISCOVERY_MAX_CACHED_RESOURCES) {
              throw overLimit(
                `the API server at ${shownUrl(this.transport.server)} serves more than ` +
                  `${String(DISCOVERY_MAX_CACHED_RESOURCES)} resources in all; the hub keeps at most that many ` +
                  '(a large real cluster has a few thousand)',
              );
            }
          }
          return kept;
        })
        .catch((error: unknown) => {
          if (error instanceof KubeError && error.code === KubeErrorCode.NotFound) return undefined;
          throw error;
        });
      // Failures (network, 5xx, an answer past the bounds) must not be remembered; a 404 (no such group/version
      // yet) is, until a miss or invalidate() refreshes it.
      entry.catch(() => {
        this.forget(key, entry);
      });
      this.cache.set(key, entry);
      pending = entry;
    }
    return pending;
  }

  /**
   * What the cache keeps of a document: each resource's name, kind and scope, nothing else the server sent
   * (an answer padded with megabytes of unknown fields is dropped with the parse). A list past
   * DISCOVERY_MAX_RESOURCES, or a name or kind past DISCOVERY_MAX_NAME, is the server's fault.
   */
  private kept(value: V1APIResourceList, key: string): DiscoveredDocument {
    const server = shownUrl(this.transport.server);
    // Every resourceFor of the version scans its list: a list past the bound is the server's fault.
    if (!Array.isArray(value.resources) || value.resources.length > DISCOVERY_MAX_RESOURCES) {
      throw overLimit(
        Array.isArray(value.resources)
          ? `the API server at ${server} lists ${String(value.resources.length)} resources in "${key}"; the hub ` +
              `reads at most ${String(DISCOVERY_MAX_RESOURCES)} per group version`
          : `the API server at ${server} answered "${key}" without a list of resources`,
      );
    }
    return {
      resources: value.resources.map((r) => {
        const name: unknown = r.name;
        const kind: unknown = r.kind;
        const namespaced: unknown = r.namespaced;
        if (
          typeof name !== 'string' ||
          typeof kind !== 'string' ||
          name.length > DISCOVERY_MAX_NAME ||
          kind.length > DISCOVERY_MAX_NAME
        ) {
          throw overLimit(
            `the API server at ${server} lists a resource in "${key}" whose name or kind is not a string of ` +
              `at most ${String(DISCOVERY_MAX_NAME)} characters`,
          );
        }
        return { name, kind, namespaced: namespaced === true };
      }),
    };
  }
}

/**
 * The group versions /api and /apis list, checked as they are read: an answer that is not the documented shape
 * (APIVersions, APIGroupList) or lists more than the bounds fails with an Invalid naming the server and what is
 * wrong (a group list that is not an array was a TypeError deep in this function, naming nothing).
 */
function servedGroupVersions(
  server: string,
  core: unknown,
  apis: unknown,
): { group: string; version: string; apiVersion: string }[] {
  const malformed = (path: string, what: string) =>
    overLimit(`the API server at ${server} answered ${path} with ${what}, not a Kubernetes discovery answer`);
  const coreVersions = isRecord(core) ? core.versions : undefined;
  if (!Array.isArray(coreVersions)) throw malformed('/api', 'no list of versions');
  const groups = isRecord(apis) ? apis.groups : undefined;
  if (!Array.isArray(groups)) throw malformed('/apis', 'no list of groups');
  if (groups.length > DISCOVERY_MAX_GROUPS) {
    throw overLimit(
      `the API server at ${server} lists ${String(groups.length)} API groups; the hub reads at most ` +
        `${String(DISCOVERY_MAX_GROUPS)} (a large real cluster serves a few hundred)`,
    );
  }
  let count = coreVersions.length;
  const listed = groups.map((group: unknown) => {
    const name = isRecord(group) ? group.name : undefined;
    const versions = isRecord(group) ? group.versions : undefined;
    if (!isName(name) || !Array.isArray(versions)) {
      throw malformed('/apis', 'a group that has no name or no list of versions');
    }
    count += versions.length;
    return { name, versions: versions as unknown[] };
  });
  if (count > DISCOVERY_MAX_GROUP_VERSIONS) {
    throw overLimit(
      `the API server at ${server} lists ${String(count)} API group versions; the hub reads at most ` +
        `${String(DISCOVERY_MAX_GROUP_VERSIONS)} (a real group serves one to three)`,
    );
  }
  const out: { group: string; version: string; apiVersion: string }[] = [];
  const add = (group: string, version: unknown, apiVersion: unknown, path: string) => {
    if (!isName(version) || !isName(apiVersion)) {
      throw malformed(
        path,
        `a version that is not a string of at most ${String(DISCOVERY_MAX_NAME)} characters`,
      );
    }
    out.push({ group, version, apiVersion });
  };
  for (const version of coreVersions as unknown[]) add('', version, version, '/api');
  for (const { name, versions } of listed) {
    for (const v of versions) {
      add(name, isRecord(v) ? v.version : undefined, isRecord(v) ? v.groupVersion : undefined, '/apis');
    }
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= DISCOVERY_MAX_NAME;
}

function find(list: DiscoveredDocument | undefined, kind: string) {
  // Subresources (deployments/status, deployments/scale) share or reuse kinds; only top-level names map.
  return list?.resources.find((r) => r.kind === kind && !r.name.includes('/'));
}

/** An answer past a DISCOVERY_MAX_* bound: fails apiVersions() rather than counting as a group that is down. */
class OverLimit extends KubeError {}

function overLimit(message: string): OverLimit {
  return new OverLimit(KubeErrorCode.Invalid, message);
}

/**
 * `task` for every item, at most `concurrency` at a time; the first failure fails the call. Each of the
 * workers takes the next item when its last one is done: linear in the items, with no queue of waiting
 * promises for the HTTP pool to wade through.
 */
async function inTurns<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        await task(items[index] as T);
      } catch (error) {
        // The call fails: the other workers start nothing more.
        next = items.length;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
