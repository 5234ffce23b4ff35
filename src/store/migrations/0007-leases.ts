// Hub replicas on one PostgreSQL (issue 16): each replica says it is alive in `hub_replicas` (a heartbeat), and
// each directly-managed cluster has one lease in `cluster_leases` naming the replica that drives it, until when,
// and a fencing epoch that grows on every takeover. Status writes carry the epoch they were made under and are
// refused when it is no longer the lease's (pack-status.ts), so a replica that was paused past its expiry cannot
// overwrite what its successor stored.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function leasesMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('hub_replicas')
        .addColumn('id', 'text', (c) => c.primaryKey())
        // Where the replica's API listens, for /readyz and the UI ("driven by …").
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('heartbeat_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('cluster_leases')
        .addColumn('cluster_id', 'text', (c) => c.primaryKey())
        // null: released (the holder handed it over and stopped its runner).
        .addColumn('holder', 'text')
        .addColumn('epoch', 'integer', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('acquired_at', 'text', (c) => c.notNull())
        // JSON: what the holder knows of the cluster's connection (reachable, error, server, context), written
        // at each renewal, so a replica that does not drive the cluster can show it.
        .addColumn('driver_state', 'text')
        .addForeignKeyConstraint('cluster_leases_cluster_fk', ['cluster_id'], 'clusters', ['id'], (fk) =>
          fk.onDelete('cascade'),
        )
        .execute();
      // The lease epoch a fenced write was made under (null: unfenced, one hub): per cluster, epochs never go
      // down in id order, which is what "no late write from an old holder" means, and it is checkable.
      await db.schema.alterTable('events').addColumn('lease_epoch', 'integer').execute();
    },
  };
}
