// Registered clusters. The kubeconfig and context are sealed at rest and come back out through
// `getCredentials` only: every other read returns `ClusterRecord`, which has no field that could carry them,
// so API code cannot serialise a kubeconfig by accident.
import { randomUUID } from 'node:crypto';
import { constraintKind } from './db-errors.js';
import { inTransaction, nowIso, type StoreContext } from './context.js';
import { StoreError, StoreErrorCode, notFound } from './errors.js';
import { fromJson, toJson } from './json-column.js';
import type { Row } from './schema.js';
import { appendEvents, EventKind, forgetPrunedThrough, lockEventOrder } from './transitions.js';

export const DriftPolicy = { Correct: 'correct', Report: 'report' } as const;
export type DriftPolicy = (typeof DriftPolicy)[keyof typeof DriftPolicy];

export interface ClusterRecord {
  readonly id: string;
  readonly name: string;
  readonly driftPolicy: DriftPolicy;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ClusterCredentials {
  readonly kubeconfig: string;
  /** The kubeconfig context to use; the kubeconfig's current-context when absent. */
  readonly context?: string;
}

export interface CreateClusterInput extends ClusterCredentials {
  readonly name: string;
  readonly driftPolicy?: DriftPolicy;
}

export interface UpdateClusterInput {
  readonly driftPolicy?: DriftPolicy;
  readonly credentials?: ClusterCredentials;
}

// A DNS-1123 label (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-label-names):
// cluster names end up in URLs, label values and file names.
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function validateClusterName(name: string): void {
  if (name.length > 63 || !DNS_1123_LABEL.test(name)) {
    throw new StoreError(
      StoreErrorCode.InvalidInput,
      `invalid cluster name ${JSON.stringify(name)}: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit`,
      { entity: 'cluster' },
    );
  }
}

function validateDriftPolicy(policy: string): asserts policy is DriftPolicy {
  if (!Object.values<string>(DriftPolicy).includes(policy)) {
    throw new StoreError(
      StoreErrorCode.InvalidInput,
      `invalid drift policy ${JSON.stringify(policy)}: use ${Object.values(DriftPolicy).join(' or ')}`,
    );
  }
}

/** GCM additional data: credentials sealed for one cluster do not open as another's. */
const credentialsContext = (id: string) => `cluster ${id} credentials`;

type PublicRow = Pick<Row<'clusters'>, 'id' | 'name' | 'drift_policy' | 'created_at' | 'updated_at'>;

const toRecord = (row: PublicRow): ClusterRecord => ({
  id: row.id,
  name: row.name,
  driftPolicy: row.drift_policy as DriftPolicy,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const PUBLIC_COLUMNS = ['id', 'name', 'drift_policy', 'created_at', 'updated_at'] as const;

export class ClustersRepository {
  constructor(private readonly ctx: StoreContext) {}

  async create(input: CreateClusterInput): Promise<ClusterRecord> {
    validateClusterName(input.name);
    const driftPolicy = input.driftPolicy ?? DriftPolicy.Correct;
    validateDriftPolicy(driftPolicy);
    return inTransaction(this.ctx, async (tx) => {
      await lockEventOrder(tx);
      // Checked first for a clear error without aborting a PostgreSQL transaction; the unique constraint
      // still decides when two hubs race.
      const existing = await tx.db
        .selectFrom('clusters')
        .select('id')
        .where('name', '=', input.name)
        .executeTakeFirst();
      if (existing !== undefined) throw exists(input.name);
      const id = randomUUID();
      const time = nowIso(tx);
      const row: Row<'clusters'> = {
        id,
        name: input.name,
        credentials: tx.cipher.seal(toJson(credentialsOf(input)), credentialsContext(id)),
        drift_policy: driftPolicy,
        created_at: time,
        updated_at: time,
      };
      try {
        await tx.db.insertInto('clusters').values(row).execute();
      } catch (error) {
        if (constraintKind(error) === 'unique') throw exists(input.name, error);
        throw error;
      }
      await appendEvents(tx, row, [{ kind: EventKind.ClusterRegistered }]);
      return toRecord(row);
    });
  }

  async get(name: string): Promise<ClusterRecord | undefined> {
    const row = await this.ctx.db
      .selectFrom('clusters')
      .select(PUBLIC_COLUMNS)
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** Like `get`, but a missing cluster is a NOT_FOUND error. */
  async require(name: string): Promise<ClusterRecord> {
    const cluster = await this.get(name);
    if (cluster === undefined) throw notFound('cluster', JSON.stringify(name));
    return cluster;
  }

  async list(): Promise<ClusterRecord[]> {
    const rows = await this.ctx.db.selectFrom('clusters').select(PUBLIC_COLUMNS).orderBy('name').execute();
    return rows.map(toRecord);
  }

  /** The one way to read a kubeconfig back: for the engine's kube client, never for an API response. */
  async getCredentials(name: string): Promise<ClusterCredentials> {
    const row = await this.ctx.db
      .selectFrom('clusters')
      .select(['id', 'credentials'])
      .where('name', '=', name)
      .executeTakeFirst();
    if (row === undefined) throw notFound('cluster', JSON.stringify(name));
    return fromJson<ClusterCredentials>(this.ctx.cipher.open(row.credentials, credentialsContext(row.id)));
  }

  async update(name: string, input: UpdateClusterInput): Promise<ClusterRecord> {
    if (input.driftPolicy !== undefined) validateDriftPolicy(input.driftPolicy);
    return inTransaction(this.ctx, async (tx) => {
      await lockEventOrder(tx);
      const current = await tx.db
        .selectFrom('clusters')
        .selectAll()
        .where('name', '=', name)
        .executeTakeFirst();
      if (current === undefined) throw notFound('cluster', JSON.stringify(name));
      const row: Row<'clusters'> = {
        ...current,
        drift_policy: input.driftPolicy ?? current.drift_policy,
        credentials:
          input.credentials === undefined
            ? current.credentials
            : tx.cipher.seal(toJson(credentialsOf(input.credentials)), credentialsContext(current.id)),
        updated_at: nowIso(tx),
      };
      await tx.db
        .updateTable('clusters')
        .set({ drift_policy: row.drift_policy, credentials: row.credentials, updated_at: row.updated_at })
        .where('id', '=', row.id)
        .execute();
      await appendEvents(tx, row, [{ kind: EventKind.ClusterUpdated }]);
      return toRecord(row);
    });
  }

  /**
   * Removes the cluster with its attachments, pack status rows and the figure of its history's retention
   * (`forgetPrunedThrough`); its history stays.
   */
  async delete(name: string): Promise<void> {
    await inTransaction(this.ctx, async (tx) => {
      await lockEventOrder(tx);
      const row = await tx.db
        .selectFrom('clusters')
        .select(['id', 'name'])
        .where('name', '=', name)
        .executeTakeFirst();
      if (row === undefined) throw notFound('cluster', JSON.stringify(name));
      await tx.db.deleteFrom('clusters').where('id', '=', row.id).execute();
      await forgetPrunedThrough(tx, row.name);
      await appendEvents(tx, row, [{ kind: EventKind.ClusterRemoved }]);
    });
  }
}

/** Only the two fields: a caller passing a wider object must not get extra fields sealed and kept. */
function credentialsOf(input: ClusterCredentials): ClusterCredentials {
  return input.context === undefined
    ? { kubeconfig: input.kubeconfig }
    : { kubeconfig: input.kubeconfig, context: input.context };
}

function exists(name: string, cause?: unknown): StoreError {
  return new StoreError(StoreErrorCode.ClusterExists, `cluster ${JSON.stringify(name)} already exists`, {
    entity: 'cluster',
    ...(cause === undefined ? {} : { cause }),
  });
}
