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
 * machine's or the container's memory). Counted at the size the API server sent each object in; kept objects
 * cost about 1.5 times that in heap (limits.ts, MAX_BYTES_PER_KIND), so a full budget is about 40 % of the heap,
 * leaving the rest to the hub's own work and to relists' garbage. At least 64 MiB.
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

  /** @internal WatchAccount.take: the refusal's text, or undefined once taken. */
  tryTake(account: WatchAccount, bytes: number): string | undefined {
    const before = account.usedBytes;
    const after = before + bytes;
    const growth = Math.max(0, after - this.reserve) - Math.max(0, before - this.reserve);
    const reserved = this.reserve * this.accounts.size;
    if (this.used + bytes > this.totalBytes) return 'the clusters together hold all of it';
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

  /** A cluster came or went: every reserve changes, and with it what each account borrows. */
  private rebalance(): void {
    this.reserve = this.reserveFor(this.accounts.size);
    this.borrowed = 0;
    for (const account of this.accounts) this.borrowed += Math.max(0, account.usedBytes - this.reserve);
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
