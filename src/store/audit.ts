// Who changed what. Written by the services in the same `store.transaction` as the change it describes, so
// there is no change without its entry and no entry for a change that rolled back.
import { cutText } from '../shared/kept-text.js';
import { mapStringsDeep } from '../shared/map-strings-deep.js';
import { cleanText } from '../shared/unsafe-text.js';
import { hideUserInfo } from '../shared/user-info.js';
import { nowIso, type StoreContext } from './context.js';
import { fromJson, toJson } from './json-column.js';
import type { Row } from './schema.js';

export interface AuditActor {
  /** The API token that made the request; absent for the hub itself (e.g. first start). */
  readonly tokenId?: string;
  readonly name: string;
}

export interface AuditInput {
  readonly actor: AuditActor;
  /** A stable verb, e.g. `cluster.register`, `attachment.update`, `token.create`. */
  readonly action: string;
  /** What it was done to, e.g. `cluster/prod-eu`, `profile/monitoring@1.2.0`. */
  readonly target: string;
  /** Anything else worth keeping. Never secrets: the caller redacts. */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface AuditEntry {
  readonly id: number;
  readonly time: string;
  readonly actor: AuditActor;
  readonly action: string;
  readonly target: string;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface AuditListOptions {
  /** Only entries about this target. */
  readonly target?: string;
  /** Entries older than this id (paging backwards). */
  readonly beforeId?: number;
  /** Default 100. */
  readonly limit?: number;
}

/**
 * Audit actions whose details quote a cluster's (or an agent's) text: a drift record's message names objects and
 * managers read from the cluster. The hub writes them cleaned and cut (hub/fleet.ts); hubs before session 10
 * wrote them raw, so they are read out cleaned of terminal control and of URL user-info and cut as the hub keeps
 * text, once per read, whoever wrote them (what is clean and short comes back as stored).
 */
const CLUSTER_TEXT_ACTIONS: ReadonlySet<string> = new Set(['pack.drift']);

const shownClusterText = (text: string): string => cutText(hideUserInfo(cleanText(text)));

const detailsOf = (row: Row<'audit'>): Record<string, unknown> => {
  const details = fromJson<Record<string, unknown>>(row.details);
  return CLUSTER_TEXT_ACTIONS.has(row.action) ? mapStringsDeep(details, shownClusterText) : details;
};

const toEntry = (row: Row<'audit'>): AuditEntry => ({
  id: row.id,
  time: row.time,
  actor:
    row.actor_token_id === null
      ? { name: row.actor_name }
      : { tokenId: row.actor_token_id, name: row.actor_name },
  action: row.action,
  target: row.target,
  details: detailsOf(row),
});

export class AuditRepository {
  constructor(private readonly ctx: StoreContext) {}

  async record(input: AuditInput): Promise<AuditEntry> {
    const values = {
      time: nowIso(this.ctx),
      actor_token_id: input.actor.tokenId ?? null,
      actor_name: input.actor.name,
      action: input.action,
      target: input.target,
      details: toJson(input.details ?? {}),
    };
    const { id } = await this.ctx.db
      .insertInto('audit')
      .values(values)
      .returning('id')
      .executeTakeFirstOrThrow();
    return toEntry({ ...values, id });
  }

  /** Newest first. */
  async list(options: AuditListOptions = {}): Promise<AuditEntry[]> {
    let query = this.ctx.db.selectFrom('audit').selectAll();
    if (options.target !== undefined) query = query.where('target', '=', options.target);
    if (options.beforeId !== undefined) query = query.where('id', '<', options.beforeId);
    const rows = await query
      .orderBy('id', 'desc')
      .limit(options.limit ?? 100)
      .execute();
    return rows.map(toEntry);
  }
}
