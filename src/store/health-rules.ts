// Cluster-wide health rules, versioned: each apply appends a version; the newest is in force.
import type { HealthRuleSpec } from '../status/index.js';
import { inTransaction, nowIso, type StoreContext } from './context.js';
import { fromJson, toJson } from './json-column.js';
import type { Row } from './schema.js';

export interface HealthRulesRecord {
  readonly version: number;
  readonly rules: readonly HealthRuleSpec[];
  readonly source: string;
  readonly actorName: string;
  readonly createdAt: string;
}

const toRecord = (row: Row<'health_rules'>): HealthRulesRecord => ({
  version: row.version,
  rules: fromJson<HealthRuleSpec[]>(row.rules),
  source: row.source,
  actorName: row.actor_name,
  createdAt: row.created_at,
});

export class HealthRulesRepository {
  constructor(private readonly ctx: StoreContext) {}

  /** Stores a new version of the cluster-wide rules (the caller has compiled and checked them). */
  apply(input: {
    readonly rules: readonly HealthRuleSpec[];
    readonly source: string;
    readonly actorName: string;
  }): Promise<HealthRulesRecord> {
    return inTransaction(this.ctx, async (tx) => {
      const values = {
        rules: toJson(input.rules),
        source: input.source,
        actor_name: input.actorName,
        created_at: nowIso(tx),
      };
      const { version } = await tx.db
        .insertInto('health_rules')
        .values(values)
        .returning('version')
        .executeTakeFirstOrThrow();
      return toRecord({ ...values, version });
    });
  }

  /** The rules in force: the newest version, or undefined before any apply. */
  async current(): Promise<HealthRulesRecord | undefined> {
    const row = await this.ctx.db
      .selectFrom('health_rules')
      .selectAll()
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? undefined : toRecord(row);
  }

  /** Newest first. */
  async versions(limit = 50): Promise<HealthRulesRecord[]> {
    const rows = await this.ctx.db
      .selectFrom('health_rules')
      .selectAll()
      .orderBy('version', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }
}
