// Render once per revision (issue 11, ADR 0007): what `helm template` printed for each Helm pack's current
// revision on each cluster, so resyncs, drift corrections and restarts re-use it and the values a chart
// generates (randAlphaNum, genSelfSignedCert) stay stable. One row per cluster and pack: a new revision
// replaces it. The rendering holds the chart's Secrets, so the whole entry is sealed like other secrets.
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Backend } from '../url.js';

export function rendersMigration(_backend: Backend): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('renders')
        .addColumn('cluster_id', 'text', (c) => c.notNull())
        .addColumn('pack', 'text', (c) => c.notNull())
        // Sealed JSON `{ key, manifest }`: the key is a digest of the inputs, sensitive values included.
        .addColumn('sealed', 'text', (c) => c.notNull())
        .addColumn('kube_version', 'text')
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('renders_pk', ['cluster_id', 'pack'])
        .addForeignKeyConstraint('renders_cluster_fk', ['cluster_id'], 'clusters', ['id'], (fk) =>
          fk.onDelete('cascade'),
        )
        .addCheckConstraint('renders_size_check', sql`size >= 0`)
        .execute();
    },
  };
}
