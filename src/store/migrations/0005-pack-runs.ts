// Each run of a pack (install, upgrade, retry, uninstall) keeps its own start and end (issue 18): JSON
// PackRunTimes[] in the pack's status row, NULL for rows written before (their one run is start_time/end_time).
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function packRunsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('pack_status').addColumn('runs', 'text').execute();
    },
  };
}
