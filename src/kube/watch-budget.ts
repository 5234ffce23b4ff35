// One process-wide bound on what every cluster's list+watch makes the hub hold (ListWatch caches and lists in
// flight), shared fairly between the clusters. The per-kind bounds of limits.ts cap one watched kind of one
// cluster; a cluster serving many kinds of big objects, or a few such clusters, still passed the hub's memory
// and stopped it for every user (session 13).
import { getHeapStatistics } from 'node:v8';
import { KubeError, KubeErrorCode } from './errors.js';
import { describeBytes } from './limits.js';

const MiB = 1024 * 1024;

/**
 * The share of the budget set aside for the clusters, split evenly (each cluster's reserve); the rest is shared,
 * and a cluster that needs more than its reserve borrows from it while it lasts, never from another cluster's
 * reserve. So one cluster, or a few, can take at most the shared half from the others, and a single big cluster
 * on a hub of small ones still has room.
 */
export const WATCH_BUDGET_RESERVED = 0.5;

/**
 * The default budget: a quarter of the most memory the hub's heap may use (V8's limit, itself sized from the
 * machine's or the container's memory). Counted at the heap each object's text parses into, as json-cost.ts
 * estimates it before parsing; kept objects cost 0.3-0.6 of that once slimmed (real Pods) and about all of it
 * for `[{},…]`, up to ~3.4 times it only for text made of distinct keys (limits.ts, MAX_BYTES_PER_KIND), so a
 * full budget is at most about a quarter of the heap for real objects, leaving the rest to the hub's own work
 * and to relists' garbage. At least 64 MiB.
 */
export function defaultWatchBudgetBytes(heapLimit = getHeapStatistics().heap_size_limit): number {
  return Math.max(64 * MiB, Math.floor(heapLimit / 4 / MiB) * MiB);
}

/** What a ListWatch charges its objects to (WatchBudget.account gives one per cluster). */
export interface WatchCharge {
  /**
   * Takes `bytes` more, or throws a retryable KubeError TooLarge naming the cluster, `what` (the watched kind)
   * and the limit passed, without taking any.
   */
  take(bytes: number, what: string): void;
  /** Gives back `bytes` taken before. */
  release(bytes: number): void;
  /**
   * true while the cluster holds more than its share since another cluster's account opened (what it borrowed
   * is now owed to the newcomer's reserve): its ListWatches fail with shedError, drop their caches and relist
   * after their backoff, held to the new share. O(1).
   */
  mustShed(): boolean;
  /** The retryable TooLarge of a watch of `what` whose cluster must shed, naming the cluster as the one over. */
  shedError(what: string): KubeError;
}

export interface WatchBudgetOptions {
  /** Bytes of watched objects and lists in flight the hub holds for all clusters together. */
  readonly totalBytes: number;
  /** How the operator sets it, named in refusals (`--watch-cache-mib`). */
  readonly setting?: string;
}

/**
 * The hub's budget of watched bytes. Each cluster's account may hold its reserve (WATCH_BUDGET_RESERVED of the
 * budget, split evenly over the clusters with an account) and borrow beyond it from the shared rest while the
 * reserves of the others stay free for them: a take is refused when the total would pass the budget, or when a
 * cluster past its reserve would grow into what the others' reserves need. Every take and release is O(1); only
 * opening or closing an account (a cluster starting or stopping) walks the accounts.
 */
export class WatchBudget {
  readonly totalBytes: number;
  private readonly setting: string;
  private readonly accounts = new Set<WatchAccount>();
  private used = 0;
  /** Each cluster's reserve: its part of WATCH_BUDGET_RESERVED of the budget. */
  private reserve: number;
  /** Σ max(0, used − reserve) over the accounts: what they borrow from the shared rest. */
  private borrowed = 0;
  /**
   * An account holding more than this must shed: +∞ while the reserves and what is borrowed fit in the budget;
   * when an account opens and they do not (the borrowers took what the newcomer's reserve is owed), each
   * reserve plus an even split of the shared rest between the borrowers (water-filling: who borrows less keeps
   * it). Set back to +∞ by the release that makes them fit again.
   */
  private shedLimit = Number.POSITIVE_INFINITY;

  constructor(options: WatchBudgetOptions) {
    if (!Number.isSafeInteger(options.totalBytes) || options.totalBytes <= 0)
      throw new RangeError(`watch budget: ${String(options.totalBytes)} is not a positive number of bytes`);
    this.totalBytes = options.totalBytes;
    this.setting = options.setting ?? 'the watch budget';
    this.reserve = this.reserveFor(0);
  }

  /** Bytes held by every account. */
  get usedBytes(): number {
    return this.used;
  }

  /** A cluster's account; close() it when the cluster stops (its reserve goes back to the others). */
  account(cluster: string): WatchAccount {
    const account = new WatchAccount(this, cluster);
    this.accounts.add(account);
    this.rebalance();
    return account;
  }

  /** @internal WatchAccount.close */
  closeAccount(account: WatchAccount): void {
    if (!this.accounts.delete(account)) return;
    this.used -= account.usedBytes;
    this.rebalance();
  }

  /** @internal WatchAccount.mustShed */
  overShare(account: WatchAccount): boolean {
    return account.usedBytes > this.shedLimit;
  }

  /** @internal WatchAccount.take: the refusal's text, or undefined once taken. */
  tryTake(account: WatchAccount, bytes: number): string | undefined {
    const before = account.usedBytes;
    const after = before + bytes;
    if (after > this.shedLimit) return this.shedWhy();
    const growth = Math.max(0, after - this.reserve) - Math.max(0, before - this.reserve);
    const reserved = this.reserve * this.accounts.size;
    if (this.used + bytes > this.totalBytes)
      return this.shedLimit === Number.POSITIVE_INFINITY
        ? 'the clusters together hold all of it'
        : 'other clusters hold more than their share and are giving it back: retried until they have';
    if (growth > 0 && reserved + this.borrowed + growth > this.totalBytes) {
      const n = this.accounts.size;
      return `${approxBytes(this.reserve)} of it is kept for each of the ${String(n)} cluster${n === 1 ? '' : 's'} and the rest is in use`;
    }
    this.used += bytes;
    this.borrowed += growth;
    return undefined;
  }

  /** @internal WatchAccount.release */
  give(account: WatchAccount, before: number, bytes: number): void {
    const after = before - bytes;
    this.used -= bytes;
    this.borrowed -= Math.max(0, before - this.reserve) - Math.max(0, after - this.reserve);
    if (this.shedLimit !== Number.POSITIVE_INFINITY && this.fits()) this.shedLimit = Number.POSITIVE_INFINITY;
  }

  /** @internal The `why` of a cluster that must shed. */
  shedWhy(): string {
    return (
      `it is over its share of it since another cluster was added (${approxBytes(this.shedLimit)} now): ` +
      `its watches drop what they hold and relist within the share`
    );
  }

  /** @internal The refusal of `bytes` more for `what` on `account`'s cluster. */
  refusal(account: WatchAccount, what: string, why: string): KubeError {
    return new KubeError(
      KubeErrorCode.TooLarge,
      `watch of ${what}: cluster ${account.cluster} would hold more than its share of the hub's ` +
        `${describeBytes(this.totalBytes)} watch budget (${this.setting}): it holds ` +
        `${approxBytes(account.usedBytes)} of watched objects, and ${why}`,
    );
  }

  private reserveFor(clusters: number): number {
    return Math.floor((this.totalBytes * WATCH_BUDGET_RESERVED) / Math.max(1, clusters));
  }

  /**
   * A cluster came or went: every reserve changes, and with it what each account borrows, and who holds more
   * than its share (the only place it is computed: O(clusters log clusters), not per take).
   */
  private rebalance(): void {
    this.reserve = this.reserveFor(this.accounts.size);
    this.borrowed = 0;
    const loans: number[] = [];
    for (const account of this.accounts) {
      const loan = Math.max(0, account.usedBytes - this.reserve);
      this.borrowed += loan;
      if (loan > 0) loans.push(loan);
    }
    this.shedLimit = Number.POSITIVE_INFINITY;
    if (this.fits()) return;
    // Water-filling over the shared rest: the smallest loans are kept whole while they are under an even split
    // of what remains; the first one over it sets the level every bigger borrower must shed down to.
    loans.sort((a, b) => a - b);
    let shared = Math.max(0, this.totalBytes - this.reserve * this.accounts.size);
    for (const [i, loan] of loans.entries()) {
      const even = Math.floor(shared / (loans.length - i));
      if (loan > even) {
        this.shedLimit = this.reserve + even;
        return;
      }
      shared -= loan;
    }
  }

  /** The reserves and what is borrowed fit in the budget: nobody holds what another's reserve is owed. */
  private fits(): boolean {
    return this.reserve * this.accounts.size + this.borrowed <= this.totalBytes;
  }
}

/** One cluster's part of a WatchBudget, shared by all its ListWatches. */
export class WatchAccount implements WatchCharge {
  private used = 0;
  private closed = false;

  constructor(
    private readonly budget: WatchBudget,
    readonly cluster: string,
  ) {}

  get usedBytes(): number {
    return this.used;
  }

  take(bytes: number, what: string): void {
    if (this.closed || bytes <= 0) return;
    const refused = this.budget.tryTake(this, bytes);
    if (refused !== undefined) throw this.budget.refusal(this, what, refused);
    this.used += bytes;
  }

  mustShed(): boolean {
    return !this.closed && this.budget.overShare(this);
  }

  shedError(what: string): KubeError {
    return this.budget.refusal(this, what, this.budget.shedWhy());
  }

  release(bytes: number): void {
    if (this.closed || bytes <= 0) return;
    const given = Math.min(bytes, this.used);
    this.budget.give(this, this.used, given);
    this.used -= given;
  }

  /** The cluster stopped: what it held goes back, and later takes and releases do nothing. */
  close(): void {
    if (this.closed) return;
    this.budget.closeAccount(this);
    this.closed = true;
    this.used = 0;
  }
}

/** `612.3 MiB`, or bytes under one MiB. */
function approxBytes(n: number): string {
  return n < MiB ? `${String(n)} bytes` : `${(n / MiB).toFixed(1)} MiB`;
}
