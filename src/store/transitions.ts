// The append-only history: every pack status write, every pack transition and every cluster registration
// gets a row with a global, strictly increasing id. That id is the SSE `Last-Event-ID`, so one rule matters
// above all: a reader that has seen id N must never later find a committed id below N, or a resuming client
// misses it. See `lockEventOrder`.
import { sql, type RawBuilder } from 'kysely';
import type { PackTransition } from '../status/index.js';
import { keptDeep } from '../shared/kept-text.js';
import { powerOfTwoChunks } from './chunks.js';
import { inTransaction, type StoreContext, type TransactionContext } from './context.js';
import { fromJson, toJson } from './json-column.js';
import { EVENTS_CHANNEL } from './listen.js';
import type { PackStatusRecord } from './pack-status.js';
import type { Row } from './schema.js';
import { unnestRows } from './unnest.js';
import { Backend } from './url.js';

export const EventKind = {
  PackStatus: 'pack.status',
  PackTransition: 'pack.transition',
  PackRemoved: 'pack.removed',
  ClusterRegistered: 'cluster.registered',
  ClusterUpdated: 'cluster.updated',
  ClusterRemoved: 'cluster.removed',
} as const;
export type EventKind = (typeof EventKind)[keyof typeof EventKind];

interface EventBase {
  /** Global, strictly increasing; resume with `eventsSince(id)`. */
  readonly id: number;
  /** ISO-8601, when the store wrote it. */
  readonly time: string;
  readonly cluster: string;
}

export type StoredEvent =
  | (EventBase & {
      readonly kind: typeof EventKind.PackStatus;
      readonly pack: string;
      readonly status: PackStatusRecord;
    })
  | (EventBase & {
      readonly kind: typeof EventKind.PackTransition;
      readonly pack: string;
      readonly transition: PackTransition;
    })
  | (EventBase & { readonly kind: typeof EventKind.PackRemoved; readonly pack: string })
  | (EventBase & { readonly kind: typeof EventKind.ClusterRegistered })
  | (EventBase & { readonly kind: typeof EventKind.ClusterUpdated })
  | (EventBase & { readonly kind: typeof EventKind.ClusterRemoved });

/** What a repository appends; id and time are the store's. */
export type EventInput =
  /** The record's seq is the id this event gets, so it is not part of the input (nor of the stored JSON). */
  | {
      readonly kind: typeof EventKind.PackStatus;
      readonly pack: string;
      readonly status: Omit<PackStatusRecord, 'seq'>;
    }
  | {
      readonly kind: typeof EventKind.PackTransition;
      readonly pack: string;
      readonly transition: PackTransition;
    }
  | { readonly kind: typeof EventKind.PackRemoved; readonly pack: string }
  | { readonly kind: typeof EventKind.ClusterRegistered }
  | { readonly kind: typeof EventKind.ClusterUpdated }
  | { readonly kind: typeof EventKind.ClusterRemoved };

/** A transition as read back from the history, with the id of its event. */
export interface StoredTransition extends PackTransition {
  readonly id: number;
}

export interface EventsSinceOptions {
  /** Only this cluster's events (by name). */
  readonly cluster?: string;
  /** At most this many (default 1000, capped at 10 000); page by calling again from the last id. */
  readonly limit?: number;
}

export interface TransitionHistoryOptions {
  /** The most recent N transitions (still returned oldest first). Default: all. */
  readonly limit?: number;
  /** Only transitions with an id below this one: the page before one already read. */
  readonly before?: number;
}

const DEFAULT_PAGE = 1000;
const MAX_PAGE = 10_000;
/** An arbitrary constant naming the event-order advisory lock (PostgreSQL has one lock space per database). */
const EVENT_ORDER_LOCK = 0x5374_7261; // "Stra"

/**
 * On PostgreSQL, identity values are handed out at INSERT but become visible at COMMIT, in whatever order
 * transactions commit: T1 takes id 10, T2 takes 11 and commits first, a reader sees 11, then T1 commits 10
 * behind its back. A transaction-scoped advisory lock taken before the first insert makes id order equal
 * commit order (the next writer gets its id only after the previous one committed). It serialises event
 * writers, which each hold it for a few small statements. SQLite needs nothing: BEGIN IMMEDIATE already
 * admits one writer at a time.
 *
 * Take it at the START of any transaction that will append events, before other row locks, so two writers
 * cannot each hold what the other waits for.
 */
export async function lockEventOrder(tx: TransactionContext): Promise<void> {
  if (tx.backend !== Backend.Postgres || tx.tx.eventLock) return;
  // The notification is delivered at commit, and not at all on rollback: other hub replicas read the new events
  // then (LISTEN/NOTIFY is their wake-up; the events table stays the truth).
  // Without parameters, so it goes with the transaction's BEGIN in one round trip (prepared.ts).
  await sql`select pg_advisory_xact_lock(${sql.lit(EVENT_ORDER_LOCK)}), pg_notify(${sql.lit(EVENTS_CHANNEL)}, '')`.execute(
    tx.db,
  );
  tx.tx.eventLock = true;
}

export async function appendEvents(
  tx: TransactionContext,
  cluster: { readonly id: string; readonly name: string },
  inputs: readonly EventInput[],
): Promise<StoredEvent[]> {
  return appendEventsOf(
    tx,
    inputs.map((input) => ({ cluster, input })),
  );
}

/** What appendEventsOf appends: an event, the cluster it is about, and what the caller has of its stored form. */
export interface EventEntry {
  readonly cluster: { readonly id: string; readonly name: string };
  readonly input: EventInput;
  /** The lease epoch of a fenced write (hub replicas), kept with the event. */
  readonly epoch?: number;
  /**
   * The input's stored JSON (without `kind`) when the caller has it already: a status write serializes its
   * resources for the row, and the event carries the same text (see pack-status.ts, statusJson).
   */
  readonly data?: string;
}

/**
 * Appends events of one or more clusters in the order given, the ids reserved first (the event-order lock makes
 * this writer the only one taking ids) and every row inserted with its id: on PostgreSQL in one statement whatever
 * their number (appendedEventsSql), on SQLite in a few. A multi-row INSERT … RETURNING does not promise to
 * return rows in VALUES order, so the ids are never read back from it.
 */
export async function appendEventsOf(
  tx: TransactionContext,
  entries: readonly EventEntry[],
): Promise<StoredEvent[]> {
  await lockEventOrder(tx);
  if (entries.length === 0) return [];
  const events = eventRows(tx, entries);
  if (tx.backend === Backend.Postgres) {
    const { rows } = await sql<{
      first: number;
    }>`with ${appendedEventsSql(events).ctes} select first from event_ids`.execute(tx.db);
    return storedEvents(tx, entries, events, Number(rows[0]?.first));
  }
  const first = await nextSqliteEventId(tx);
  const rows = events.rows.map((row, i) => ({ ...row, id: first + i }));
  for (const chunk of powerOfTwoChunks(rows, INSERT_CHUNK))
    await tx.db.insertInto('events').values(chunk).execute();
  return storedEvents(tx, entries, events, first);
}

/** Event rows to insert, in order, their ids not yet given. */
export interface EventRows {
  readonly time: string;
  readonly rows: readonly Omit<Row<'events'>, 'id'>[];
}

/** Call under the event-order lock (appendEventsOf takes it; a caller building its own statement must). */
export function eventRows(tx: TransactionContext, entries: readonly EventEntry[]): EventRows {
  const time = tx.now().toISOString();
  return {
    time,
    rows: entries.map(({ cluster, input, epoch, data }) => {
      const { kind, ...payload } = input;
      return {
        time,
        cluster_id: cluster.id,
        cluster: cluster.name,
        pack: 'pack' in input ? input.pack : null,
        kind,
        data: data ?? toJson(payload),
        lease_epoch: epoch ?? null,
      };
    }),
  };
}

/** appendedEventsSql's common table expressions, and where each event's JSON lies in `event_data`. */
export interface AppendedEventsSql {
  readonly ctes: RawBuilder<unknown>;
  /** Per event, in order: the first byte of its JSON in `event_data.bytes` (from 1) and its length in bytes. */
  readonly data: readonly { readonly start: number; readonly bytes: number }[];
}

/**
 * PostgreSQL: common table expressions that append `events` in one statement of a fixed text, whatever their
 * number: `event_data`, whose one row's `bytes` is every event's JSON, UTF-8, end to end; `event_ids`, whose one
 * row's `first` is the first id taken; and `appended`, the insert. The event `i` (from 0) gets id `first + i`.
 * A caller adds its own data-modifying CTE reading them (pack-status: the view rows, whose seq is a status
 * event's id and whose resources are part of its JSON) and ends the statement with `select first from event_ids`.
 * Only under the event-order lock (lockEventOrder).
 *
 * The JSON goes as one binary parameter, cut on the server by byte offsets (`substring` of bytea is a copy; the
 * UTF-8 is checked by convert_from): as a text[] (unnest) the server parsed and unescaped every quote of it, which
 * made a 50-status part slower than the statements it replaced (~20 ms against ~9 ms for 220 KB of JSON as text
 * parameters, on a busy 2-core host). The other columns are short and go as arrays (unnest.ts), so the text, and
 * its prepared statement, is one whatever the count and no limit on bound parameters applies.
 */
export function appendedEventsSql(events: EventRows): AppendedEventsSql {
  const count = events.rows.length;
  const data: { start: number; bytes: number }[] = [];
  let start = 1;
  for (const row of events.rows) {
    const bytes = Buffer.byteLength(row.data);
    data.push({ start, bytes });
    start += bytes;
  }
  const columns = events.rows.map((row, i) => ({ ...row, ...(data[i] as { start: number; bytes: number }) }));
  // The id column is GENERATED ALWAYS: PostgreSQL takes a given id only when told to (overriding system value).
  // `materialized`: the sequence is advanced once, and the JSON held once, however often the statement reads them.
  const ctes = sql`event_data as materialized (
      select ${Buffer.from(events.rows.map((row) => row.data).join(''))}::bytea as bytes
    ), event_ids as materialized (
      select setval(pg_get_serial_sequence('events', 'id'),
        nextval(pg_get_serial_sequence('events', 'id')) + ${count}::bigint - 1) - ${count}::bigint + 1 as first
    ), appended as (
      insert into events (id, time, cluster_id, cluster, pack, kind, data, lease_epoch) overriding system value
      select event_ids.first + e.n - 1, ${events.time}::text, e.cluster_id, e.cluster, e.pack, e.kind,
        convert_from(substring(event_data.bytes from e.start for e.bytes), 'UTF8'), e.lease_epoch
      from event_ids, event_data, ${unnestRows(columns, EVENT_COLUMNS, 'e', { ordinality: 'n' })}
    )`;
  return { ctes, data };
}

const EVENT_COLUMNS = {
  cluster_id: 'text',
  cluster: 'text',
  pack: 'text',
  kind: 'text',
  lease_epoch: 'integer',
  start: 'integer',
  bytes: 'integer',
} as const;

/** The events appended with ids from `first`, kept on the transaction to be published at its commit. */
export function storedEvents(
  tx: TransactionContext,
  entries: readonly EventEntry[],
  events: EventRows,
  first: number,
): StoredEvent[] {
  const stored = entries.map(({ cluster, input }, i) =>
    withId({ ...input, time: events.time, cluster: cluster.name }, first + i),
  );
  tx.tx.appended.push(...stored);
  return stored;
}

/** SQLite: rows per INSERT at most, 8 parameters each, well under its limit on bound parameters (see chunks.ts). */
const INSERT_CHUNK = 256;

/**
 * SQLite: the next id, the first of consecutive ones this writer takes: its single writer takes ids alone
 * (PostgreSQL: appendedEventsSql, under the event-order lock). A rolled-back transaction leaves a gap, which
 * readers never notice: ids only need to increase.
 */
async function nextSqliteEventId(tx: TransactionContext): Promise<number> {
  // AUTOINCREMENT keeps the highest id ever used here (ids of deleted rows are never used again).
  const { rows } = await sql<{ seq: number }>`select seq from sqlite_sequence where name = 'events'`.execute(
    tx.db,
  );
  return (rows[0]?.seq ?? 0) + 1;
}

function withId(event: EventInput & { time: string; cluster: string }, id: number): StoredEvent {
  return event.kind === EventKind.PackStatus
    ? { ...event, id, status: { ...event.status, seq: id } }
    : { ...event, id };
}

/**
 * An event as stored, its text cleaned of terminal control and cut as the hub keeps text (events stored before
 * the hub cleaned what it writes, session 9, may hold some, and before it cut a cluster's text, session 11, any
 * length): the stream's replay and the history routes read events only through here and `transitionOf`.
 */
function decodeEvent(row: Row<'events'>): StoredEvent {
  const payload = keptDeep(fromJson<Record<string, unknown>>(row.data));
  const event = { ...payload, kind: row.kind, time: row.time, cluster: row.cluster ?? '' } as EventInput & {
    time: string;
    cluster: string;
  };
  return withId(event, row.id);
}

/** A stored transition event's transition, kept as `decodeEvent` keeps events. */
const transitionOf = (data: string): PackTransition =>
  keptDeep(fromJson<{ transition: PackTransition }>(data).transition);

export interface PruneOptions {
  /** Per pack and kind (transitions, statuses), the newest this many are kept. */
  readonly keepPerPack: number;
  /** ISO-8601: older rows go too, except each pack's newest of each kind. Absent: no age limit. */
  readonly olderThan?: string;
  /**
   * Per pack and kind, rows past the newest this many bytes of JSON (UTF-8) go too (each pack's newest of each
   * kind stays): a count alone bounds nothing when each row may be large. Absent: no size limit.
   */
  readonly keepBytesPerPack?: number;
}

/** strata_meta key: the highest event id retention ever deleted (see `prunedThrough`). */
const PRUNED_THROUGH_KEY = 'events_pruned_through';
/** strata_meta key prefix: the same, per cluster (by name, as a stream filters), followed by the name. */
const PRUNED_THROUGH_CLUSTER_KEY = 'events_pruned_through/cluster/';
/**
 * strata_meta key: the hub-wide highest deleted id when retention started keeping it per cluster (written by the
 * first pass that does). Rows deleted before then were not counted per cluster, so a cluster's figure is never
 * below it: a stream may be told of a loss that was another cluster's, never left untold of its own.
 */
const PRUNED_PER_CLUSTER_FROM_KEY = 'events_pruned_through/per-cluster-from';

/**
 * Drops the per-cluster figure of `cluster` (`prunedThrough`), with the cluster (store/clusters.ts, in its removal's
 * transaction): one row per cluster ever registered would otherwise stay in strata_meta for good. A stream of
 * the removed cluster that resumes is sent its ClusterRemoved event, newer than any row of it retention deleted.
 */
export async function forgetPrunedThrough(tx: TransactionContext, cluster: string): Promise<void> {
  await tx.db
    .deleteFrom('strata_meta')
    .where('key', '=', PRUNED_THROUGH_CLUSTER_KEY + cluster)
    .execute();
}

/**
 * Drops every per-cluster figure of a cluster that no longer exists: those a pass writes while deleting rows of a
 * removed cluster's history, one written by a pass that raced with the removal (PostgreSQL: neither transaction
 * sees the other's row), and those that hubs before session 11 left behind when a cluster was removed.
 */
async function forgetRemovedClusterFigures(tx: TransactionContext): Promise<void> {
  const prefix = PRUNED_THROUGH_CLUSTER_KEY;
  await sql`delete from strata_meta where substr(key, 1, ${prefix.length}) = ${prefix}
    and substr(key, ${prefix.length + 1}) not in (select name from clusters)`.execute(tx.db);
}

/** The kinds retention applies to: one row per status write and per transition, so they grow with time. */
const PRUNED_KINDS = [EventKind.PackTransition, EventKind.PackStatus];

export class HistoryRepository {
  constructor(private readonly ctx: StoreContext) {}

  /** Every event after `afterId` (0 for all), oldest first. The SSE stream resumes from Last-Event-ID here. */
  async since(afterId: number, options: EventsSinceOptions = {}): Promise<StoredEvent[]> {
    const limit = Math.min(Math.max(1, options.limit ?? DEFAULT_PAGE), MAX_PAGE);
    let query = this.ctx.db.selectFrom('events').selectAll().where('id', '>', afterId);
    if (options.cluster !== undefined) query = query.where('cluster', '=', options.cluster);
    const rows = await query.orderBy('id').limit(limit).execute();
    return rows.map(decodeEvent);
  }

  /**
   * Deletes pack transitions and status events past the retention (`PruneOptions`); returns how many. A pack's
   * newest transition and status always stay (the removed-pack check and a restart read them). The highest id
   * deleted is kept (`prunedThrough`), in the same transaction, so a stream resuming from an id below it is told
   * that part of what it missed is gone instead of silently getting the rows that are left.
   */
  async prune(options: PruneOptions): Promise<number> {
    const keep = Math.max(1, Math.floor(options.keepPerPack));
    const old = options.olderThan === undefined ? sql`` : sql` or (rn > 1 and time < ${options.olderThan})`;
    const big =
      options.keepBytesPerPack === undefined
        ? sql``
        : sql` or (rn > 1 and bytes > ${Math.max(0, Math.floor(options.keepBytesPerPack))})`;
    // Bytes, not characters (review 11, item 6: length() counts characters, so text in a script of 3-byte
    // characters kept 3 times the allowance): octet_length on PostgreSQL, the length of the UTF-8 blob on SQLite.
    const size =
      this.ctx.backend === Backend.Postgres ? sql`octet_length(data)` : sql`length(cast(data as blob))`;
    return inTransaction(this.ctx, async (tx) => {
      // `bytes`: the size of this row and every newer one of its pack and kind (bytes of JSON).
      const doomedRows = sql`select id, cluster from (
          select id, cluster, time, row_number() over newest as rn, sum(${size}) over newest as bytes
          from events where kind in (${sql.join(PRUNED_KINDS)})
          window newest as (partition by cluster_id, pack, kind order by id desc)
        ) ranked where rn > ${keep}${old}${big}`;
      const highest = await sql<{
        cluster: string | null;
        id: number | string | null;
      }>`select cluster, max(id) as id from (${doomedRows}) d group by cluster`.execute(tx.db);
      const through = Math.max(0, ...highest.rows.map((row) => Number(row.id ?? 0)));
      if (through === 0) {
        await forgetRemovedClusterFigures(tx);
        return 0;
      }
      // Only rows up to the id read above: a row that became "past the retention" since is the next pass's.
      const result = await sql`delete from events where id <= ${through} and id in (
          select id from (${doomedRows}) d
        )`.execute(tx.db);
      // Before the first per-cluster figure is written: what was deleted until now counts for every cluster.
      await sql`insert into strata_meta (key, value) values (${PRUNED_PER_CLUSTER_FROM_KEY}, coalesce(
          (select value from strata_meta where key = ${PRUNED_THROUGH_KEY}), '0'))
        on conflict (key) do nothing`.execute(tx.db);
      const figures = [
        { key: PRUNED_THROUGH_KEY, id: through },
        ...highest.rows.map((row) => ({
          key: PRUNED_THROUGH_CLUSTER_KEY + (row.cluster ?? ''),
          id: Number(row.id ?? 0),
        })),
      ];
      // The greatest wins: replicas prune concurrently, and a pass that deleted older rows must not lower it.
      for (const { key, id } of figures)
        await sql`insert into strata_meta (key, value) values (${key}, ${String(id)})
          on conflict (key) do update set value = excluded.value
          where cast(strata_meta.value as bigint) < cast(excluded.value as bigint)`.execute(tx.db);
      // A removed cluster's history stays, and retention goes on deleting from it: its figure is written above
      // like any other, and goes here, as it went with the cluster (`forgetPrunedThrough`).
      await forgetRemovedClusterFigures(tx);
      return Number(result.numAffectedRows ?? 0);
    });
  }

  /**
   * The highest event id retention has deleted, 0 when it never deleted any. A stream resuming after an id below
   * it may have lost events (the ones between were partly deleted); at or above it, nothing it missed is gone.
   * With `cluster`, the same for a stream of that cluster's events only: another cluster's deleted rows are no
   * loss to it.
   */
  async prunedThrough(cluster?: string): Promise<number> {
    const keys =
      cluster === undefined
        ? [PRUNED_THROUGH_KEY]
        : [PRUNED_THROUGH_KEY, PRUNED_PER_CLUSTER_FROM_KEY, PRUNED_THROUGH_CLUSTER_KEY + cluster];
    const rows = await this.ctx.db
      .selectFrom('strata_meta')
      .select(['key', 'value'])
      .where('key', 'in', keys)
      .execute();
    const figure = (key: string) => {
      const row = rows.find((r) => r.key === key);
      return row === undefined ? undefined : Number(row.value);
    };
    const everywhere = figure(PRUNED_THROUGH_KEY) ?? 0;
    if (cluster === undefined) return everywhere;
    // No pass has kept figures per cluster yet: all that was deleted may have been this cluster's.
    const from = figure(PRUNED_PER_CLUSTER_FROM_KEY) ?? everywhere;
    return Math.max(from, figure(PRUNED_THROUGH_CLUSTER_KEY + cluster) ?? 0);
  }

  /** The newest event id, 0 when there is none: where a stream without Last-Event-ID starts. */
  async latestId(): Promise<number> {
    const row = await this.ctx.db
      .selectFrom('events')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirst();
    return row?.id ?? 0;
  }

  /** A pack's colour changes on a (current) cluster, oldest first. */
  async transitions(
    cluster: string,
    pack: string,
    options: TransitionHistoryOptions = {},
  ): Promise<StoredTransition[]> {
    let query = this.ctx.db
      .selectFrom('events')
      .innerJoin('clusters', 'clusters.id', 'events.cluster_id')
      .select(['events.id', 'events.data'])
      .where('clusters.name', '=', cluster)
      .where('events.pack', '=', pack)
      .where('events.kind', '=', EventKind.PackTransition)
      .orderBy('events.id', 'desc');
    if (options.before !== undefined) query = query.where('events.id', '<', options.before);
    if (options.limit !== undefined) query = query.limit(options.limit);
    const rows = await query.execute();
    return rows.reverse().map((row) => ({ id: row.id, ...transitionOf(row.data) }));
  }

  /**
   * Every pack's colour changes on a (current) cluster, oldest first: the install timeline. With a limit, the
   * most recent ones (before `before`, when given).
   */
  async clusterTransitions(
    cluster: string,
    options: TransitionHistoryOptions = {},
  ): Promise<(StoredTransition & { readonly pack: string })[]> {
    let query = this.ctx.db
      .selectFrom('events')
      .innerJoin('clusters', 'clusters.id', 'events.cluster_id')
      .select(['events.id', 'events.pack', 'events.data'])
      .where('clusters.name', '=', cluster)
      .where('events.kind', '=', EventKind.PackTransition)
      .orderBy('events.id', 'desc');
    if (options.before !== undefined) query = query.where('events.id', '<', options.before);
    if (options.limit !== undefined) query = query.limit(options.limit);
    const rows = (await query.execute()).reverse();
    return rows.flatMap((row) =>
      row.pack === null ? [] : [{ id: row.id, pack: row.pack, ...transitionOf(row.data) }],
    );
  }
}
