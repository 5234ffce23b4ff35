import type { KubernetesObject } from '@kubernetes/client-node';
import type { ApplyOptions, DeleteOptions, WatchQuery } from './client.js';
import type { ListWatch, ListWatchOptions, WatchHandler } from './list-watch.js';
import type { ObjectRef } from '../shared/refs.js';
import type { ResourceInfo } from './refs.js';

/**
 * The part of the Kubernetes API a cluster runner uses: discovery, server-side apply, get, delete, list and
 * list+watch. KubeClient implements it against an API server; src/kube/testing/fake-kube.ts in memory, so the
 * runner's scheduling, retries and timeouts are unit-tested in milliseconds (style.md rule 13).
 */
export interface KubeApi {
  /** The REST mapping of a kind; KubeError UnknownKind when the server does not serve it. */
  resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo>;
  /** What `helm install` would see of this cluster: its version and every served API. */
  capabilities(): Promise<{ kubeVersion: string; apiVersions: string[] }>;
  /** Forget cached discovery (after a CRD was established). */
  invalidateDiscovery(): void;
  apply<T extends KubernetesObject>(obj: T, opts: ApplyOptions): Promise<T>;
  /** undefined when the object does not exist. */
  get<T extends KubernetesObject>(ref: ObjectRef): Promise<T | undefined>;
  /** true when this call deleted it (or started deleting it), false when it was already gone. */
  delete(ref: ObjectRef, opts?: DeleteOptions): Promise<boolean>;
  // The caller names the kind it lists, as with get(); the API contract is generic on purpose.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  list<T extends KubernetesObject>(
    q: WatchQuery,
    opts?: { signal?: AbortSignal },
  ): Promise<{ items: T[]; resourceVersion: string }>;
  /** One list+watch over `q`; call start() on the result. */
  listWatch<T extends KubernetesObject>(
    q: WatchQuery,
    handler: WatchHandler<T>,
    opts?: ListWatchOptions,
  ): ListWatch<T>;
}
