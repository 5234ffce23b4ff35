// A status batch's statements on PostgreSQL, where each statement is a round trip to another process (on a busy
// 2-core host ~1 ms each, more than the rows' own work): one statement reads what the batch needs to know (its
// clusters, the stored phases, the last transition of packs without a row), and one per part writes it (the
// event ids taken, the events inserted, the view rows upserted). Issue 15: a 50-status flush took 15 statements
// and 2,983 writes/s; the texts are fixed whatever the batch (unnest.ts), so each is prepared once per connection.
// SQLite runs in this process and keeps the plain repository statements (pack-status.ts).
import { sql } from 'kysely';
import type { PackPhase, PackTransition } from '../status/index.js';
import type { TransactionContext } from './context.js';
import { fromJson } from './json-column.js';
import type { Row } from './schema.js';
import {
  appendedEventsSql,
  EventKind,
  eventRows,
  storedEvents,
  type EventEntry,
  type StoredEvent,
} from './transitions.js';
import { unnestRows, type ColumnType } from './unnest.js';

/** What a batch's writes are planned from. */
export interface BatchFacts {
  /** The batch's clusters found, by name. */
  readonly clusters: Map<string, { readonly id: string; readonly name: string }>;
  /** The stored phase of each written pack that has a row, by rowKey. */
  readonly phases: Map<string, PackPhase>;
  /**
   * PostgreSQL: where the history of each written pack without a row ends (the `to` of its last transition),
   * by rowKey; absent for a pack that never had one. SQLite: undefined (read per pack, lastTransitionTo).
   */
  readonly lastTransitionTo?: ReadonlyMap<string, PackPhase>;
}

export const rowKey = (clusterId: string, pack: string) => `${clusterId}\u0000${pack}`;

/**
 * The batch's facts in one statement. Call under the event-order lock and in a statement of its own after it: a
 * statement reads the snapshot of its start, so only one that starts after the lock is granted sees what the
 * previous holder committed.
 */
export async function batchFactsPostgres(
  tx: TransactionContext,
  written: readonly { readonly cluster: string; readonly pack: string }[],
): Promise<BatchFacts> {
  const pairs = new Map<string, { cluster: string; pack: string }>();
  for (const { cluster, pack } of written) pairs.set(`${cluster}\u0000${pack}`, { cluster, pack });
  // Each look-up a subquery of its own (`limit 1`, the key being unique, keeps the planner from joining the whole
  // table instead): a plain join probed every row of a cluster per pack (a fresh table's statistics said three).
  const { rows } = await sql<{
    name: string;
    id: string | null;
    pack: string;
    phase: string | null;
    last_transition: string | null;
  }>`select w.name, c.id, w.pack, p.phase, t.data as last_transition
    from ${unnestRows(
      [...pairs.values()].map(({ cluster, pack }) => ({ name: cluster, pack })),
      { name: 'text', pack: 'text' },
      'w',
    )}
    left join clusters c on c.name = w.name
    left join lateral (
      select phase from pack_status where cluster_id = c.id and pack = w.pack limit 1
    ) p on true
    left join lateral (
      select data from events
      where p.phase is null and cluster_id = c.id and pack = w.pack and kind = ${EventKind.PackTransition}
      order by id desc limit 1
    ) t on true`.execute(tx.db);
  const facts = {
    clusters: new Map<string, { id: string; name: string }>(),
    phases: new Map<string, PackPhase>(),
    lastTransitionTo: new Map<string, PackPhase>(),
  };
  for (const row of rows) {
    if (row.id === null) continue;
    facts.clusters.set(row.name, { id: row.id, name: row.name });
    const k = rowKey(row.id, row.pack);
    if (row.phase !== null) facts.phases.set(k, row.phase as PackPhase);
    if (row.last_transition !== null)
      facts.lastTransitionTo.set(
        k,
        fromJson<{ transition: PackTransition }>(row.last_transition).transition.to,
      );
  }
  return facts;
}

/**
 * One part of a batch in one statement: its events appended, then its view rows upserted, each row's seq the id
 * of its status event (`status_event`: that event's index in `entries`), its resources read from that event's
 * JSON (they are its end but for the closing `}}`, pack-status.ts statusJson), so they are sent once. `rows` hold
 * one row per pack. Under the event-order lock (appendedEventsSql).
 */
export async function writePartPostgres(
  tx: TransactionContext,
  entries: readonly EventEntry[],
  rows: readonly (Omit<Row<'pack_status'>, 'seq'> & { readonly status_event: number })[],
): Promise<StoredEvent[]> {
  const events = eventRows(tx, entries);
  const appended = appendedEventsSql(events);
  const upserts = rows.map(({ resources, ...row }) => {
    const json = appended.data[row.status_event] as { start: number; bytes: number };
    const bytes = Buffer.byteLength(resources);
    return { ...row, resources_start: json.start + json.bytes - 2 - bytes, resources_bytes: bytes };
  });
  const set = sql.join(UPDATED_COLUMNS.map((column) => sql`${sql.id(column)} = excluded.${sql.id(column)}`));
  const columns = Object.keys(ROW_COLUMNS);
  const result = await sql<{ first: number }>`with ${appended.ctes}, upserted as (
      insert into pack_status (${sql.join(columns.map((column) => sql.id(column)))}, resources, seq)
      select ${sql.join(columns.map((column) => sql`r.${sql.id(column)}`))},
        convert_from(substring(event_data.bytes from r.resources_start for r.resources_bytes), 'UTF8'),
        event_ids.first + r.status_event
      from event_ids, event_data, ${unnestRows(upserts, { ...ROW_COLUMNS, status_event: 'bigint', resources_start: 'integer', resources_bytes: 'integer' }, 'r')}
      on conflict (cluster_id, pack) do update set ${set}
    ) select first from event_ids`.execute(tx.db);
  return storedEvents(tx, entries, events, Number(result.rows[0]?.first));
}

/** A view row's columns but its seq (its status event's id) and its resources (part of that event's JSON). */
const ROW_COLUMNS = {
  cluster_id: 'text',
  pack: 'text',
  revision: 'text',
  operation: 'text',
  stage: 'text',
  timed_out: 'text',
  phase: 'text',
  condition: 'text',
  reason: 'text',
  message: 'text',
  progress_ready: 'integer',
  progress_total: 'integer',
  start_time: 'text',
  end_time: 'text',
  runs: 'text',
  updated_at: 'text',
} as const satisfies Record<Exclude<keyof Row<'pack_status'>, 'seq' | 'resources'>, ColumnType>;

/** What an upsert of a view row changes (all but its key). */
export const UPDATED_COLUMNS = [
  'revision',
  'operation',
  'stage',
  'timed_out',
  'phase',
  'condition',
  'reason',
  'message',
  'progress_ready',
  'progress_total',
  'start_time',
  'end_time',
  'resources',
  'runs',
  'seq',
  'updated_at',
] as const satisfies readonly Exclude<keyof Row<'pack_status'>, 'cluster_id' | 'pack'>[];
