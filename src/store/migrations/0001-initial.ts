// The first schema. A migration is history: never edit it once released; add the next one instead. The value
// lists in CHECK constraints are frozen here for that reason, and `schema-values.ts` fails the build when a
// union in the code grows past them, so a new phase or role comes with a migration.
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { Backend } from '../url.js';

export const PHASES_0001 = ['onboarding', 'processing', 'success', 'failed'] as const;
export const DRIFT_POLICIES_0001 = ['correct', 'report'] as const;
export const TOKEN_ROLES_0001 = ['viewer', 'operator', 'admin'] as const;

const inList = (column: string, values: readonly string[]) =>
  sql.raw(`${column} in (${values.map((v) => `'${v}'`).join(', ')})`);

export function initialMigration(backend: Backend): Migration {
  // The only difference between the backends: an ever-increasing integer key. SQLite's AUTOINCREMENT
  // (not plain rowid) guarantees an id is never reused even after the newest row is deleted, which event
  // ids must never be (they are SSE Last-Event-IDs).
  const serial = (db: Kysely<unknown>, table: string) =>
    backend === Backend.Postgres
      ? db.schema
          .createTable(table)
          .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
      : db.schema.createTable(table).addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());

  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('strata_meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('clusters')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('credentials', 'text', (c) => c.notNull())
        .addColumn('drift_policy', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('clusters_name_unique', ['name'])
        .addCheckConstraint('clusters_drift_policy_check', inList('drift_policy', DRIFT_POLICIES_0001))
        .execute();

      await db.schema
        .createTable('profiles')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('parsed', 'text', (c) => c.notNull())
        .addColumn('content_hash', 'text', (c) => c.notNull())
        .addColumn('published', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('published_at', 'text')
        .addPrimaryKeyConstraint('profiles_pk', ['name', 'version'])
        .addCheckConstraint('profiles_published_check', sql`published in (0, 1)`)
        .execute();

      await db.schema
        .createTable('attachments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('cluster_id', 'text', (c) => c.notNull())
        .addColumn('profile_name', 'text', (c) => c.notNull())
        .addColumn('profile_version', 'text', (c) => c.notNull())
        .addColumn('plain_values', 'text', (c) => c.notNull())
        .addColumn('secret_values', 'text')
        .addColumn('sensitive_names', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('attachments_cluster_profile_unique', ['cluster_id', 'profile_name'])
        .addForeignKeyConstraint('attachments_cluster_fk', ['cluster_id'], 'clusters', ['id'], (fk) =>
          fk.onDelete('cascade'),
        )
        // No cascade: a profile version a cluster runs cannot disappear under it.
        .addForeignKeyConstraint('attachments_profile_fk', ['profile_name', 'profile_version'], 'profiles', [
          'name',
          'version',
        ])
        .execute();
      await db.schema
        .createIndex('attachments_profile_idx')
        .on('attachments')
        .columns(['profile_name', 'profile_version'])
        .execute();

      await db.schema
        .createTable('pack_status')
        .addColumn('cluster_id', 'text', (c) => c.notNull())
        .addColumn('pack', 'text', (c) => c.notNull())
        .addColumn('revision', 'text', (c) => c.notNull())
        .addColumn('operation', 'text', (c) => c.notNull())
        .addColumn('stage', 'text', (c) => c.notNull())
        .addColumn('timed_out', 'text')
        .addColumn('phase', 'text', (c) => c.notNull())
        .addColumn('condition', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('progress_ready', 'integer', (c) => c.notNull())
        .addColumn('progress_total', 'integer', (c) => c.notNull())
        .addColumn('start_time', 'text')
        .addColumn('end_time', 'text')
        .addColumn('resources', 'text', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('pack_status_pk', ['cluster_id', 'pack'])
        .addForeignKeyConstraint('pack_status_cluster_fk', ['cluster_id'], 'clusters', ['id'], (fk) =>
          fk.onDelete('cascade'),
        )
        .addCheckConstraint('pack_status_phase_check', inList('phase', PHASES_0001))
        .execute();

      await serial(db, 'events')
        .addColumn('time', 'text', (c) => c.notNull())
        .addColumn('cluster_id', 'text')
        .addColumn('cluster', 'text')
        .addColumn('pack', 'text')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .execute();
      // The SSE stream filtered by cluster, and a pack's transition history.
      await db.schema.createIndex('events_cluster_idx').on('events').columns(['cluster', 'id']).execute();
      await db.schema
        .createIndex('events_pack_idx')
        .on('events')
        .columns(['cluster_id', 'pack', 'kind', 'id'])
        .execute();

      await serial(db, 'audit')
        .addColumn('time', 'text', (c) => c.notNull())
        .addColumn('actor_token_id', 'text')
        .addColumn('actor_name', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_target_idx').on('audit').columns(['target', 'id']).execute();

      await db.schema
        .createTable('tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .addUniqueConstraint('tokens_name_unique', ['name'])
        .addUniqueConstraint('tokens_hash_unique', ['hash'])
        .addCheckConstraint('tokens_role_check', inList('role', TOKEN_ROLES_0001))
        .execute();
    },
  };
}
