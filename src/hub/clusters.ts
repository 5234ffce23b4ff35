// Registering, listing and removing clusters. A cluster is stored only once the hub can reach and use it.
import type { KubeClient } from '../kube/index.js';
import type { Store } from '../store/index.js';
import type { ClusterAccess } from './access.js';
import type { Actor } from './config.js';
import { HubError, HubErrorCode, mapStoreErrors, message, notFound } from './errors.js';
import type { ClusterRecord } from '../store/index.js';
import type { Fleet } from './fleet.js';
import { Kept, type ReadVersions } from './kept-reads.js';
import type { ClusterView } from './views.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export interface RegisterClusterInput {
  name: string;
  kubeconfig: string;
  context?: string;
  driftPolicy?: 'correct' | 'report';
}

export class Clusters {
  private readonly lists = new Kept<ClusterView[]>();

  constructor(
    private readonly store: Store,
    private readonly access: ClusterAccess,
    private readonly fleet: Fleet,
    private readonly versions: ReadVersions,
    /** Starts driving a new cluster: the fleet at once, or (hub replicas) whichever replica it falls to. */
    private readonly admit: (record: ClusterRecord) => Promise<void> = (record) => fleet.start(record),
  ) {}

  async register(input: RegisterClusterInput, actor: Actor): Promise<ClusterView> {
    if (!DNS_LABEL.test(input.name)) {
      throw new HubError(
        HubErrorCode.InvalidInput,
        `cluster name "${input.name}" must be a DNS label: lowercase letters, digits and '-', at most 63`,
      );
    }
    if (await this.store.clusters.get(input.name)) {
      throw new HubError(HubErrorCode.ClusterExists, `cluster "${input.name}" is already registered`);
    }
    let kube: KubeClient;
    try {
      kube = this.access.client(input.name, input.kubeconfig, input.context);
    } catch (error) {
      throw new HubError(HubErrorCode.KubeconfigInvalid, message(error), { cause: error });
    }
    try {
      await this.access.check(kube, input.name);
    } finally {
      await kube.close();
    }
    const record = await mapStoreErrors(() =>
      this.store.transaction(async (tx) => {
        const created = await tx.clusters.create({
          name: input.name,
          kubeconfig: input.kubeconfig,
          ...(input.context ? { context: input.context } : {}),
          ...(input.driftPolicy ? { driftPolicy: input.driftPolicy } : {}),
        });
        await tx.audit.record({ actor, action: 'cluster.register', target: `cluster/${input.name}` });
        return created;
      }),
    );
    await this.admit(record);
    // Its cluster.registered event was published before the runner existed: the summary follows now.
    this.fleet.publishSummary(record.name);
    return this.get(input.name);
  }

  /** The list as last built while no cluster changed since (kept-reads.ts), else built again. */
  async list(): Promise<ClusterView[]> {
    const runtimes = this.fleet.clusters().map((name) => this.fleet.runtime(name));
    return this.lists.get('', this.versions.list(runtimes), () => this.buildList());
  }

  private async buildList(): Promise<ClusterView[]> {
    const records = await this.store.clusters.list();
    return Promise.all(records.map((r) => this.fleet.clusterView(r)));
  }

  async get(name: string): Promise<ClusterView> {
    const record = await this.store.clusters.get(name);
    if (!record) throw notFound('cluster', name);
    return this.fleet.clusterView(record);
  }

  /** Stops managing the cluster and forgets it. What was installed stays in the cluster. */
  async remove(name: string, actor: Actor): Promise<void> {
    if (!this.fleet.has(name) && !(await this.store.clusters.get(name))) throw notFound('cluster', name);
    await this.fleet.stop(name);
    await mapStoreErrors(() =>
      this.store.transaction(async (tx) => {
        await tx.clusters.delete(name);
        await tx.audit.record({ actor, action: 'cluster.remove', target: `cluster/${name}` });
      }),
    );
  }
}
