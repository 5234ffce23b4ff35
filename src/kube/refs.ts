import type { KubernetesObject } from '@kubernetes/client-node';

/** The REST mapping of a kind, from discovery. */
export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  /** The plural resource name used in URLs, e.g. `deployments`. */
  resource: string;
  namespaced: boolean;
  /** Discovery lists `<resource>/status`: a controller is expected to write status (custom resources). */
  statusSubresource?: boolean;
}

export interface GroupVersion {
  group: string;
  version: string;
}

/** `apps/v1` → {group: 'apps', version: 'v1'}; `v1` → the core group ''. */
export function parseApiVersion(apiVersion: string): GroupVersion {
  const slash = apiVersion.indexOf('/');
  if (slash < 0) return { group: '', version: apiVersion };
  return { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** The cache key of an object in a ListWatch: `namespace/name`, or `name` for cluster-scoped objects. */
export function keyOf(obj: KubernetesObject): string {
  const name = obj.metadata?.name ?? '';
  const namespace = obj.metadata?.namespace;
  // Joined, not concatenated: one flat string rather than a tree of parts (see refKey in src/shared/refs.ts).
  return namespace ? [namespace, name].join('/') : name;
}
