import type { V1APIGroupList, V1APIResourceList, V1APIVersions, VersionInfo } from '@kubernetes/client-node';
import { clientNode } from './client-node.js';
import { KubeError, KubeErrorCode } from './errors.js';
import { parseApiVersion, type ResourceInfo } from './refs.js';
import type { Transport } from './transport.js';

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
  private readonly cache = new Map<string, Promise<V1APIResourceList | undefined>>();

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
   * /apis failing fails the call.
   */
  async apiVersions(): Promise<string[]> {
    const [core, groups] = await Promise.all([
      this.transport.get<V1APIVersions>('/api'),
      this.transport.get<V1APIGroupList>('/apis'),
    ]);
    const groupVersions = [
      ...core.versions.map((version) => ({ group: '', version, apiVersion: version })),
      ...groups.groups.flatMap((g) =>
        g.versions.map((v) => ({ group: g.name, version: v.version, apiVersion: v.groupVersion })),
      ),
    ];
    // A group whose server does not answer (an aggregated API such as metrics.k8s.io with its Service down)
    // still counts as served, without kinds: Helm ignores such group discovery failures too.
    const lists = await Promise.all(
      groupVersions.map((gv) => this.document(gv.group, gv.version, gv.apiVersion).catch(() => undefined)),
    );
    const out = new Set<string>();
    groupVersions.forEach((gv, index) => {
      out.add(gv.apiVersion);
      for (const r of lists[index]?.resources ?? []) out.add(`${gv.apiVersion}/${r.kind}`);
    });
    return [...out].sort();
  }

  invalidate(): void {
    this.cache.clear();
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
      this.cache.delete(apiVersion);
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

  private document(group: string, version: string, key: string): Promise<V1APIResourceList | undefined> {
    let pending = this.cache.get(key);
    if (!pending) {
      pending = this.transport
        .json<V1APIResourceList>(clientNode().HttpMethod.GET, groupVersionPath(group, version))
        .then((r) => r.value)
        .catch((error: unknown) => {
          if (error instanceof KubeError && error.code === KubeErrorCode.NotFound) return undefined;
          throw error;
        });
      // Failures (network, 5xx) must not be remembered; a 404 (no such group/version yet) is, until a miss
      // or invalidate() refreshes it.
      pending.catch(() => {
        if (this.cache.get(key) === pending) this.cache.delete(key);
      });
      this.cache.set(key, pending);
    }
    return pending;
  }
}

function find(list: V1APIResourceList | undefined, kind: string) {
  // Subresources (deployments/status, deployments/scale) share or reuse kinds; only top-level names map.
  return list?.resources.find((r) => r.kind === kind && !r.name.includes('/'));
}
