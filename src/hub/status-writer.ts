import type { Redactor } from '../profile/index.js';
import { assertNever } from '../shared/assert-never.js';
import { cutText } from '../shared/kept-text.js';
import type { PackStage, PackStatus, PackTransition } from '../status/index.js';
import type { LeaseFence, Store } from '../store/index.js';

interface StatusItem {
  status: PackStatus;
  transitions: PackTransition[];
}

type Pending =
  | ({ readonly type: 'status' } & StatusItem)
  /**
   * `before`: the status still pending when the pack was removed, stored first so its transitions are kept.
   * `after`: the first status of the pack added again while its removal was pending, stored after it.
   */
  | { readonly type: 'removed'; readonly before?: StatusItem; after?: StatusItem };

interface PendingEntry {
  readonly cluster: string;
  readonly pack: string;
  readonly item: Pending;
  /** The lease the runner reported under (hub replicas): the store refuses the write once it is stale. */
  readonly fence?: LeaseFence;
}

interface StatusEntry {
  readonly k: string;
  readonly cluster: string;
  readonly pack: string;
  readonly item: Extract<Pending, { type: 'status' }>;
  readonly fence?: LeaseFence;
}

/**
 * A transition's reason and message are cut to this many characters when stored: each becomes a row, and an
 * event to every viewer, so a runner (or a stolen agent token) cannot fill the database and the viewers' streams
 * with megabyte messages. The reducer's own messages are a sentence or a short list.
 */
export const TRANSITION_TEXT_MAX = 4096;
/**
 * At most this many new transitions are stored per pack per write (the newest); more means a runner replaying
 * a history it was never asked for. A real pack changes colour a few times per status at most, and statuses
 * that queue up behind a write in flight rarely add more than a handful between them.
 */
export const MAX_TRANSITIONS_PER_WRITE = 16;

/**
 * The newest `MAX_TRANSITIONS_PER_WRITE` of `transitions`, their texts cut to `TRANSITION_TEXT_MAX`: applied as
 * a write goes to the store, so the queue keeps counting every transition a status added (its offsets).
 */
export function capTransitions(transitions: readonly PackTransition[]): PackTransition[] {
  const cut = (text: string) => cutText(text, TRANSITION_TEXT_MAX);
  return transitions
    .slice(-MAX_TRANSITIONS_PER_WRITE)
    .map((t) =>
      t.reason.length <= TRANSITION_TEXT_MAX && t.message.length <= TRANSITION_TEXT_MAX
        ? t
        : { ...t, reason: cut(t.reason), message: cut(t.message) },
    );
}

/** At most this many statuses per transaction, so one commit never holds the event-order lock for long. */
const MAX_BATCH = 200;

/**
 * Persists runner status events. One write at a time, in order; while a write is in flight, newer statuses
 * of the same pack replace older pending ones (the transitions they add accumulate), so a burst of 2,000
 * resource events becomes a handful of writes while an idle hub writes each change at once.
 */
export class StatusWriter {
  private readonly pending = new Map<string, PendingEntry>();
  /** How many of a pack's transitions are already stored. */
  private readonly written = new Map<string, number>();
  /**
   * Per pack, the redactor of each of its recent revisions (oldest first). A status of a new revision can still
   * quote the previous one ("failed under the previous one: … image app:<old secret>") after the value was
   * changed, when the pack's current redactor no longer knows the old secret.
   */
  private readonly redactors = new Map<string, Map<string, Redactor>>();
  private flushing: Promise<void> | undefined;
  /** Per cluster, how many of its writes have failed so far (see `failures`). */
  private readonly failed = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Start counting from a status loaded from the store (its transitions are stored already). */
  known(cluster: string, pack: string, status: PackStatus): void {
    this.written.set(key(cluster, pack), status.transitions.length);
  }

  /**
   * Queues a pack's status, redacted with its pack's redactor first: what is stored outlives the runtime that
   * could redact it at display (after a detach or a restart nothing knows the secret any more), so a sensitive
   * value echoed by the cluster in an error must never reach a column or an event in clear.
   */
  status(cluster: string, pack: string, raw: PackStatus, redactor: Redactor, fence?: LeaseFence): void {
    const k = key(cluster, pack);
    const status = [...this.revisionRedactors(k, raw.revision, redactor)].reduce(
      (redacted, r) => redactStatus(redacted, r),
      raw,
    );
    const existing = this.pending.get(k)?.item;
    // A status after a pending removal starts the pack's new life: none of its transitions is stored yet.
    const queued = existing?.type === 'removed' ? existing.after : existing;
    const base = existing?.type === 'removed' ? 0 : (this.written.get(k) ?? 0);
    const added = status.transitions.slice(base + (queued?.transitions.length ?? 0));
    if (queued) {
      queued.status = status;
      queued.transitions.push(...added);
    } else if (existing?.type === 'removed') {
      existing.after = { status, transitions: [...added] };
    } else {
      // Delete first so the Map's insertion order follows the latest change.
      this.pending.delete(k);
      this.pending.set(k, {
        cluster,
        pack,
        item: { type: 'status', status, transitions: [...added] },
        ...(fence ? { fence } : {}),
      });
    }
    this.kick();
  }

  removed(cluster: string, pack: string, fence?: LeaseFence): void {
    const k = key(cluster, pack);
    this.redactors.delete(k);
    // The uninstall's own transition (e.g. success→processing) is often still pending when the pack goes:
    // dropping it left a history that jumped from green straight to removed.
    const existing = this.pending.get(k)?.item;
    if (existing?.type === 'removed') {
      // Added again and removed again before anything was stored: one removal covers both.
      delete existing.after;
      this.kick();
      return;
    }
    const before = existing ? { before: existing } : {};
    this.pending.delete(k);
    this.pending.set(k, { cluster, pack, item: { type: 'removed', ...before }, ...(fence ? { fence } : {}) });
    this.kick();
  }

  /**
   * The redactors to apply, newest first. A revision keeps the first redactor seen with it: right after new
   * values are set, the old revision's last statuses arrive with the new redactor already, which must not
   * replace the one that knows the old secret.
   */
  private revisionRedactors(k: string, revision: string, redactor: Redactor): Redactor[] {
    const byRevision = this.redactors.get(k) ?? new Map<string, Redactor>();
    this.redactors.set(k, byRevision);
    if (!byRevision.has(revision)) byRevision.set(revision, redactor);
    while (byRevision.size > KEPT_REVISIONS) byRevision.delete(byRevision.keys().next().value as string);
    const all = [...byRevision.values()].reverse();
    return all.includes(redactor) ? all : [redactor, ...all];
  }

  /**
   * How many writes of the cluster's statuses have failed since the hub started. A failed write is reported and
   * dropped (the runner's next status carries its transitions again), so whoever must know that what it queued
   * is stored, an agent's batch before its ack, compares this count around its `drain`.
   */
  failures(cluster: string): number {
    return this.failed.get(cluster) ?? 0;
  }

  private fail(cluster: string, error: unknown): void {
    this.failed.set(cluster, this.failures(cluster) + 1);
    this.onError(error);
  }

  /** Resolves when everything queued so far is stored or has failed (see `failures`). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private kick(): void {
    this.flushing ??= this.flush().finally(() => {
      this.flushing = undefined;
      if (this.pending.size > 0) this.kick();
    });
  }

  private async flush(): Promise<void> {
    // Let the current burst of synchronous watch events land in `pending` first.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.pending.size > 0) {
      const batch = this.takeStatuses();
      if (batch.length > 0) {
        await this.writeBatch(batch);
        continue;
      }
      const [k, entry] = this.pending.entries().next().value as [string, PendingEntry];
      this.pending.delete(k);
      try {
        if (entry.item.type === 'removed') {
          const { before } = entry.item;
          // A failure to store it must not keep the pack's row alive: report it and remove anyway.
          if (before) {
            await this.write(k, entry, { type: 'status', ...before }).catch((error: unknown) => {
              this.fail(entry.cluster, error);
            });
          }
          // From here on, statuses of the pack belong to its next life (none of their transitions stored).
          this.written.delete(k);
          await this.store.packStatus.remove(entry.cluster, entry.pack, fenced(entry));
          if (entry.item.after) {
            await this.write(k, entry, { type: 'status', ...entry.item.after });
          }
        }
      } catch (error) {
        this.fail(entry.cluster, error);
      }
    }
  }

  /** The pending statuses up to the first removal (removals keep their place in the order), at most a batch. */
  private takeStatuses(): StatusEntry[] {
    const batch: StatusEntry[] = [];
    for (const [k, entry] of this.pending) {
      if (entry.item.type !== 'status' || batch.length === MAX_BATCH) break;
      batch.push({ k, cluster: entry.cluster, pack: entry.pack, item: entry.item, ...fenced(entry) });
    }
    for (const entry of batch) this.pending.delete(entry.k);
    return batch;
  }

  /**
   * Several statuses in one transaction: one commit for a burst instead of one per pack (issue 15: PostgreSQL
   * waits for a WAL flush per commit). If the batch fails, most likely because one pack's cluster was just
   * removed, each status is written on its own so the others are stored and only the bad one is reported.
   */
  private async writeBatch(batch: readonly StatusEntry[]): Promise<void> {
    const only = batch.length === 1 ? batch[0] : undefined;
    if (only) {
      await this.write(only.k, only, only.item).catch((error: unknown) => {
        this.fail(only.cluster, error);
      });
      return;
    }
    const before = batch.map((entry) => this.written.get(entry.k) ?? 0);
    for (const entry of batch) this.written.set(entry.k, entry.item.status.transitions.length);
    try {
      await this.store.packStatus.recordMany(
        batch.map((entry) => ({
          cluster: entry.cluster,
          pack: entry.pack,
          status: entry.item.status,
          transitions: capTransitions(entry.item.transitions),
          ...fenced(entry),
        })),
      );
    } catch {
      for (const [i, entry] of batch.entries()) {
        // Restored and set again by write() in the same tick: no status can slip in between and count twice.
        this.written.set(entry.k, before[i] ?? 0);
        await this.write(entry.k, entry, entry.item).catch((error: unknown) => {
          this.fail(entry.cluster, error);
        });
      }
    }
  }

  /**
   * The status's transitions count as written from the moment the write starts: a status arriving while it is
   * in flight must not add them again (they were stored twice, and the count then skipped a later one). If the
   * write fails they go back to the pack's next write.
   */
  private async write(
    k: string,
    target: { readonly cluster: string; readonly pack: string; readonly fence?: LeaseFence },
    item: Extract<Pending, { type: 'status' }>,
  ): Promise<void> {
    const before = this.written.get(k) ?? 0;
    this.written.set(k, item.status.transitions.length);
    try {
      await this.store.packStatus.record({
        cluster: target.cluster,
        pack: target.pack,
        status: item.status,
        transitions: capTransitions(item.transitions),
        ...fenced(target),
      });
    } catch (error) {
      const next = this.pending.get(k)?.item;
      if (next?.type === 'status') next.transitions.unshift(...item.transitions);
      else this.written.set(k, before);
      throw error;
    }
  }
}

const key = (cluster: string, pack: string) => `${cluster}/${pack}`;

const fenced = (entry: { readonly fence?: LeaseFence }): { fence?: LeaseFence } =>
  entry.fence ? { fence: entry.fence } : {};

/** How many revisions of a pack keep their redactor: a status quotes at most the one before the current. */
const KEPT_REVISIONS = 4;

/**
 * The status with every free text redacted: messages and reasons of the pack, its stage, its resources and its
 * transitions. Phases, conditions, times, revisions and object references are left alone: they are the
 * product's own vocabulary, and rewriting them would corrupt the record if a secret happened to equal one.
 *
 * What redaction leaves as it was is not copied: the status itself when nothing changed (always, for a pack
 * without sensitive values), else each resource and transition that holds no secret. Every watch event of an
 * install reports its pack's status, and copying each of its resources per event was a large part of an
 * install's garbage (issue 15).
 */
export function redactStatus(status: PackStatus, redactor: Redactor): PackStatus {
  if (redactor.sensitiveValues.length === 0) return status;
  const text = (value: string) => redactor.redact(value);
  const resources = sameOrMapped(status.resources, (resource) => {
    const { reason, message } = resource.evaluation;
    const redacted = { reason: text(reason), message: text(message) };
    return redacted.reason === reason && redacted.message === message
      ? resource
      : { ...resource, evaluation: { ...resource.evaluation, ...redacted } };
  });
  const transitions = sameOrMapped(status.transitions, (transition) => {
    const redacted = { reason: text(transition.reason), message: text(transition.message) };
    return redacted.reason === transition.reason && redacted.message === transition.message
      ? transition
      : { ...transition, ...redacted };
  });
  const reason = text(status.reason);
  const message = text(status.message);
  const stage = redactStage(status.stage, redactor);
  const unchanged =
    reason === status.reason &&
    message === status.message &&
    stage === status.stage &&
    resources === status.resources &&
    transitions === status.transitions;
  return unchanged ? status : { ...status, reason, message, stage, resources, transitions };
}

/** `items` mapped, or `items` itself when `map` returned every item as it was. */
function sameOrMapped<T>(items: readonly T[], map: (item: T) => T): readonly T[] {
  let out: T[] | undefined;
  items.forEach((item, i) => {
    const mapped = map(item);
    if (mapped !== item) (out ??= items.slice(0, i)).push(mapped);
    else out?.push(item);
  });
  return out ?? items;
}

function redactStage(stage: PackStage, redactor: Redactor): PackStage {
  switch (stage.type) {
    case 'Blocked': {
      const blockedBy = redactor.redact(stage.blockedBy);
      return blockedBy === stage.blockedBy ? stage : { ...stage, blockedBy };
    }
    case 'Retrying': {
      const cause = redactor.redact(stage.cause);
      return cause === stage.cause ? stage : { ...stage, cause };
    }
    case 'RenderFailed':
    case 'ApplyFailed': {
      const error = redactor.redact(stage.error);
      return error === stage.error ? stage : { ...stage, error };
    }
    case 'Waiting':
    case 'Queued':
    case 'Rendering':
    case 'Applying':
    case 'Applied':
    case 'Uninstalling':
      return stage;
    default:
      return assertNever(stage, 'pack stage');
  }
}
