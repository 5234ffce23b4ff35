// A live object of a registered cluster, for `strata health test --cluster` (health-rules.ts): read with the
// runner's client where this hub runs the cluster. With hub replicas, a cluster driven by another replica is
// read from here with a client of its own from the stored credentials (Fleet.readElsewhere): a read needs no
// lease (only writes are fenced) and every replica can reach every cluster, or it could not take one over, so
// the request is not passed to the driver (no hop, no 503 during a failover). An agent cluster has no
// credentials on the hub: it is never read.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/index.js';
import type { ObjectRef } from '../status/index.js';
import type { Store } from '../store/index.js';
import { HubError, HubErrorCode, notFound } from './errors.js';
import type { Fleet } from './fleet.js';

export interface LiveObject {
  readonly object: KubernetesObject | undefined;
  readonly statusSubresource: boolean;
}

/** A rule's message expression can print any field: a Secret is never read with the cluster's credentials. */
export function secretRefused(): HubError {
  return new HubError(
    HubErrorCode.InvalidInput,
    'live: a Secret is never read to try health rules on (its message could print the data); ' +
      'send a copy without its data as "object" instead',
  );
}

export function liveObjectReader(options: {
  readonly store: Store;
  readonly fleet: Pick<Fleet, 'has' | 'runtime' | 'readElsewhere'>;
  /** Hub replicas: clusters this hub does not run are driven by another replica. */
  readonly replicated: boolean;
}): (cluster: string, ref: ObjectRef) => Promise<LiveObject> {
  const { store, fleet, replicated } = options;
  return async (cluster, ref) => {
    const read = async (kube: KubeClient): Promise<LiveObject> => {
      // Judged by the resource the API server maps it to, not by how the request spelt it ("/v1" is "v1").
      const info = await kube.resourceFor(ref.apiVersion, ref.kind);
      if (info.group === '' && info.resource === 'secrets') throw secretRefused();
      return { object: await kube.get(ref), statusSubresource: info.statusSubresource === true };
    };
    const agentCluster = () =>
      new HubError(
        HubErrorCode.AgentCluster,
        `cluster "${cluster}" is run by an agent: the hub holds no credentials to read its objects`,
      );
    if (replicated && !fleet.has(cluster)) {
      const record = await store.clusters.get(cluster);
      if (!record) throw notFound('cluster', cluster);
      if (await store.agents.get(cluster)) throw agentCluster();
      return fleet.readElsewhere(record, read);
    }
    const { kube } = fleet.runtime(cluster);
    if (!kube) throw agentCluster();
    return read(kube);
  };
}
