// Self-contained profile versions: the local charts and manifest files a version was published with are
// stored in the database as content-addressed blobs (one row per sha256, shared by every version that uses
// it), and each version records which blobs it uses, path → digest. The hub renders only from these.
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { Backend } from '../url.js';

export function blobsMigration(backend: Backend): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('blobs')
        .addColumn('digest', 'text', (c) => c.primaryKey())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('content', backend === Backend.Postgres ? 'bytea' : 'blob', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addCheckConstraint('blobs_digest_check', sql`length(digest) = 64`)
        .execute();
      // JSON object `{"<path>": "<sha256>"}`; '{}' for a version without local files (every version so far).
      await db.schema
        .alterTable('profiles')
        .addColumn('blobs', 'text', (c) => c.notNull().defaultTo('{}'))
        .execute();
    },
  };
}
