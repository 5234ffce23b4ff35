// Which profile versions run on which cluster, with the variable values for that cluster. Values the caller
// marks sensitive are sealed together in one envelope; reads return only their names, and the decrypted
// values come out through `revealValues` alone (for rendering, never for an API response).
import { randomUUID } from 'node:crypto';
import { inTransaction, nowIso, type StoreContext, type TransactionContext } from './context.js';
import { constraintKind } from './db-errors.js';
import { StoreError, StoreErrorCode, notFound } from './errors.js';
import { fromJson, toJson } from './json-column.js';
import type { Row } from './schema.js';

export type VariableValues = Readonly<Record<string, string>>;

export interface AttachInput {
  readonly cluster: string;
  readonly profile: string;
  readonly version: string;
  readonly values?: VariableValues;
  /** Names of the values to seal (the profile's `sensitive: true` variables). */
  readonly sensitive?: readonly string[];
}

export interface UpdateAttachmentInput {
  /** Move to another version of the same profile. */
  readonly version?: string;
  /** Replaces all values (sensitive ones included) when given. */
  readonly values?: VariableValues;
  readonly sensitive?: readonly string[];
}

export interface AttachmentRecord {
  readonly id: string;
  readonly cluster: string;
  readonly profile: string;
  readonly version: string;
  /** The values that are not sensitive. */
  readonly values: VariableValues;
  /** The names of the sensitive values that are set; their values are not here. */
  readonly sensitive: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

const valuesContext = (id: string) => `attachment ${id} values`;

type JoinedRow = Row<'attachments'> & { cluster: string };

const toRecord = (row: JoinedRow): AttachmentRecord => ({
  id: row.id,
  cluster: row.cluster,
  profile: row.profile_name,
  version: row.profile_version,
  values: fromJson<VariableValues>(row.plain_values),
  sensitive: fromJson<string[]>(row.sensitive_names),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export class AttachmentsRepository {
  constructor(private readonly ctx: StoreContext) {}

  async attach(input: AttachInput): Promise<AttachmentRecord> {
    return inTransaction(this.ctx, async (tx) => {
      const cluster = await clusterId(tx, input.cluster);
      await requireProfileVersion(tx, input.profile, input.version);
      const existing = await select(tx)
        .where('clusters.name', '=', input.cluster)
        .where('profile_name', '=', input.profile)
        .executeTakeFirst();
      if (existing !== undefined) throw attached(input.cluster, input.profile, existing.profile_version);
      const id = randomUUID();
      const time = nowIso(tx);
      const row: Row<'attachments'> = {
        id,
        cluster_id: cluster,
        profile_name: input.profile,
        profile_version: input.version,
        ...splitValues(tx, id, input.values ?? {}, input.sensitive ?? []),
        created_at: time,
        updated_at: time,
      };
      try {
        await tx.db.insertInto('attachments').values(row).execute();
      } catch (error) {
        if (constraintKind(error) === 'unique')
          throw attached(input.cluster, input.profile, input.version, error);
        throw error;
      }
      return toRecord({ ...row, cluster: input.cluster });
    });
  }

  async update(cluster: string, profile: string, input: UpdateAttachmentInput): Promise<AttachmentRecord> {
    return inTransaction(this.ctx, async (tx) => {
      const current = await select(tx)
        .where('clusters.name', '=', cluster)
        .where('profile_name', '=', profile)
        .executeTakeFirst();
      if (current === undefined) throw notFound('attachment', `${profile} on cluster ${cluster}`);
      const version = input.version ?? current.profile_version;
      if (version !== current.profile_version) await requireProfileVersion(tx, profile, version);
      const values =
        input.values === undefined
          ? {
              plain_values: current.plain_values,
              secret_values: current.secret_values,
              sensitive_names: current.sensitive_names,
            }
          : splitValues(
              tx,
              current.id,
              input.values,
              input.sensitive ?? fromJson<string[]>(current.sensitive_names),
            );
      const row: JoinedRow = { ...current, ...values, profile_version: version, updated_at: nowIso(tx) };
      const { cluster: _name, id, ...changes } = row;
      await tx.db.updateTable('attachments').set(changes).where('id', '=', id).execute();
      return toRecord(row);
    });
  }

  async detach(cluster: string, profile: string): Promise<void> {
    await inTransaction(this.ctx, async (tx) => {
      const id = await clusterId(tx, cluster);
      const result = await tx.db
        .deleteFrom('attachments')
        .where('cluster_id', '=', id)
        .where('profile_name', '=', profile)
        .executeTakeFirst();
      if (result.numDeletedRows === 0n) throw notFound('attachment', `${profile} on cluster ${cluster}`);
    });
  }

  async get(cluster: string, profile: string): Promise<AttachmentRecord | undefined> {
    const row = await select(this.ctx)
      .where('clusters.name', '=', cluster)
      .where('profile_name', '=', profile)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** A cluster's attachments, by profile name. */
  async list(cluster: string): Promise<AttachmentRecord[]> {
    const rows = await select(this.ctx)
      .where('clusters.name', '=', cluster)
      .orderBy('profile_name')
      .execute();
    return rows.map(toRecord);
  }

  /** Where a profile (optionally one version of it) is attached: for "updates available" and deletes. */
  async listUsing(profile: string, version?: string): Promise<AttachmentRecord[]> {
    let query = select(this.ctx).where('profile_name', '=', profile);
    if (version !== undefined) query = query.where('profile_version', '=', version);
    const rows = await query.orderBy('clusters.name').execute();
    return rows.map(toRecord);
  }

  /** All values with the sensitive ones decrypted: for rendering the profile, never for an API response. */
  async revealValues(cluster: string, profile: string): Promise<VariableValues> {
    const row = await select(this.ctx)
      .where('clusters.name', '=', cluster)
      .where('profile_name', '=', profile)
      .executeTakeFirst();
    if (row === undefined) throw notFound('attachment', `${profile} on cluster ${cluster}`);
    const secrets =
      row.secret_values === null
        ? {}
        : fromJson<VariableValues>(this.ctx.cipher.open(row.secret_values, valuesContext(row.id)));
    return { ...fromJson<VariableValues>(row.plain_values), ...secrets };
  }
}

function select(ctx: StoreContext) {
  return ctx.db
    .selectFrom('attachments')
    .innerJoin('clusters', 'clusters.id', 'attachments.cluster_id')
    .selectAll('attachments')
    .select('clusters.name as cluster');
}

function splitValues(
  ctx: StoreContext,
  id: string,
  values: VariableValues,
  sensitive: readonly string[],
): Pick<Row<'attachments'>, 'plain_values' | 'secret_values' | 'sensitive_names'> {
  const secretNames = new Set(sensitive);
  const plain: Record<string, string> = {};
  const secret: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (typeof value !== 'string') {
      throw new StoreError(StoreErrorCode.InvalidInput, `variable ${name}: values are strings`, {
        entity: 'attachment',
      });
    }
    (secretNames.has(name) ? secret : plain)[name] = value;
  }
  const names = Object.keys(secret).sort();
  return {
    plain_values: toJson(plain),
    secret_values: names.length === 0 ? null : ctx.cipher.seal(toJson(secret), valuesContext(id)),
    sensitive_names: toJson(names),
  };
}

async function clusterId(tx: TransactionContext, name: string): Promise<string> {
  const row = await tx.db.selectFrom('clusters').select('id').where('name', '=', name).executeTakeFirst();
  if (row === undefined) throw notFound('cluster', JSON.stringify(name));
  return row.id;
}

async function requireProfileVersion(tx: TransactionContext, name: string, version: string): Promise<void> {
  const row = await tx.db
    .selectFrom('profiles')
    .select('name')
    .where('name', '=', name)
    .where('version', '=', version)
    .executeTakeFirst();
  if (row === undefined) throw notFound('profile', `${name} ${version}`);
}

function attached(cluster: string, profile: string, version: string, cause?: unknown): StoreError {
  return new StoreError(
    StoreErrorCode.AttachmentExists,
    `profile ${profile} is already attached to cluster ${cluster} (version ${version}); change its version instead`,
    { entity: 'attachment', ...(cause === undefined ? {} : { cause }) },
  );
}
