// Which kinds live outside namespaces. The inventory keys an object before it is applied, so an object written
// without a namespace needs its kind's scope first: a built-in kind is known by name (order.ts), any other by
// discovery, and a kind discovery does not serve yet (its CRD comes in the same pack) by that CRD's `scope`.
// Discovery's answer is kept (a CRD's scope cannot change); a CRD's text only stands in until discovery
// answers, so a pack shipping a CRD that contradicts the cluster cannot re-key other packs' objects.
import type { KubeApi } from '../kube/index.js';
import type { KubeObject } from '../profile/index.js';
import { apiGroup } from '../shared/refs.js';
import { CLUSTER_SCOPED, isCrd } from './order.js';

export class KindScopes {
  /** `group/Kind` → cluster-scoped, as discovery answered. */
  private readonly discovered = new Map<string, boolean>();
  /** `group/Kind` → cluster-scoped, as a CRD not served yet declares it. */
  private readonly declared = new Map<string, boolean>();

  /** Whether discovery answered that the kind is cluster-scoped (undefined: not asked, or not served then). */
  discoveredClusterScoped(apiVersion: string, kind: string): boolean | undefined {
    return this.discovered.get(`${apiGroup(apiVersion)}/${kind}`);
  }

  isClusterScoped(apiVersion: string, kind: string): boolean {
    if (CLUSTER_SCOPED.has(kind)) return true;
    const key = `${apiGroup(apiVersion)}/${kind}`;
    return this.discovered.get(key) ?? this.declared.get(key) ?? false;
  }

  /**
   * Learns the scope of every kind of `objects` written without a namespace, and of the CRDs among them: from
   * discovery, else from the CRD. A kind neither knows stays namespaced; applying such an object names the cause.
   */
  learn(objects: readonly KubeObject[], kube: Pick<KubeApi, 'resourceFor'>): Promise<void> {
    // Every install asks, and nearly always every kind is known already (built in, or discovered by an
    // earlier pack): answered without a map, a key per object or a promise per call (issue 15).
    if (objects.every((o) => !isCrd(o) && this.known(o))) return KNOWN;
    return this.ask(objects, kube);
  }

  /** Whether the scope of the object's kind is known, or not needed (it names its namespace). */
  private known(object: KubeObject): boolean {
    if (object.metadata.namespace || CLUSTER_SCOPED.has(object.kind)) return true;
    return this.discovered.has(`${apiGroup(object.apiVersion)}/${object.kind}`);
  }

  private async ask(objects: readonly KubeObject[], kube: Pick<KubeApi, 'resourceFor'>): Promise<void> {
    const ask = new Map<string, { apiVersion: string; kind: string }>();
    for (const crd of objects.filter(isCrd)) {
      const spec = (crd as { spec?: { group?: unknown; scope?: unknown; names?: { kind?: unknown } } }).spec;
      const versions = (crd as { spec?: { versions?: { name?: unknown }[] } }).spec?.versions;
      const version = versions?.find((v) => typeof v.name === 'string')?.name;
      if (typeof spec?.group !== 'string' || typeof spec.names?.kind !== 'string') continue;
      const key = `${spec.group}/${spec.names.kind}`;
      this.declared.set(key, spec.scope === 'Cluster');
      if (typeof version === 'string' && !this.discovered.has(key)) {
        ask.set(key, { apiVersion: `${spec.group}/${version}`, kind: spec.names.kind });
      }
    }
    for (const { apiVersion, kind, metadata } of objects) {
      const key = `${apiGroup(apiVersion)}/${kind}`;
      if (metadata.namespace || CLUSTER_SCOPED.has(kind) || this.discovered.has(key)) continue;
      ask.set(key, { apiVersion, kind });
    }
    await Promise.all(
      [...ask].map(async ([key, { apiVersion, kind }]) => {
        try {
          this.discovered.set(key, !(await kube.resourceFor(apiVersion, kind)).namespaced);
        } catch {
          // Not served (yet): the CRD's word, if any, stands in until discovery answers.
        }
      }),
    );
  }
}

const KNOWN: Promise<void> = Promise.resolve();
