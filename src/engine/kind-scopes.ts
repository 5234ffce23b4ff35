// Which kinds live outside namespaces. The inventory keys an object before it is applied, so an object written
// without a namespace needs its kind's scope first: a built-in kind is known by name (order.ts), a custom kind
// by its CRD when the same pack brings it, or else by discovery (a CRD installed before, such as cert-manager's
// ClusterIssuer). A CRD's scope cannot change, so what is learnt is kept for the runner's life.
import type { KubeApi } from '../kube/index.js';
import type { KubeObject } from '../profile/index.js';
import { apiGroup } from '../shared/refs.js';
import { CLUSTER_SCOPED, isCrd } from './order.js';

export class KindScopes {
  /** `group/Kind` of the custom kinds known to be cluster-scoped. */
  private readonly cluster = new Set<string>();

  isClusterScoped(apiVersion: string, kind: string): boolean {
    return CLUSTER_SCOPED.has(kind) || this.cluster.has(`${apiGroup(apiVersion)}/${kind}`);
  }

  /**
   * Learns the scope of every kind of `objects` written without a namespace: from the CRDs among them, then
   * from discovery. A kind discovery does not serve yet stays namespaced here; applying it names the cause.
   */
  async learn(objects: readonly KubeObject[], kube: Pick<KubeApi, 'resourceFor'>): Promise<void> {
    const defined = new Set<string>();
    for (const crd of objects.filter(isCrd)) {
      const spec = (crd as { spec?: { group?: unknown; scope?: unknown; names?: { kind?: unknown } } }).spec;
      if (typeof spec?.group !== 'string' || typeof spec.names?.kind !== 'string') continue;
      const key = `${spec.group}/${spec.names.kind}`;
      defined.add(key);
      if (spec.scope === 'Cluster') this.cluster.add(key);
    }
    const unknown = new Map<string, { apiVersion: string; kind: string }>();
    for (const { apiVersion, kind, metadata } of objects) {
      const key = `${apiGroup(apiVersion)}/${kind}`;
      if (metadata.namespace || CLUSTER_SCOPED.has(kind) || this.cluster.has(key) || defined.has(key))
        continue;
      unknown.set(key, { apiVersion, kind });
    }
    await Promise.all(
      [...unknown].map(async ([key, { apiVersion, kind }]) => {
        try {
          if (!(await kube.resourceFor(apiVersion, kind)).namespaced) this.cluster.add(key);
        } catch {
          // Not served (yet): the apply of such an object retries and, failing, says why.
        }
      }),
    );
  }
}
