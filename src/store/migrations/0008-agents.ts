// Agent clusters (issue 16): a cluster whose runner is `strata agent`, beside or inside it, connecting out to
// the hub. One row per such cluster: the hash of its agent token (the only credential the hub keeps for it),
// when the agent was last heard from, and where its status stream stands (`stream` names the agent's state,
// `last_seq` the last event stored), so a replayed batch is taken once.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function agentsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('cluster_agents')
        .addColumn('cluster_id', 'text', (c) => c.primaryKey())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text')
        .addColumn('stream', 'text')
        .addColumn('last_seq', 'bigint', (c) => c.notNull().defaultTo(0))
        .addForeignKeyConstraint('cluster_agents_cluster_fk', ['cluster_id'], 'clusters', ['id'], (fk) =>
          fk.onDelete('cascade'),
        )
        .execute();
    },
  };
}
