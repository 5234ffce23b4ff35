// What a cluster's packs look like and what an operator can do to them: the Cluster Profile page, each pack's
// history, runs and resolved values (sensitive values masked), retry and resync.
import { MAX_RUNS, type PackRunTimes, type PackTransition } from '../status/index.js';
import type { Store } from '../store/index.js';
import type { Attachments } from './attachments.js';
import type { Actor } from './config.js';
import { notFound } from './errors.js';
import type { ClusterRuntime, Fleet } from './fleet.js';
import { Kept, type ReadVersions } from './kept-reads.js';
import { PackViews } from './pack-views.js';
import { ValuesText } from './values-text.js';
import type { WaitingOwner } from './fair-waiting.js';
import type { ClusterPage, PackValuesView } from './views.js';

/** Transitions per page of a pack's history, by default and at most. */
export const HISTORY_PAGE = { default: 100, max: 1000 } as const;
/** Transitions per page of a cluster's install timeline (all its packs), by default and at most. */
export const TIMELINE_PAGE = { default: 1000, max: 5000 } as const;

/** Runs per page of a pack's runs, by default and at most (a pack keeps MAX_RUNS of them). */
export const RUNS_PAGE = { default: 10, max: MAX_RUNS } as const;

/** Which page: the newest `limit` transitions, or the newest before the `next` of the page read last. */
export interface HistoryPageQuery {
  readonly limit?: number;
  readonly before?: number;
}

export interface PackHistoryPage {
  /** Oldest first. */
  readonly transitions: PackTransition[];
  /** Pass as `before` for the page of older ones; absent when there are none. */
  readonly next?: number;
}

export interface ClusterTransitionsPage {
  readonly packs: { pack: string; transitions: PackTransition[]; runs?: readonly PackRunTimes[] }[];
  readonly next?: number;
}

export interface PackRunsPage {
  /** Oldest first. */
  readonly runs: readonly PackRunTimes[];
  /** Pass as `before` for the page of older ones (the start of this page's oldest run, in ms since the epoch). */
  readonly next?: number;
}

/** A run's start in ms since the epoch; a start that cannot be read (an agent's) counts as the oldest. */
function startMs(run: PackRunTimes): number {
  const ms = Date.parse(run.startTime);
  return Number.isNaN(ms) ? 0 : ms;
}

/**
 * A page of a pack's runs, oldest first: the newest `limit` of those that started before `query.before` (ms since
 * the epoch); `next` is the start of the page's oldest run. Runs have no id, and their list loses its oldest one
 * when a run is added to a full list, so the cursor is a time, not a position: a page read after a new run still
 * goes on where the last one stopped. A page never splits runs that started in the same millisecond (a retry
 * can start in the one its first run failed), so none is skipped: such a page holds more than `limit`.
 */
export function runsPage(runs: readonly PackRunTimes[], query: HistoryPageQuery = {}): PackRunsPage {
  const limit = Math.min(Math.max(1, query.limit ?? RUNS_PAGE.default), RUNS_PAGE.max);
  const { before } = query;
  const older = before === undefined ? runs : runs.filter((r) => startMs(r) < before);
  const starts = older.map(startMs);
  let first = Math.max(0, older.length - limit);
  while (first > 0 && starts[first - 1] === starts[first]) first--;
  const page = older.slice(first);
  const next = first > 0 ? (starts[first] ?? 0) : 0;
  return next > 0 ? { runs: page, next } : { runs: page };
}

/**
 * Reads one page more than asked, so whether older ones exist is known: the rows come oldest first, and the
 * page is the newest `limit` of them; `next` is the id of its oldest row.
 */
async function readPage<T extends { readonly id: number }>(
  query: HistoryPageQuery,
  sizes: { readonly default: number; readonly max: number },
  read: (options: { limit: number; before?: number }) => Promise<T[]>,
): Promise<{ rows: T[]; next?: number }> {
  const limit = Math.min(Math.max(1, query.limit ?? sizes.default), sizes.max);
  const rows = await read({
    limit: limit + 1,
    ...(query.before === undefined ? {} : { before: query.before }),
  });
  if (rows.length <= limit) return { rows };
  const page = rows.slice(rows.length - limit);
  return { rows: page, ...(page[0] ? { next: page[0].id } : {}) };
}

/** The runs the pack's live status keeps, oldest first (none for a status that is not a readable one). */
function keptRuns(runtime: ClusterRuntime, pack: string): readonly PackRunTimes[] {
  const runs: unknown = runtime.runner.statuses().find((s) => s.pack === pack)?.status.runs;
  return Array.isArray(runs) ? (runs as PackRunTimes[]) : [];
}

export class Packs {
  private readonly views = new PackViews();
  private readonly pages = new Kept<ClusterPage>();
  private readonly valuesText = new ValuesText();

  constructor(
    private readonly store: Store,
    private readonly fleet: Fleet,
    private readonly attachments: Attachments,
    private readonly versions: ReadVersions,
  ) {}

  /** The page as last built while nothing on it changed since (kept-reads.ts), else built again. */
  async clusterPage(cluster: string): Promise<ClusterPage> {
    const runtime = this.fleet.runtime(cluster);
    return this.pages.get(cluster, this.versions.page(cluster, runtime), () => this.buildPage(runtime));
  }

  /**
   * The page without a promise when it is kept and nothing on it changed since: the server's fast path for
   * page reads (src/server/kept-page-answer.ts). Undefined when it must be built, or the cluster is unknown:
   * clusterPage() then builds it, or says why not.
   */
  keptClusterPage(cluster: string): ClusterPage | undefined {
    if (!this.fleet.has(cluster)) return undefined;
    const runtime = this.fleet.runtime(cluster);
    return this.pages.built(cluster, this.versions.page(cluster, runtime))?.value;
  }

  private async buildPage(runtime: ClusterRuntime): Promise<ClusterPage> {
    const cluster = runtime.record.name;
    const packs = runtime.runner.statuses().flatMap((s) => {
      const desired = runtime.known.get(s.pack);
      return desired
        ? [
            this.views.view(desired, s.status, s.stale, runtime.drift.get(s.pack), (ref) =>
              runtime.runner.recentWarnings(ref),
            ),
          ]
        : [];
    });
    const page = {
      cluster: await this.fleet.clusterView(runtime.record),
      attachments: await this.attachments.list(cluster),
      packs,
    };
    return this.views.samePage(cluster, page);
  }

  /** A page of the pack's transitions, oldest first: the newest ones, or those before `query.before`. */
  async history(cluster: string, pack: string, query: HistoryPageQuery = {}): Promise<PackHistoryPage> {
    const runtime = this.fleet.runtime(cluster);
    if (!runtime.known.has(pack)) throw notFound('pack', `${cluster}/${pack}`);
    const desired = runtime.known.get(pack);
    const { rows, next } = await readPage(query, HISTORY_PAGE, (options) =>
      this.store.history.transitions(cluster, pack, options),
    );
    const transitions = rows.map(({ id: _id, ...t }) =>
      desired ? { ...t, message: desired.redactor.redact(t.message) } : t,
    );
    return { transitions, ...(next === undefined ? {} : { next }) };
  }

  /**
   * A page of the pack's runs (install, upgrade, retry, uninstall), oldest first: the page carries only the
   * current one of each pack.
   */
  runs(cluster: string, pack: string, query: HistoryPageQuery = {}): PackRunsPage {
    const runtime = this.fleet.runtime(cluster);
    if (!runtime.known.has(pack)) throw notFound('pack', `${cluster}/${pack}`);
    return runsPage(keptRuns(runtime, pack), query);
  }

  /**
   * A page of every pack's transitions (the newest ones across the cluster, or those before `query.before`),
   * packs in install order, oldest first: the install timeline.
   */
  async clusterTransitions(cluster: string, query: HistoryPageQuery = {}): Promise<ClusterTransitionsPage> {
    const runtime = this.fleet.runtime(cluster);
    const byPack = new Map<string, PackTransition[]>();
    const packs = [...runtime.known.values()].sort((a, b) => a.order - b.order);
    for (const d of packs) byPack.set(d.pack.name, []);
    const { rows, next } = await readPage(query, TIMELINE_PAGE, (options) =>
      this.store.history.clusterTransitions(cluster, options),
    );
    // The runs (at most 20 a pack) go with the newest page only: an older page would repeat them all.
    const runsOf = new Map(
      query.before === undefined ? runtime.runner.statuses().map((s) => [s.pack, s.status.runs]) : [],
    );
    for (const { id: _id, pack, ...t } of rows) {
      const redactor = runtime.known.get(pack)?.redactor;
      if (redactor) byPack.get(pack)?.push({ ...t, message: redactor.redact(t.message) });
    }
    return {
      packs: [...byPack].map(([pack, transitions]) => {
        const runs = runsOf.get(pack);
        return Array.isArray(runs) && runs.length > 0 ? { pack, transitions, runs } : { pack, transitions };
      }),
      ...(next === undefined ? {} : { next }),
    };
  }

  /**
   * What the pack deploys with, resolved for this cluster, sensitive values masked. Its YAML text is written
   * off the event loop when large and kept while the pack is unchanged (values-text.ts); `signal`: the caller
   * gave up (its request was closed).
   */
  async values(
    cluster: string,
    pack: string,
    owner?: WaitingOwner,
    signal?: AbortSignal,
  ): Promise<PackValuesView> {
    const runtime = this.fleet.runtime(cluster);
    const desired = runtime.known.get(pack);
    if (!desired) throw notFound('pack', `${cluster}/${pack}`);
    return this.valuesText.view(`${cluster}/${pack}`, desired, runtime.runner.notes(pack), owner, signal);
  }

  async retry(cluster: string, pack: string, actor: Actor): Promise<void> {
    const runtime = this.fleet.runtime(cluster);
    if (!runtime.runner.retryPack(pack)) throw notFound('pack', `${cluster}/${pack}`);
    await this.store.audit.record({ actor, action: 'pack.retry', target: `cluster/${cluster}/pack/${pack}` });
  }

  async resync(cluster: string, actor: Actor): Promise<void> {
    const runtime = this.fleet.runtime(cluster);
    runtime.runner.resync();
    await this.store.audit.record({ actor, action: 'cluster.resync', target: `cluster/${cluster}` });
  }
}
