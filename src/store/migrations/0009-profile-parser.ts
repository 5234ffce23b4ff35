// Which version of the profile parser wrote a stored version's `parsed` column (issue 15: the hub plans from
// that parsed form instead of parsing the YAML source again on its event loop). A version stored by a parser
// whose output differs from the running one (src/profile/parse.ts, PROFILE_PARSER_VERSION) is parsed again
// from its source; rows stored before this migration are 0, which no parser writes.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function profileParserMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('profiles')
        .addColumn('parser_version', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  };
}
