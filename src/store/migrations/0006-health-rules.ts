// Cluster-wide health rules (issue 14): an admin applies a whole rule file with `strata health apply -f`;
// each apply is a new version (never updated in place), so what was in force when is kept.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { Backend } from '../url.js';

export function healthRulesMigration(backend: Backend): Migration {
  return {
    async up(db: Kysely<unknown>) {
      const table =
        backend === Backend.Postgres
          ? db.schema
              .createTable('health_rules')
              .addColumn('version', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
          : db.schema
              .createTable('health_rules')
              .addColumn('version', 'integer', (c) => c.primaryKey().autoIncrement());
      await table
        // JSON array of rule specs (src/status HealthRuleSpec), checked before they are stored.
        .addColumn('rules', 'text', (c) => c.notNull())
        // The file as the admin wrote it, for `strata health get`.
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('actor_name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
    },
  };
}
