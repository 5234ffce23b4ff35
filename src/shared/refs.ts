// Naming Kubernetes objects, the one way every layer does it: a ref, its key, and how messages show it.
import type { KubernetesObject } from '@kubernetes/client-node';

/**
 * Identifies an object a pack owns. The engine knows apiVersion and kind from the rendered manifest, so
 * rules never depend on `kind` being set on live objects (list responses leave it out of their items).
 */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

/** `apps/v1` → `apps`; `v1` → `` (the core group). */
export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

/** `Deployment monitoring/grafana`, or `Namespace monitoring` for cluster-scoped objects. */
export function formatRef(ref: Pick<ObjectRef, 'kind' | 'namespace' | 'name'>): string {
  return ref.namespace ? `${ref.kind} ${ref.namespace}/${ref.name}` : `${ref.kind} ${ref.name}`;
}

/**
 * A stable key, `group/Kind/namespace/name`; the version is left out so a served-version change is the same object.
 * Joined, not concatenated: V8 keeps a concatenation as a tree of parts (a "cons string", ~130 bytes for this key)
 * until something flattens it, and such keys are held per watched object in several maps (issue 15); `join`
 * builds one flat string (~60 bytes).
 */
export function refKey(ref: ObjectRef): string {
  return [apiGroup(ref.apiVersion), ref.kind, ref.namespace ?? '', ref.name].join('/');
}

/**
 * The ref of a live object. `fallback` supplies apiVersion/kind when the object came from a list response
 * (whose items carry neither).
 */
export function refOf(obj: KubernetesObject, fallback?: { apiVersion: string; kind: string }): ObjectRef {
  const apiVersion = obj.apiVersion ?? fallback?.apiVersion ?? '';
  const kind = obj.kind ?? fallback?.kind ?? '';
  const name = obj.metadata?.name ?? '';
  const namespace = obj.metadata?.namespace;
  return namespace ? { apiVersion, kind, namespace, name } : { apiVersion, kind, name };
}
