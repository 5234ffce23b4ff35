// Profile bundles being read at once (each may be ~21 MiB; a viewer may send one to validate). Review 14,
// finding 4: a hub-wide count alone let one viewer token trickle 4 uploads and hold every slot, so operators'
// imports got 503 for as long as it kept them open. The policy of the costly-request caps (heavy-requests.ts):
// each token holds at most its share, one more is 429 (it is over its share); viewers' tokens together hold all
// but the slots kept for operators and admins, and when those are taken, or all are, it is 503 HUB_BUSY (the hub
// is full). The counts are taken before any byte of the body is read, and given back when the answer is sent or
// the connection closes.
import { ApiError } from './problem.js';

/** Profile bundles the hub reads at once, hub-wide: bounds the memory they take. */
export const MAX_BUNDLES_IN_FLIGHT = 4;
/** Profile bundles one token may have being read at once. */
export const MAX_BUNDLES_PER_TOKEN = 2;
/** Slots viewers' tokens never take: an operator's or admin's import always finds one. */
export const BUNDLE_SLOTS_KEPT_FOR_OPERATORS = 1;

/** Seconds a refused client is asked to wait: a bundle is read in about a second on a fair link. */
const RETRY_AFTER_SECONDS = 2;

export class BundleSlots {
  private all = 0;
  private viewers = 0;
  private readonly perKey = new Map<string, number>();

  constructor(
    readonly total: number = MAX_BUNDLES_IN_FLIGHT,
    readonly perToken: number = MAX_BUNDLES_PER_TOKEN,
    readonly keptForOperators: number = BUNDLE_SLOTS_KEPT_FOR_OPERATORS,
  ) {}

  /** What viewers' tokens together may hold. */
  get viewersShare(): number {
    return Math.max(1, this.total - this.keptForOperators);
  }

  /** Bundles being read for one token (or caller name) now. */
  held(key: string): number {
    return this.perKey.get(key) ?? 0;
  }

  /**
   * Takes a slot for `key` (a token id; `privileged`: an operator's or admin's), or throws the 429 or 503 with
   * `setRetryAfter` told the seconds to wait; returns what gives it back (once, however often it is called).
   */
  admit(key: string, privileged: boolean, setRetryAfter: (seconds: string) => void): () => void {
    const mine = this.held(key);
    const refuse = (status: 429 | 503, why: string): never => {
      setRetryAfter(String(RETRY_AFTER_SECONDS));
      throw new ApiError(
        status,
        status === 429 ? 'TOO_MANY_REQUESTS' : 'HUB_BUSY',
        `${why}: send this one again in a few seconds`,
      );
    };
    if (mine >= this.perToken)
      refuse(
        429,
        `this token has ${mine} profile bundles being read already, the most one token may have (${this.perToken})`,
      );
    if (this.all >= this.total)
      refuse(503, `the hub is reading ${this.total} profile bundles already, the most it reads at once`);
    if (!privileged && this.viewers >= this.viewersShare)
      refuse(
        503,
        `the hub is reading ${this.viewersShare} profile bundles for viewers' tokens already, the most they may ` +
          `have together (of ${this.total}; the rest is kept for operators and admins)`,
      );
    this.all++;
    if (!privileged) this.viewers++;
    this.perKey.set(key, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.all--;
      if (!privileged) this.viewers--;
      const left = this.held(key) - 1;
      if (left > 0) this.perKey.set(key, left);
      else this.perKey.delete(key);
    };
  }
}
