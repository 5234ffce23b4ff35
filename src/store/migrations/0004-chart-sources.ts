// Chart sources with credentials (issue 13, item 3) and remote charts pinned at publish (item 2).
// - `chart_sources`: a Helm repository or OCI registry the hub fetches charts from, matched by URL prefix or
//   named from a pack; its password and CA are sealed like kubeconfigs (crypto.ts), never shown again.
// - `pinned_charts`: for each published version, the archive each remote chart had when it was published,
//   as a blob digest; renders, resyncs and rollbacks use it and never contact the source again.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function chartSourcesMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('chart_sources')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('username', 'text')
        // Sealed JSON `{ password?, caPem? }`; null when the source has neither.
        .addColumn('secret', 'text')
        .addColumn('insecure_skip_tls_verify', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('plain_http', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('pinned_charts')
        .addColumn('profile_name', 'text', (c) => c.notNull())
        .addColumn('profile_version', 'text', (c) => c.notNull())
        // What the pack names: `oci://host/path/chart@1.2.3` or `https://repo/ name@1.2.3` (remoteChartKey).
        .addColumn('chart', 'text', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('pinned_charts_pk', ['profile_name', 'profile_version', 'chart'])
        .execute();
    },
  };
}
