import type { Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import { StoreError, StoreErrorCode } from '../errors.js';
import type { Backend } from '../url.js';
import type { PackPhase } from '../../status/index.js';
import type { DriftPolicy } from '../clusters.js';
import type { TokenRole } from '../tokens.js';
import { blobsMigration } from './0002-blobs.js';
import { rendersMigration } from './0003-renders.js';
import { chartSourcesMigration } from './0004-chart-sources.js';
import { packRunsMigration } from './0005-pack-runs.js';
import { healthRulesMigration } from './0006-health-rules.js';
import { leasesMigration } from './0007-leases.js';
import { agentsMigration } from './0008-agents.js';
import { profileParserMigration } from './0009-profile-parser.js';
import { DRIFT_POLICIES_0001, PHASES_0001, TOKEN_ROLES_0001, initialMigration } from './0001-initial.js';

// In code rather than files on disk: the compiled hub needs no migrations folder next to it, and the list is
// type-checked. Names sort in the order they run.
function migrations(backend: Backend): Record<string, Migration> {
  return {
    '0001_initial': initialMigration(backend),
    '0002_blobs': blobsMigration(backend),
    '0003_renders': rendersMigration(backend),
    '0004_chart_sources': chartSourcesMigration(),
    '0005_pack_runs': packRunsMigration(),
    '0006_health_rules': healthRulesMigration(backend),
    '0007_leases': leasesMigration(),
    '0008_agents': agentsMigration(),
    '0009_profile_parser': profileParserMigration(),
  };
}

export function migrationProvider(backend: Backend): MigrationProvider {
  return { getMigrations: () => Promise.resolve(migrations(backend)) };
}

/**
 * Brings the schema to the latest version; a no-op when it is already there. Safe when several hubs start at
 * once: Kysely's migrator takes a lock (a row lock on PostgreSQL; on SQLite our dialect runs it in one
 * BEGIN IMMEDIATE transaction, see dialect.ts).
 */
export async function migrateToLatest(db: Kysely<unknown>, backend: Backend): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: migrationProvider(backend),
    migrationTableName: 'strata_migration',
    migrationLockTableName: 'strata_migration_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new StoreError(
      StoreErrorCode.MigrationFailed,
      `database migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`,
      { cause: error },
    );
  }
}

// The CHECK constraints freeze value lists (see 0001-initial.ts). These fail to compile when a union in the
// code gains a value the schema would reject: add a migration that widens the constraint, then list it here.
type Covers<Allowed extends readonly string[], Union extends string> = [Union] extends [Allowed[number]]
  ? true
  : never;
const _phasesCovered: Covers<typeof PHASES_0001, PackPhase> = true;
const _driftPoliciesCovered: Covers<typeof DRIFT_POLICIES_0001, DriftPolicy> = true;
const _rolesCovered: Covers<typeof TOKEN_ROLES_0001, TokenRole> = true;
