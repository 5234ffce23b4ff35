// What `helm template` printed for each Helm pack's current revision on each cluster (ADR 0007), so a pack
// renders once per revision: resyncs, drift corrections and restarted hubs re-use it. One row per cluster and
// pack. The entry is sealed (crypto.ts) with the row's identity as authenticated data: a rendering holds the
// chart's Secrets and, in its key, a digest of the values, sensitive ones included.
import { inTransaction, nowIso, type StoreContext, type TransactionContext } from './context.js';
import { notFound } from './errors.js';
import { fromJson, toJson } from './json-column.js';

export interface RenderInput {
  /** The digest of the inputs the manifest was rendered from (the engine's renderKey). */
  readonly key: string;
  readonly manifest: string;
  /** The cluster version it was rendered for. */
  readonly kubeVersion?: string;
}

export interface RenderRecord extends RenderInput {
  readonly createdAt: string;
}

const sealContext = (clusterId: string, pack: string) => `rendering of pack ${pack} on cluster ${clusterId}`;

export class RendersRepository {
  constructor(private readonly ctx: StoreContext) {}

  /** The pack's stored rendering on the cluster; undefined when there is none (or the cluster is gone). */
  async get(cluster: string, pack: string): Promise<RenderRecord | undefined> {
    const row = await this.ctx.db
      .selectFrom('renders')
      .innerJoin('clusters', 'clusters.id', 'renders.cluster_id')
      .select(['renders.cluster_id', 'renders.sealed', 'renders.kube_version', 'renders.created_at'])
      .where('clusters.name', '=', cluster)
      .where('renders.pack', '=', pack)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const opened = fromJson<{ key: string; manifest: string }>(
      this.ctx.cipher.open(row.sealed, sealContext(row.cluster_id, pack)),
    );
    return {
      key: opened.key,
      manifest: opened.manifest,
      ...(row.kube_version === null ? {} : { kubeVersion: row.kube_version }),
      createdAt: row.created_at,
    };
  }

  /** Stores the pack's rendering of a revision, replacing the one of an earlier revision. */
  async put(cluster: string, pack: string, input: RenderInput): Promise<void> {
    await inTransaction(this.ctx, async (tx) => {
      const clusterId = await requireCluster(tx, cluster);
      const values = {
        sealed: tx.cipher.seal(
          toJson({ key: input.key, manifest: input.manifest }),
          sealContext(clusterId, pack),
        ),
        kube_version: input.kubeVersion ?? null,
        size: input.manifest.length,
        created_at: nowIso(tx),
      };
      await tx.db
        .insertInto('renders')
        .values({ cluster_id: clusterId, pack, ...values })
        .onConflict((oc) => oc.columns(['cluster_id', 'pack']).doUpdateSet(values))
        .execute();
    });
  }

  /** Forgets the pack's rendering (it was uninstalled); nothing to do when there is none. */
  async forget(cluster: string, pack: string): Promise<void> {
    await this.ctx.db
      .deleteFrom('renders')
      .where('pack', '=', pack)
      .where('cluster_id', 'in', (eb) => eb.selectFrom('clusters').select('id').where('name', '=', cluster))
      .execute();
  }

  /** How many renderings are stored and their total manifest size: for tests and metrics. */
  async stats(): Promise<{ count: number; size: number }> {
    const row = await this.ctx.db
      .selectFrom('renders')
      .select((eb) => [
        eb.fn.countAll<string | number>().as('count'),
        eb.fn.sum<string | number | null>('size').as('size'),
      ])
      .executeTakeFirstOrThrow();
    return { count: Number(row.count), size: Number(row.size ?? 0) };
  }
}

async function requireCluster(tx: TransactionContext, name: string): Promise<string> {
  const row = await tx.db.selectFrom('clusters').select('id').where('name', '=', name).executeTakeFirst();
  if (row === undefined) throw notFound('cluster', JSON.stringify(name));
  return row.id;
}
