// Chart sources (Helm repositories and OCI registries) with their credentials, and the remote charts each
// published version pinned. A source's password and CA are sealed like a kubeconfig (crypto.ts), with the
// source's name as the authenticated context, and are returned only by `credentials` (for the hub's own
// fetches): list and get never carry them.
import { nowIso, type StoreContext } from './context.js';
import { constraintKind } from './db-errors.js';
import { StoreError, StoreErrorCode } from './errors.js';
import { fromJson, toJson } from './json-column.js';
import type { Row } from './schema.js';

export interface ChartSourceRecord {
  readonly name: string;
  /** `https://…` (a Helm repository or a registry), `http://…`, or `oci://host[/path]`. */
  readonly url: string;
  readonly username?: string;
  /** Whether a password is stored (never the password). */
  readonly hasPassword: boolean;
  /** Whether a CA certificate is stored. */
  readonly hasCa: boolean;
  readonly insecureSkipTlsVerify: boolean;
  readonly plainHttp: boolean;
  readonly createdAt: string;
}

export interface ChartSourceSecret {
  readonly password?: string;
  /** PEM of the CA certificate(s) the source's TLS certificate chains to. */
  readonly caPem?: string;
}

export interface ChartSourceInput extends ChartSourceSecret {
  readonly name: string;
  readonly url: string;
  readonly username?: string;
  readonly insecureSkipTlsVerify?: boolean;
  readonly plainHttp?: boolean;
}

/** A source with what the hub needs to log in to it. */
export interface ChartSourceCredentials extends ChartSourceRecord, ChartSourceSecret {}

const secretContext = (name: string) => `chart source ${name}`;

const toRecord = (row: Row<'chart_sources'>, secret: ChartSourceSecret): ChartSourceRecord => ({
  name: row.name,
  url: row.url,
  ...(row.username === null ? {} : { username: row.username }),
  hasPassword: secret.password !== undefined,
  hasCa: secret.caPem !== undefined,
  insecureSkipTlsVerify: row.insecure_skip_tls_verify === 1,
  plainHttp: row.plain_http === 1,
  createdAt: row.created_at,
});

export class ChartSourcesRepository {
  constructor(private readonly ctx: StoreContext) {}

  /** Adds a source; a source of that name is replaced (its credentials with it). */
  async put(input: ChartSourceInput): Promise<ChartSourceRecord> {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(input.name))
      throw new StoreError(
        StoreErrorCode.InvalidInput,
        `invalid source name ${JSON.stringify(input.name)}: lowercase letters, digits and -, at most 63`,
      );
    const secret: ChartSourceSecret = {
      ...(input.password === undefined ? {} : { password: input.password }),
      ...(input.caPem === undefined ? {} : { caPem: input.caPem }),
    };
    const now = nowIso(this.ctx);
    const row: Row<'chart_sources'> = {
      name: input.name,
      url: input.url,
      username: input.username ?? null,
      secret:
        Object.keys(secret).length === 0
          ? null
          : this.ctx.cipher.seal(toJson(secret), secretContext(input.name)),
      insecure_skip_tls_verify: input.insecureSkipTlsVerify === true ? 1 : 0,
      plain_http: input.plainHttp === true ? 1 : 0,
      created_at: now,
      updated_at: now,
    };
    await this.ctx.db
      .insertInto('chart_sources')
      .values(row)
      .onConflict((oc) =>
        oc.column('name').doUpdateSet({
          url: row.url,
          username: row.username,
          secret: row.secret,
          insecure_skip_tls_verify: row.insecure_skip_tls_verify,
          plain_http: row.plain_http,
          updated_at: now,
        }),
      )
      .execute();
    return toRecord(row, secret);
  }

  async list(): Promise<ChartSourceRecord[]> {
    const rows = await this.ctx.db.selectFrom('chart_sources').selectAll().orderBy('name').execute();
    return rows.map((row) => toRecord(row, this.#secret(row)));
  }

  /** Every source with its credentials, for matching a chart's URL: the hub's own use only. */
  async withCredentials(): Promise<ChartSourceCredentials[]> {
    const rows = await this.ctx.db.selectFrom('chart_sources').selectAll().orderBy('name').execute();
    return rows.map((row) => {
      const secret = this.#secret(row);
      return { ...toRecord(row, secret), ...secret };
    });
  }

  async delete(name: string): Promise<void> {
    const result = await this.ctx.db.deleteFrom('chart_sources').where('name', '=', name).executeTakeFirst();
    if (result.numDeletedRows === 0n)
      throw new StoreError(StoreErrorCode.NotFound, `chart source ${JSON.stringify(name)} not found`);
  }

  #secret(row: Row<'chart_sources'>): ChartSourceSecret {
    return row.secret === null
      ? {}
      : fromJson<ChartSourceSecret>(this.ctx.cipher.open(row.secret, secretContext(row.name)));
  }
}

/** The archives a published version's remote charts had at publish time, by chart key → blob digest. */
export class PinnedChartsRepository {
  constructor(private readonly ctx: StoreContext) {}

  /** Records the version's pins; a version that has pins already keeps them (published content is fixed). */
  async pin(profile: string, version: string, charts: Readonly<Record<string, string>>): Promise<void> {
    for (const [chart, digest] of Object.entries(charts)) {
      try {
        await this.ctx.db
          .insertInto('pinned_charts')
          .values({ profile_name: profile, profile_version: version, chart, digest })
          .onConflict((oc) => oc.columns(['profile_name', 'profile_version', 'chart']).doNothing())
          .execute();
      } catch (error) {
        if (constraintKind(error) !== 'unique') throw error;
      }
    }
  }

  async of(profile: string, version: string): Promise<Record<string, string>> {
    const rows = await this.ctx.db
      .selectFrom('pinned_charts')
      .select(['chart', 'digest'])
      .where('profile_name', '=', profile)
      .where('profile_version', '=', version)
      .orderBy('chart')
      .execute();
    return Object.fromEntries(rows.map((row) => [row.chart, row.digest]));
  }

  /** Forgets a version's pins (when the version is deleted); the blobs stay, shared by digest. */
  async forget(profile: string, version: string): Promise<void> {
    await this.ctx.db
      .deleteFrom('pinned_charts')
      .where('profile_name', '=', profile)
      .where('profile_version', '=', version)
      .execute();
  }
}
