// The waiting places of a worker pool (upload-checker.ts), shared fairly between the tokens that wait. A plain
// first-come queue lets a few viewer tokens fill every place and keep everyone else BUSY (review 9, item 5: the
// health-test pool has 1 thread and 8 places; 3 viewers × 4 tests of 10 s each held it). Here a full queue still
// takes a newcomer whose token holds fewer places than the token holding the most: that token's newest waiting
// job gives up its place (refused as BUSY, as it would have been had it come last). So each token keeps at most
// its share of the places while others wait, and one that holds none always gets one. An operator's or admin's
// job also takes the place of a viewer's that holds as many, and starts before the viewers' jobs: viewers can
// delay them by one running job at most, never refuse them.

/** Who a job is for: its token (or caller name), and whether that token is an operator's or admin's. */
export interface WaitingOwner {
  readonly key: string;
  readonly privileged: boolean;
}

/** A caller with no token (the hub itself, tests): its own key, privileged. */
export const HUB_OWNER: WaitingOwner = { key: 'hub', privileged: true };

export interface Waiting<T> {
  readonly owner: WaitingOwner;
  readonly item: T;
}

/** A part of the queue (a lane's jobs) with a cap of its own below the queue's. */
export interface WaitingPart<T> {
  readonly places: number;
  readonly match: (item: T) => boolean;
}

export type Admission<T> =
  | { readonly admitted: true; readonly evicted?: Waiting<T> }
  | {
      readonly admitted: false;
      readonly held: number;
      /**
       * This token holds more places than any other (its share and more): it is the one to wait. False when
       * another holds as many (every waiting token at its share): the pool itself is full.
       */
      readonly overShare: boolean;
    };

export class FairWaiting<T> {
  private readonly entries: Waiting<T>[] = [];

  constructor(readonly places: number) {}

  get length(): number {
    return this.entries.length;
  }

  /** How many places a token holds now (of the jobs that match). */
  held(key: string, match: (item: T) => boolean = () => true): number {
    let n = 0;
    for (const entry of this.entries) if (entry.owner.key === key && match(entry.item)) n++;
    return n;
  }

  /** Waiting jobs that match, e.g. of one lane. */
  count(match: (item: T) => boolean): number {
    return this.entries.filter((e) => match(e.item)).length;
  }

  /**
   * Adds a job, taking the place of another token's newest job when the queue is full and that token holds
   * more places (or as many, and is a viewer's while this is an operator's or admin's). `within`: a part of the
   * queue this job belongs to (a lane) with fewer places of its own; when that part is full, the same rule is
   * applied between its jobs alone, so a token holding none of them still gets one (review 11, item 4). The
   * evicted job is returned so its caller can be told; `admitted: false`: the queue (or part) is full and this
   * token has its share.
   */
  push(owner: WaitingOwner, item: T, within?: WaitingPart<T>): Admission<T> {
    const partFull = within !== undefined && within.match(item) && this.count(within.match) >= within.places;
    if (this.entries.length < this.places && !partFull) {
      this.entries.push({ owner, item });
      return { admitted: true };
    }
    const among = partFull ? within.match : () => true;
    const mine = this.held(owner.key, among);
    const victim = this.heaviest(owner.key, among);
    const takes =
      victim !== undefined &&
      (victim.held > mine || (owner.privileged && !victim.privileged && victim.held >= mine));
    if (!takes)
      return {
        admitted: false,
        held: mine,
        overShare: mine > 0 && (victim === undefined || mine > victim.held),
      };
    const at = this.entries.findLastIndex((e) => e.owner.key === victim.key && among(e.item));
    const [evicted] = this.entries.splice(at, 1);
    this.entries.push({ owner, item });
    return evicted === undefined ? { admitted: true } : { admitted: true, evicted };
  }

  /** Takes a waiting job out of the queue (its caller gave up); false when it is not waiting (any more). */
  remove(item: T): boolean {
    const at = this.entries.findIndex((e) => e.item === item);
    if (at < 0) return false;
    this.entries.splice(at, 1);
    return true;
  }

  /**
   * Takes the next job that `mayStart` allows: an operator's or admin's first, then the job of the token with
   * the fewest jobs `running` (round robin between tokens), first come first within that.
   */
  take(mayStart: (item: T) => boolean, running: (key: string) => number): Waiting<T> | undefined {
    let best = -1;
    let bestRank: readonly [number, number] | undefined;
    for (let i = 0; i < this.entries.length; i++) {
      const entry = this.entries[i];
      if (entry === undefined || !mayStart(entry.item)) continue;
      const rank = [entry.owner.privileged ? 0 : 1, running(entry.owner.key)] as const;
      if (
        bestRank === undefined ||
        rank[0] < bestRank[0] ||
        (rank[0] === bestRank[0] && rank[1] < bestRank[1])
      ) {
        best = i;
        bestRank = rank;
      }
    }
    return best < 0 ? undefined : this.entries.splice(best, 1)[0];
  }

  /** The token other than `except` holding the most places of the jobs that match (a viewer's first on a tie). */
  private heaviest(
    except: string,
    match: (item: T) => boolean,
  ): { key: string; held: number; privileged: boolean } | undefined {
    const counts = new Map<string, { key: string; held: number; privileged: boolean }>();
    for (const { owner, item } of this.entries) {
      if (owner.key === except || !match(item)) continue;
      const seen = counts.get(owner.key);
      if (seen === undefined)
        counts.set(owner.key, { key: owner.key, held: 1, privileged: owner.privileged });
      else seen.held++;
    }
    let top: { key: string; held: number; privileged: boolean } | undefined;
    for (const c of counts.values()) {
      if (top === undefined || c.held > top.held || (c.held === top.held && top.privileged && !c.privileged))
        top = c;
    }
    return top;
  }
}
