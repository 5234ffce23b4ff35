// The current status of every pack on every cluster (one row per cluster+pack: what the Cluster Profile page
// shows) and, written in the same transaction, the events that say how it got there. A crash between the two
// would leave a colour with no history or a history that does not match the colour; the transaction makes
// that impossible.
import type {
  PackConditionType,
  PackOperation,
  PackPhase,
  PackResource,
  PackRunTimes,
  PackStage,
  PackStatus,
  PackTimeout,
  PackTransition,
} from '../status/index.js';
import { keptDeep } from '../shared/kept-text.js';
import { powerOfTwoChunks } from './chunks.js';
import { inTransaction, nowIso, type StoreContext, type TransactionContext } from './context.js';
import { notFound } from './errors.js';
import { fromJson, toJson } from './json-column.js';
import { checkFence, type LeaseFence } from './leases.js';
import type { Row } from './schema.js';
import {
  batchFactsPostgres,
  rowKey,
  UPDATED_COLUMNS,
  writePartPostgres,
  type BatchFacts,
} from './pack-status-postgres.js';
import {
  appendEventsOf,
  EventKind,
  lockEventOrder,
  type EventEntry,
  type EventInput,
  type StoredEvent,
} from './transitions.js';
import { Backend } from './url.js';

/** A pack's stored status: the PackStatus without its history (read that with `history.transitions`). */
export interface PackStatusRecord extends Omit<PackStatus, 'transitions'> {
  readonly cluster: string;
  readonly pack: string;
  /** The id of the event that last wrote this row: strictly increasing per row, comparable with event ids. */
  readonly seq: number;
  readonly updatedAt: string;
}

export interface RecordPackStatusInput {
  readonly cluster: string;
  readonly pack: string;
  readonly status: PackStatus;
  /**
   * The transitions this write adds to the history. When omitted, the store records one when the phase
   * differs from the stored row (the reducer's last transition, if it describes that change). Pass them
   * explicitly when one write covers several reducer steps, so none is lost.
   */
  readonly transitions?: readonly PackTransition[];
  /**
   * The cluster lease this write is made under (hub replicas, issue 16): refused with LEASE_LOST, in the same
   * transaction, when it is no longer the lease's holder and epoch. Absent: not fenced (one hub).
   */
  readonly fence?: LeaseFence;
}

export interface RecordedPackStatus {
  readonly record: PackStatusRecord;
  /** The events appended, in id order: the transitions, then the status event. */
  readonly events: readonly StoredEvent[];
}

export type PhaseCounts = Readonly<Record<PackPhase, number>>;

const emptyCounts = (): Record<PackPhase, number> => ({
  onboarding: 0,
  processing: 0,
  success: 0,
  failed: 0,
});

type JoinedRow = Row<'pack_status'> & { cluster: string };

/**
 * Status text stored before the hub cleaned what it writes (session 9) may hold terminal control, and before it
 * cut a cluster's text it drives itself (session 11) any length: every row is read out as the hub keeps text
 * (shared/kept-text.ts), once, where it is loaded; clean rows that fit come back as read.
 */
function toRecord(row: JoinedRow): PackStatusRecord {
  return keptDeep({
    cluster: row.cluster,
    pack: row.pack,
    revision: row.revision,
    operation: row.operation as PackOperation,
    stage: fromJson<PackStage>(row.stage),
    ...(row.timed_out === null ? {} : { timedOut: fromJson<PackTimeout>(row.timed_out) }),
    phase: row.phase as PackPhase,
    condition: row.condition as PackConditionType,
    reason: row.reason,
    message: row.message,
    progress: { ready: row.progress_ready, total: row.progress_total },
    ...(row.start_time === null ? {} : { startTime: row.start_time }),
    ...(row.end_time === null ? {} : { endTime: row.end_time }),
    resources: fromJson<PackResource[]>(row.resources),
    ...(row.runs === null ? {} : { runs: fromJson<PackRunTimes[]>(row.runs) }),
    seq: row.seq,
    updatedAt: row.updated_at,
  });
}

/** The inverse of the split above, for an engine restarting from the store. */
export function toPackStatus(
  record: PackStatusRecord,
  transitions: readonly PackTransition[] = [],
): PackStatus {
  const { cluster: _c, pack: _p, seq: _s, updatedAt: _u, ...status } = record;
  return { ...status, transitions };
}

function derivedTransitions(
  previous: PackPhase | undefined,
  status: PackStatus,
  time: string,
): PackTransition[] {
  if (previous === undefined) return [...status.transitions];
  if (previous === status.phase) return [];
  const last = status.transitions.at(-1);
  if (last !== undefined && last.from === previous && last.to === status.phase) return [last];
  return [
    {
      time,
      from: previous,
      to: status.phase,
      condition: status.condition,
      reason: status.reason,
      message: status.message,
    },
  ];
}

/** The condition a bridging transition shows for the phase it leads to (one of that phase's own). */
const bridgeCondition: Record<PackPhase, PackConditionType> = {
  onboarding: 'ReadyForInstall',
  processing: 'Installing',
  success: 'Ready',
  failed: 'Error',
};

/**
 * A pack's history is one chain: each transition starts where the previous one ended, and the last one ends
 * in the phase of the row. The writer normally sends exactly that, but a pack added again after it was removed
 * starts a new life in onboarding while its history ends where the uninstall left it, and a hub restarted
 * after kill -9 resumes from whatever it stored. Checked here, inside the transaction that writes the row, so
 * no crash and no caller can leave a gap: where the chain would break, a transition saying why bridges it.
 */
function chained(
  stored: { readonly phase: PackPhase; readonly removed: boolean } | undefined,
  transitions: readonly PackTransition[],
  status: PackStatus,
  time: string,
): PackTransition[] {
  const out: PackTransition[] = [];
  let at = stored?.phase;
  const bridge = (from: PackPhase, to: PackPhase, when: string): PackTransition => ({
    time: when,
    from,
    to,
    condition: bridgeCondition[to],
    ...(stored?.removed === true
      ? { reason: 'AddedAgain', message: 'the pack was added again after it had been removed' }
      : { reason: 'Resumed', message: `resumed from the stored ${from} status` }),
  });
  for (const transition of transitions) {
    if (at !== undefined && transition.from !== at) out.push(bridge(at, transition.from, transition.time));
    out.push(transition);
    at = transition.to;
  }
  if (at !== undefined && at !== status.phase && stored?.removed === true && out.length === 0) {
    out.push(bridge(at, status.phase, time));
  } else if (at !== undefined && at !== status.phase) {
    out.push({
      time,
      from: at,
      to: status.phase,
      condition: status.condition,
      reason: status.reason,
      message: status.message,
    });
  }
  return out;
}

export class PackStatusRepository {
  constructor(private readonly ctx: StoreContext) {}

  /** Writes a pack's status and appends its events, atomically. */
  async record(input: RecordPackStatusInput): Promise<RecordedPackStatus> {
    return inTransaction(this.ctx, async (tx) => (await recordAll(tx, [input]))[0] as RecordedPackStatus);
  }

  /**
   * Writes several statuses in one transaction, in the order given (their events get ids in that order). One
   * commit instead of one per status: on PostgreSQL each commit waits for its WAL flush, which capped status
   * writes near 400/s under a burst. All or nothing: if one fails (its cluster is gone), none is stored.
   */
  async recordMany(inputs: readonly RecordPackStatusInput[]): Promise<RecordedPackStatus[]> {
    return inTransaction(this.ctx, (tx) => recordAll(tx, inputs));
  }

  async get(cluster: string, pack: string): Promise<PackStatusRecord | undefined> {
    const row = await select(this.ctx)
      .where('clusters.name', '=', cluster)
      .where('pack_status.pack', '=', pack)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** Every pack of a cluster, by pack name (install order is the plan's business, not the store's). */
  async list(cluster: string): Promise<PackStatusRecord[]> {
    const rows = await select(this.ctx)
      .where('clusters.name', '=', cluster)
      .orderBy('pack_status.pack')
      .execute();
    return rows.map(toRecord);
  }

  /** Packs per phase for every cluster that has any: the cluster list's rollup colour and counts. */
  async phaseCounts(): Promise<Map<string, PhaseCounts>> {
    const rows = await this.ctx.db
      .selectFrom('pack_status')
      .innerJoin('clusters', 'clusters.id', 'pack_status.cluster_id')
      .select(['clusters.name as cluster', 'pack_status.phase'])
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .groupBy(['clusters.name', 'pack_status.phase'])
      .execute();
    const counts = new Map<string, Record<PackPhase, number>>();
    for (const row of rows) {
      const entry = counts.get(row.cluster) ?? emptyCounts();
      entry[row.phase as PackPhase] = row.count;
      counts.set(row.cluster, entry);
    }
    return counts;
  }

  /** Removes a pack's row once it is uninstalled; its history stays. `fence`: as for `record`. */
  async remove(cluster: string, pack: string, options: { readonly fence?: LeaseFence } = {}): Promise<void> {
    await inTransaction(this.ctx, async (tx) => {
      await lockEventOrder(tx);
      const found = await tx.db
        .selectFrom('clusters')
        .select(['id', 'name'])
        .where('name', '=', cluster)
        .executeTakeFirst();
      if (found === undefined) throw notFound('cluster', JSON.stringify(cluster));
      if (options.fence !== undefined) await checkFence(tx, found, options.fence);
      const result = await tx.db
        .deleteFrom('pack_status')
        .where('cluster_id', '=', found.id)
        .where('pack', '=', pack)
        .executeTakeFirst();
      if (result.numDeletedRows === 0n) throw notFound('pack', `${pack} on cluster ${cluster}`);
      await appendEventsOf(tx, [
        {
          cluster: found,
          input: { kind: EventKind.PackRemoved, pack },
          ...(options.fence ? { epoch: options.fence.epoch } : {}),
        },
      ]);
    });
  }
}

/**
 * Status writes inside a transaction, in order: the view rows and their events. A handful of statements
 * whatever the batch size (clusters, stored phases, event ids, events, rows), so a burst costs one round trip
 * per step rather than per pack; on PostgreSQL two in all after the lock, plus one per further part of the
 * batch (pack-status-postgres.ts).
 */
async function recordAll(
  tx: TransactionContext,
  inputs: readonly RecordPackStatusInput[],
): Promise<RecordedPackStatus[]> {
  // Before any row lock: see lockEventOrder.
  await lockEventOrder(tx);
  if (inputs.length === 0) return [];
  const facts =
    tx.backend === Backend.Postgres ? await batchFactsPostgres(tx, inputs) : await batchFacts(tx, inputs);
  const { clusters, phases } = facts;
  const missing = inputs.find((input) => !clusters.has(input.cluster))?.cluster;
  if (missing !== undefined) throw notFound('cluster', JSON.stringify(missing));
  const fenced = new Map<string, LeaseFence>();
  for (const input of inputs) if (input.fence !== undefined) fenced.set(input.cluster, input.fence);
  for (const [name, fence] of fenced)
    await checkFence(tx, clusters.get(name) as { id: string; name: string }, fence);
  const time = nowIso(tx);
  const planned: PlannedWrite[] = [];
  for (const input of inputs) {
    const cluster = clusters.get(input.cluster) as { id: string; name: string };
    const k = rowKey(cluster.id, input.pack);
    const previous = phases.get(k);
    const { status } = input;
    // Where the stored chain ends: the row's phase, or for a pack added again after its removal, the
    // last transition of its earlier life (its history stays when its row goes).
    const stored =
      previous !== undefined
        ? { phase: previous, removed: false }
        : facts.lastTransitionTo === undefined
          ? await lastTransitionTo(tx, cluster.id, input.pack)
          : removedAt(facts.lastTransitionTo.get(k));
    const transitions = chained(
      stored,
      input.transitions ?? derivedTransitions(previous, status, time),
      status,
      time,
    );
    const events: EventInput[] = transitions.map((transition) => ({
      kind: EventKind.PackTransition,
      pack: input.pack,
      transition,
    }));
    // The record from the status itself, not parsed back from the row's JSON: a 125-object pack wrote and
    // re-read its resources on every progress change, most of an install's garbage at 50,000 objects.
    const unsequenced: Omit<PackStatusRecord, 'seq'> = {
      cluster: cluster.name,
      pack: input.pack,
      revision: status.revision,
      operation: status.operation,
      stage: status.stage,
      ...(status.timedOut === undefined ? {} : { timedOut: status.timedOut }),
      phase: status.phase,
      condition: status.condition,
      reason: status.reason,
      message: status.message,
      progress: { ready: status.progress.ready, total: status.progress.total },
      ...(status.startTime === undefined ? {} : { startTime: status.startTime }),
      ...(status.endTime === undefined ? {} : { endTime: status.endTime }),
      resources: status.resources,
      ...(status.runs === undefined ? {} : { runs: status.runs }),
      updatedAt: time,
    };
    const row: Omit<Row<'pack_status'>, 'seq' | 'resources'> = {
      cluster_id: cluster.id,
      pack: input.pack,
      revision: status.revision,
      operation: status.operation,
      stage: toJson(status.stage),
      timed_out: status.timedOut === undefined ? null : toJson(status.timedOut),
      phase: status.phase,
      condition: status.condition,
      reason: status.reason,
      message: status.message,
      progress_ready: status.progress.ready,
      progress_total: status.progress.total,
      start_time: status.startTime ?? null,
      end_time: status.endTime ?? null,
      runs: status.runs === undefined ? null : toJson(status.runs),
      updated_at: time,
    };
    events.push({ kind: EventKind.PackStatus, pack: input.pack, status: unsequenced });
    phases.set(k, status.phase);
    planned.push({ cluster, row, events, unsequenced, epoch: input.fence?.epoch });
  }
  // Written in parts of at most PART_JSON_CHARS of status JSON, each part's text made just before its statements
  // (issue 15): the whole batch's text at once (200 statuses of 100 objects: ~4 MB) outlived the hub's 1 MiB
  // young generation, so every write of an install was promoted and the old generation grew by it between full
  // GCs (~150 MB of an install to 10,000 objects, the largest share of the hub's peak). Events keep their order:
  // a part's ids follow the previous part's, under the same lock and transaction.
  const recorded: RecordedPackStatus[] = [];
  let part: (PlannedWrite & { readonly json: { data: string; resources: string } })[] = [];
  let chars = 0;
  for (const [i, write] of planned.entries()) {
    // One JSON text of the status event, the row's resources a slice of it: the resources are most of a status
    // write's bytes (100 objects: ~20 KB) and every progress step of an install writes them.
    const json = statusJson(write.row.pack, write.unsequenced);
    part.push({ ...write, json });
    chars += json.data.length;
    if (chars < PART_JSON_CHARS && i < planned.length - 1) continue;
    recorded.push(...(await writePart(tx, part)));
    part = [];
    chars = 0;
  }
  return recorded;
}

/** A status write planned (its transitions chained, its row and events made), its JSON not yet made. */
interface PlannedWrite {
  readonly cluster: { readonly id: string; readonly name: string };
  readonly row: Omit<Row<'pack_status'>, 'seq' | 'resources'>;
  readonly events: readonly EventInput[];
  readonly unsequenced: Omit<PackStatusRecord, 'seq'>;
  readonly epoch: number | undefined;
}

/** Status JSON written per part of a batch at most (a part holds at least one status, however large). */
const PART_JSON_CHARS = 256 * 1024;

/**
 * One part of a batch: its events (each status event's stored JSON given), then its rows, a row's seq its status
 * event's id. PostgreSQL: in one statement (writePartPostgres).
 */
async function writePart(
  tx: TransactionContext,
  planned: readonly (PlannedWrite & { readonly json: { data: string; resources: string } })[],
): Promise<RecordedPackStatus[]> {
  const entries: EventEntry[] = [];
  // One row per pack: the last write of a pack written twice in the batch, with the index of its status event.
  const rows = new Map<string, Omit<Row<'pack_status'>, 'seq'> & { status_event: number }>();
  for (const { cluster, events, json, epoch, row } of planned) {
    for (const [i, input] of events.entries())
      entries.push({
        cluster,
        input,
        ...(epoch === undefined ? {} : { epoch }),
        ...(i === events.length - 1 ? { data: json.data } : {}),
      });
    rows.set(rowKey(row.cluster_id, row.pack), {
      ...row,
      resources: json.resources,
      status_event: entries.length - 1,
    });
  }
  let appended: StoredEvent[];
  if (tx.backend === Backend.Postgres) {
    appended = await writePartPostgres(tx, entries, [...rows.values()]);
  } else {
    appended = await appendEventsOf(tx, entries);
    const first = (appended[0] as StoredEvent).id;
    const upserts = [...rows.values()].map(({ status_event, ...row }) => ({
      ...row,
      seq: first + status_event,
    }));
    for (const chunk of powerOfTwoChunks(upserts, UPSERT_CHUNK)) {
      await tx.db
        .insertInto('pack_status')
        .values(chunk)
        .onConflict((oc) =>
          oc
            .columns(['cluster_id', 'pack'])
            .doUpdateSet((eb) =>
              Object.fromEntries(UPDATED_COLUMNS.map((column) => [column, eb.ref(`excluded.${column}`)])),
            ),
        )
        .execute();
    }
  }
  let offset = 0;
  return planned.map(({ events, unsequenced }) => {
    const own = appended.slice(offset, (offset += events.length));
    const seq = (own.at(-1) as StoredEvent).id;
    return { record: { ...unsequenced, seq }, events: own };
  });
}

/**
 * A status event's stored JSON (`{"pack":…,"status":{…}}`, as appendEventsOf writes an event without `kind`),
 * and its resources' JSON as a slice of that text for the row. One serialization: a second one, or the two
 * joined, would allocate the resources' text again (the SQLite driver flattens a joined string before binding
 * it; a slice of a flat string it reads in place).
 */
export function statusJson(
  pack: string,
  status: Omit<PackStatusRecord, 'seq'>,
): { readonly data: string; readonly resources: string } {
  const { resources, ...rest } = status;
  // The status always has fields (its phase, at least), so `resources` follows a comma, last in it.
  const head = toJson({ pack, status: rest }).length - 2 + ',"resources":'.length;
  const data = toJson({ pack, status: { ...rest, resources } });
  return { data, resources: data.slice(head, -2) };
}

/** SQLite: rows per upsert at most, 18 parameters each, far below its limit (see chunks.ts). */
const UPSERT_CHUNK = 64;

/**
 * SQLite: the batch's clusters, and the stored phase of every pack it writes that has a row, one query per
 * cluster of the batch (PostgreSQL: batchFactsPostgres, one statement in all).
 */
async function batchFacts(
  tx: TransactionContext,
  inputs: readonly RecordPackStatusInput[],
): Promise<BatchFacts> {
  const names = [...new Set(inputs.map((input) => input.cluster))];
  const clusters = new Map(
    (await tx.db.selectFrom('clusters').select(['id', 'name']).where('name', 'in', names).execute()).map(
      (cluster) => [cluster.name, cluster],
    ),
  );
  const phases = new Map<string, PackPhase>();
  const packsByCluster = new Map<string, Set<string>>();
  for (const input of inputs) {
    const id = clusters.get(input.cluster)?.id;
    if (id !== undefined) packsByCluster.set(id, (packsByCluster.get(id) ?? new Set()).add(input.pack));
  }
  for (const [clusterId, packs] of packsByCluster) {
    for (const names of powerOfTwoChunks([...packs], PHASE_CHUNK)) {
      const rows = await tx.db
        .selectFrom('pack_status')
        .select(['pack', 'phase'])
        .where('cluster_id', '=', clusterId)
        .where('pack', 'in', names)
        .execute();
      for (const row of rows) phases.set(rowKey(clusterId, row.pack), row.phase as PackPhase);
    }
  }
  return { clusters, phases };
}

/** Pack names per look-up at most (see chunks.ts). */
const PHASE_CHUNK = 512;

async function lastTransitionTo(
  tx: TransactionContext,
  clusterId: string,
  pack: string,
): Promise<{ phase: PackPhase; removed: true } | undefined> {
  const row = await tx.db
    .selectFrom('events')
    .select('data')
    .where('cluster_id', '=', clusterId)
    .where('pack', '=', pack)
    .where('kind', '=', EventKind.PackTransition)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return removedAt(row && fromJson<{ transition: PackTransition }>(row.data).transition.to);
}

/** Where the history of a pack without a row ends: the phase its last transition led to, if it had one. */
const removedAt = (phase: PackPhase | undefined) =>
  phase === undefined ? undefined : { phase, removed: true as const };

function select(ctx: StoreContext) {
  return ctx.db
    .selectFrom('pack_status')
    .innerJoin('clusters', 'clusters.id', 'pack_status.cluster_id')
    .selectAll('pack_status')
    .select('clusters.name as cluster');
}
