// Hub replicas and the cluster leases they drive clusters under (migration 0007, issue 16). A replica
// heartbeats; a lease names its holder, until when it holds it, and a fencing epoch that grows by one on every
// takeover. Times are the store clock's ISO-8601 text (replicas must keep their clocks within the lease margin;
// the epoch, not the clock, is what refuses a late write).
import { inTransaction, nowIso, type StoreContext, type TransactionContext } from './context.js';
import { StoreError, StoreErrorCode, notFound } from './errors.js';
import { fromJson, toJson } from './json-column.js';
import { Backend } from './url.js';

/** What a fenced write carries: the replica that makes it and the epoch of the lease it holds. */
export interface LeaseFence {
  readonly holder: string;
  readonly epoch: number;
}

/** What the holder knows of the cluster's connection, for replicas that do not drive it. */
export interface DriverState {
  readonly reachable: boolean;
  readonly error?: string;
  readonly server: string;
  readonly context: string;
  /** For an agent cluster: whether its agent is connected and when it was last heard (AgentConnection). */
  readonly agent?: { readonly connected: boolean; readonly lastSeenAt?: string };
}

export interface LeaseRecord {
  readonly cluster: string;
  /** undefined: released. */
  readonly holder?: string;
  readonly epoch: number;
  readonly expiresAt: string;
  readonly acquiredAt: string;
  /** As of the holder's last renewal. */
  readonly state?: DriverState;
}

export interface ReplicaRecord {
  readonly id: string;
  readonly address: string;
  readonly startedAt: string;
  readonly heartbeatAt: string;
}

const later = (ctx: StoreContext, ms: number) => new Date(ctx.now().getTime() + ms).toISOString();

export class LeasesRepository {
  constructor(private readonly ctx: StoreContext) {}

  /** Says the replica is alive (creating its row on the first call). */
  async heartbeat(replica: { readonly id: string; readonly address: string }): Promise<void> {
    const now = nowIso(this.ctx);
    await this.ctx.db
      .insertInto('hub_replicas')
      .values({ id: replica.id, address: replica.address, started_at: now, heartbeat_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat_at: now, address: replica.address }))
      .execute();
  }

  /** Replicas whose last heartbeat is younger than `maxAgeMs`, by id. */
  async liveReplicas(maxAgeMs: number): Promise<ReplicaRecord[]> {
    const since = later(this.ctx, -maxAgeMs);
    const rows = await this.ctx.db
      .selectFrom('hub_replicas')
      .selectAll()
      .where('heartbeat_at', '>', since)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      address: r.address,
      startedAt: r.started_at,
      heartbeatAt: r.heartbeat_at,
    }));
  }

  /** A replica shutting down cleanly: the others stop counting it at once. */
  async removeReplica(id: string): Promise<void> {
    await this.ctx.db.deleteFrom('hub_replicas').where('id', '=', id).execute();
  }

  /**
   * Takes the cluster's lease for `holder` until `ttlMs` from now when it is free (never taken, released or
   * expired; the epoch then grows by one), or renews it when `holder` already holds it (same epoch). Returns the
   * lease, or undefined when another replica holds it unexpired.
   */
  async acquire(cluster: string, holder: string, ttlMs: number): Promise<LeaseRecord | undefined> {
    return inTransaction(this.ctx, async (tx) => {
      const id = await clusterId(tx, cluster);
      const now = nowIso(tx);
      const current = await lockLease(tx, id);
      const expires = later(tx, ttlMs);
      if (current === undefined) {
        await tx.db
          .insertInto('cluster_leases')
          .values({
            cluster_id: id,
            holder,
            epoch: 1,
            expires_at: expires,
            acquired_at: now,
            driver_state: null,
          })
          .execute();
        return { cluster, holder, epoch: 1, expiresAt: expires, acquiredAt: now };
      }
      if (current.holder === holder) {
        await tx.db
          .updateTable('cluster_leases')
          .set({ expires_at: expires })
          .where('cluster_id', '=', id)
          .execute();
        return { cluster, holder, epoch: current.epoch, expiresAt: expires, acquiredAt: current.acquired_at };
      }
      if (current.holder !== null && current.expires_at > now) return undefined;
      const epoch = current.epoch + 1;
      await tx.db
        .updateTable('cluster_leases')
        .set({ holder, epoch, expires_at: expires, acquired_at: now, driver_state: null })
        .where('cluster_id', '=', id)
        .execute();
      return { cluster, holder, epoch, expiresAt: expires, acquiredAt: now };
    });
  }

  /**
   * Extends a lease the caller holds under `fence`; false when it no longer does (taken over, released, or the
   * cluster is gone): the caller must stop driving the cluster.
   */
  async renew(cluster: string, fence: LeaseFence, ttlMs: number, state?: DriverState): Promise<boolean> {
    return inTransaction(this.ctx, async (tx) => {
      const id = await tx.db
        .selectFrom('clusters')
        .select('id')
        .where('name', '=', cluster)
        .executeTakeFirst();
      if (id === undefined) return false;
      const result = await tx.db
        .updateTable('cluster_leases')
        .set({ expires_at: later(tx, ttlMs), ...(state ? { driver_state: toJson(state) } : {}) })
        .where('cluster_id', '=', id.id)
        .where('holder', '=', fence.holder)
        .where('epoch', '=', fence.epoch)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    });
  }

  /**
   * Gives the lease up (the caller has stopped its runner): another replica may take it at once, with the
   * next epoch. A no-op when the caller no longer holds it.
   */
  async release(cluster: string, fence: LeaseFence): Promise<void> {
    const now = nowIso(this.ctx);
    await this.ctx.db
      .updateTable('cluster_leases')
      .set({ holder: null, expires_at: now })
      .where('cluster_id', 'in', (eb) => eb.selectFrom('clusters').select('id').where('name', '=', cluster))
      .where('holder', '=', fence.holder)
      .where('epoch', '=', fence.epoch)
      .execute();
  }

  /** Every lease, by cluster name. */
  async list(): Promise<LeaseRecord[]> {
    const rows = await this.ctx.db
      .selectFrom('cluster_leases')
      .innerJoin('clusters', 'clusters.id', 'cluster_leases.cluster_id')
      .select([
        'clusters.name as cluster',
        'cluster_leases.holder',
        'cluster_leases.epoch',
        'cluster_leases.expires_at',
        'cluster_leases.acquired_at',
        'cluster_leases.driver_state',
      ])
      .orderBy('clusters.name')
      .execute();
    return rows.map((r) => ({
      cluster: r.cluster,
      ...(r.holder === null ? {} : { holder: r.holder }),
      epoch: r.epoch,
      expiresAt: r.expires_at,
      acquiredAt: r.acquired_at,
      ...(r.driver_state === null ? {} : { state: fromJson<DriverState>(r.driver_state) }),
    }));
  }
}

async function clusterId(tx: TransactionContext, cluster: string): Promise<string> {
  const row = await tx.db.selectFrom('clusters').select('id').where('name', '=', cluster).executeTakeFirst();
  if (row === undefined) throw notFound('cluster', JSON.stringify(cluster));
  return row.id;
}

/** The lease row, locked until the transaction ends (PostgreSQL; SQLite's one writer needs no lock). */
async function lockLease(tx: TransactionContext, id: string) {
  let query = tx.db.selectFrom('cluster_leases').selectAll().where('cluster_id', '=', id);
  if (tx.backend === Backend.Postgres) query = query.forUpdate();
  return query.executeTakeFirst();
}

/**
 * Refuses a write fenced by `fence` on cluster `id` (named `cluster`) unless that is still the lease's holder
 * and epoch. Called inside the transaction that writes, with the lease row share-locked on PostgreSQL, so a
 * takeover waits for this write to commit (and comes after it) or commits first (and this write is refused):
 * never a stale write after the new holder's.
 */
export async function checkFence(
  tx: TransactionContext,
  cluster: { readonly id: string; readonly name: string },
  fence: LeaseFence,
): Promise<void> {
  let query = tx.db
    .selectFrom('cluster_leases')
    .select(['holder', 'epoch'])
    .where('cluster_id', '=', cluster.id);
  if (tx.backend === Backend.Postgres) query = query.forShare();
  const lease = await query.executeTakeFirst();
  if (lease?.holder === fence.holder && lease.epoch === fence.epoch) return;
  const now = lease
    ? `the lease is at epoch ${String(lease.epoch)}${lease.holder === null ? ', released' : `, held by replica ${lease.holder}`}`
    : 'the cluster has no lease';
  throw new StoreError(
    StoreErrorCode.LeaseLost,
    `cluster ${cluster.name}: write refused: replica ${fence.holder} wrote under lease epoch ${String(fence.epoch)}, but ${now}`,
  );
}
