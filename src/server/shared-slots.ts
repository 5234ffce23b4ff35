// The one admission policy of the hub's costly work (heavy-requests.ts holds its kinds: costly requests, profile
// bundles being read). Each kind caps what one token holds (across the kind's operations), and each operation of
// it hub-wide, of which viewers' tokens together hold all but what is kept for operators and admins. The answers
// are honest about whose fault a refusal is: 429 TOO_MANY_REQUESTS when the caller's token is over its share, 503
// HUB_BUSY when the hub itself is full; both with Retry-After. A kind may also hold viewers to an even split of
// their share while one of them waits, so the places that free up go to the one that waits, not to whoever asks
// fastest (review 9, item 5). Review 14, finding 4: profile bundles had a copy of this policy in a smaller class.
import { ApiError } from './problem.js';

/** Seconds a refused client is asked to wait: the work these slots guard takes about a second. */
export const RETRY_AFTER_SECONDS = 2;

/**
 * How long a viewer token refused by the viewers' share counts as waiting for that operation: a few of its
 * Retry-After. While one waits, the viewer tokens holding more than an even split of the share are refused
 * their next one.
 */
const WAITING_MS = 3 * RETRY_AFTER_SECONDS * 1000;

/**
 * The texts of a kind's refusals, each the whole detail of the problem. They name the limits and this token's
 * own count, never other tokens' activity (review 13, item 5): a count is given only where it is the limit.
 */
export interface SlotRefusals {
  /** 429: this token holds `held` of the kind, its cap. */
  overToken(held: number, cap: number): string;
  /** 503: the operation's hub-wide cap is reached. */
  hubFull(operation: string, cap: number): string;
  /** 429 or 503: viewers' tokens together hold their `share` of the hub-wide `cap`; this one holds `held`. */
  viewersFull(operation: string, counts: { share: number; cap: number; held: number }): string;
}

export interface SlotKind {
  /** What one token may hold at once, its requests of every operation of the kind together. */
  readonly perToken: number;
  /** What the hub runs at once of one operation, all tokens. */
  readonly perOperation: number;
  /** Of `perOperation`, what viewers' tokens never take: an operator or admin always finds room. */
  readonly keptForPrivileged: number;
  /**
   * When set, while a viewer token waits for the viewers' share each viewer token is held to an even split of
   * it, and a viewer refused by the full share at its split is told 429 (its turn to wait), not 503; this is the
   * text of the 429 of a viewer token at its even `split` of the viewers' `share` while others wait.
   */
  readonly evenSplitWhileWaiting?: (
    operation: string,
    counts: { split: number; share: number; held: number },
  ) => string;
  readonly refusals: SlotRefusals;
}

interface OperationLoad {
  all: number;
  viewers: number;
  /** Per viewer token (non-privileged): its requests of this operation in progress. */
  readonly perViewer: Map<string, number>;
  /** Viewer tokens refused by the share lately, until when they count as waiting. */
  readonly waiting: Map<string, number>;
}

/** The slots of one kind of costly work: see the top of this file. */
export class SharedSlots {
  private readonly perKey = new Map<string, number>();
  private readonly perOperation = new Map<string, OperationLoad>();

  constructor(
    readonly kind: SlotKind,
    private readonly now: () => number = Date.now,
  ) {}

  /** What viewers' tokens together may hold of one operation's hub-wide cap. */
  get viewersShare(): number {
    return Math.max(1, this.kind.perOperation - this.kind.keptForPrivileged);
  }

  /** What one token (or caller name) holds now. */
  held(key: string): number {
    return this.perKey.get(key) ?? 0;
  }

  /** What is held hub-wide, per operation. */
  heldPerOperation(): ReadonlyMap<string, number> {
    return new Map([...this.perOperation].map(([operation, load]) => [operation, load.all]));
  }

  /**
   * Takes a slot of `operation` for `key` (a token id; `privileged`: an operator's or admin's), or throws the 429
   * or 503 with `setRetryAfter` told the seconds to wait, taking nothing; returns what gives it back (once,
   * however often it is called).
   */
  take(
    operation: string,
    key: string,
    privileged: boolean,
    setRetryAfter: (seconds: string) => void,
  ): () => void {
    const refuse = (status: 429 | 503, detail: string): never => {
      setRetryAfter(String(RETRY_AFTER_SECONDS));
      throw new ApiError(status, status === 429 ? 'TOO_MANY_REQUESTS' : 'HUB_BUSY', detail);
    };
    const mine = this.held(key);
    if (mine >= this.kind.perToken) refuse(429, this.kind.refusals.overToken(mine, this.kind.perToken));
    const load = this.perOperation.get(operation) ?? {
      all: 0,
      viewers: 0,
      perViewer: new Map<string, number>(),
      waiting: new Map<string, number>(),
    };
    const refusal = this.checkOperation(operation, load, key, privileged);
    if (refusal) refuse(refusal.status, refusal.detail);
    this.perKey.set(key, mine + 1);
    load.all++;
    if (!privileged) {
      load.viewers++;
      load.perViewer.set(key, (load.perViewer.get(key) ?? 0) + 1);
      load.waiting.delete(key);
    }
    this.perOperation.set(operation, load);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      lower(this.perKey, key, 1);
      load.all--;
      if (!privileged) {
        load.viewers--;
        lower(load.perViewer, key, 1);
      }
      if (load.all === 0 && load.waiting.size === 0) this.perOperation.delete(operation);
    };
  }

  /**
   * The operation's hub-wide cap, the viewers' share of it, and, while a viewer token waits for that share (when
   * the kind holds viewers to an even split), an even split of it: the refusal naming the limit, if any.
   */
  private checkOperation(
    operation: string,
    load: OperationLoad,
    key: string,
    privileged: boolean,
  ): { status: 429 | 503; detail: string } | undefined {
    const { kind } = this;
    const now = this.now();
    for (const [waiter, until] of load.waiting) if (until <= now) load.waiting.delete(waiter);
    if (load.all >= kind.perOperation)
      return { status: 503, detail: kind.refusals.hubFull(operation, kind.perOperation) };
    if (privileged) return undefined;
    const share = this.viewersShare;
    const held = load.perViewer.get(key) ?? 0;
    const tokens = new Set([...load.perViewer.keys(), ...load.waiting.keys(), key]);
    const split = Math.max(1, Math.floor(share / tokens.size));
    if (load.viewers >= share) {
      if (kind.evenSplitWhileWaiting === undefined)
        return {
          status: 503,
          detail: kind.refusals.viewersFull(operation, { share, cap: kind.perOperation, held }),
        };
      load.waiting.set(key, now + WAITING_MS);
      this.perOperation.set(operation, load);
      return {
        status: held >= split ? 429 : 503,
        detail: kind.refusals.viewersFull(operation, { share, cap: kind.perOperation, held }),
      };
    }
    if (kind.evenSplitWhileWaiting === undefined) return undefined;
    const othersWait = [...load.waiting.keys()].some((waiter) => waiter !== key);
    if (othersWait && held >= split)
      return { status: 429, detail: kind.evenSplitWhileWaiting(operation, { split, share, held }) };
    return undefined;
  }
}

export function lower(counts: Map<string, number>, key: string, by: number): void {
  const left = (counts.get(key) ?? by) - by;
  if (left <= 0) counts.delete(key);
  else counts.set(key, left);
}
