import type { KubernetesObject } from '@kubernetes/client-node';
import { abortableSleep, backoffDelay, defaultBackoff, type Backoff } from './backoff.js';
import { classifyError, errorFromStatus, KubeError, KubeErrorCode } from './errors.js';
import { describeBytes, MAX_BYTES_PER_KIND, MAX_OBJECTS_PER_KIND } from './limits.js';
import { keyOf } from './refs.js';
import type { WatchCharge } from './watch-budget.js';
import type { RawWatchEvent } from './watch-stream.js';

export type WatchEvent<T> = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: T };
export type WatchHandler<T> = (event: WatchEvent<T>) => void | Promise<void>;
export type ConnectionState = { connected: true } | { connected: false; error: KubeError; attempt: number };

export interface ListWatchOptions {
  /** Periodic relist as a safety net; default 300 000 ms. */
  resyncIntervalMs?: number;
  /** Reconnect delays: default 200 ms doubling to 30 s, with full jitter. */
  backoff?: Backoff;
  /** Injected so tests don't sleep; must resolve early when the signal aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  /** Connected after every successful (re)list that follows an outage, and after the first list. */
  onConnection?: (state: ConnectionState) => void;
  /** A handler threw: the cache keeps its old entry and the next event or relist delivers the object again. */
  onHandlerError?: (error: unknown, event: WatchEvent<unknown>) => void;
  now?: () => number;
  /**
   * Applied to every listed and watched object before the cache and the handler see it (client-go's
   * TransformFunc): drop what no consumer reads, so a cache of thousands of objects does not keep their
   * managedFields. Must not change the key or the resourceVersion.
   */
  transform?: <O extends KubernetesObject>(object: O) => O;
  /**
   * The most objects the cache keeps (default MAX_OBJECTS_PER_KIND, limits.ts). A list of more, or a watch event
   * that would add one past it, is a retryable KubeError TooLarge: reported through onConnection and retried
   * with backoff like any failure, so a server that floods the hub with objects costs it a bounded cache.
   */
  maxObjects?: number;
  /**
   * The most bytes the cache keeps (default MAX_BYTES_PER_KIND), each object counted at the heap the server's
   * text of it parses into, as json-cost.ts estimates it (its watch line's, or its share of its list page's; see
   * ListWatchSource), so a server that sends few but huge objects, or objects made of `{}`, is bounded too.
   * Past it: TooLarge, reported and retried as for maxObjects.
   */
  maxBytes?: number;
  /**
   * The hub's budget across kinds and clusters (WatchBudget.account, one per cluster): every byte the cache
   * keeps and every byte of a list in flight is taken from it first (at the size maxBytes counts), and given
   * back when the object leaves the cache, the list is done or the watch stops. A take it refuses fails the list
   * or watch with its TooLarge, reported and retried with backoff as for maxBytes: the cache stops growing, and
   * starts again once the cluster (or the others) shrink.
   */
  budget?: WatchCharge;
}

/**
 * What a source passes each listed object through: the consumer's transform, with the object's size when the
 * source knows it (its share of its page's estimated heap, json-cost.ts), so it is taken from the budget as
 * pages arrive.
 */
export type ListTransform = <O extends KubernetesObject>(object: O, size?: number) => O;

/** The two calls a ListWatch makes; KubeClient builds one per query, unit tests stub it. */
export interface ListWatchSource<T> {
  /**
   * The whole collection, each item already passed through `transform`: a source that reads it in pages
   * transforms each page as it arrives, so a relist of 50,000 objects never holds all of them whole at once.
   * `transform` may throw (the budget refused the list's bytes): the list then fails with that error.
   */
  list(
    signal: AbortSignal,
    transform: ListTransform,
  ): Promise<{
    items: T[];
    resourceVersion: string;
    /**
     * Each item's size (its share of its page's estimated heap, json-cost.ts), counted against maxBytes; without
     * it the list is bounded by its number of items only.
     */
    sizes?: readonly number[];
  }>;
  /** Ends normally when the server closes the watch (after timeoutSeconds); throws a KubeError otherwise. */
  watch(
    resourceVersion: string,
    options: { timeoutSeconds: number; signal: AbortSignal },
  ): AsyncIterable<RawWatchEvent<T>>;
}

const MAX_WATCH_SECONDS = 30 * 60;
/**
 * A watch the server ends (or that is cut) this fast is paced, whatever it sent: the next one waits a backoff
 * that grows while they stay this short. client-go's reflector treats a watch this short with no events as a
 * failure ("very short watch"), but a hostile server sends one event as cheaply as none (review 19, item 1: one
 * MODIFIED that repeated a listed object per watch brought back thousands of watches or relists a second).
 */
const SUSPICIOUSLY_SHORT_WATCH_MS = 1000;
/**
 * Failures this far apart start the backoff over (client-go's reflector: `NewExponentialBackoffManager(800ms,
 * 30s, 2min, …)`, https://github.com/kubernetes/client-go/blob/master/tools/cache/reflector.go).
 */
const BACKOFF_RESET_MS = 2 * 60_000;
/**
 * A list whose resourceVersion was watched this long (in one watch or several) was a good one, judged by time
 * only, never by what the server sent: a 410 after it (a quiet cluster's watch outliving the server's window)
 * relists at once, and a failure after it starts the backoff over. So at most one relist per 30 s comes without
 * a backoff. Not after a TooLarge: a server past the hub's bounds (a flood of objects) may take 30 s to get there.
 */
const HEALTHY_WATCH_MS = 30_000;

function resourceVersionOf(obj: KubernetesObject): string | undefined {
  return obj.metadata?.resourceVersion;
}

/**
 * The one list+watch primitive (style.md rules 3 and 4), after client-go's Reflector, client-node's ListWatch
 * and Pepr's watcher:
 *
 * - list, deliver ADDED for each item, then watch from the list's resourceVersion with bookmarks;
 * - a watch the server ends normally, or that is cut after running a second, is resumed from the last
 *   resourceVersion seen (events and bookmarks): at once, or after a growing backoff while watches end within
 *   a second;
 * - 410 Gone (HTTP status or ERROR event) clears the resourceVersion and relists: at once when the last list
 *   was watched 30 s or it is the first or second 410 since, else as a failure;
 * - any other failure reports onConnection({connected: false}), waits a capped exponential backoff with full
 *   jitter, and relists; every relist (and the periodic resync) is diffed against the cache, so deletes that
 *   happened while disconnected arrive as DELETED and only changed objects as MODIFIED. Only time paces these
 *   rules, never what the server sends: it sends an event as cheaply as nothing;
 * - handlers run one at a time, in stream order (so also in order per key), and the cache takes an object
 *   only after its handler resolved; a handler that throws leaves the cache as it was, so the next event or
 *   relist delivers it again.
 */
export class ListWatch<T extends KubernetesObject> {
  private readonly cache = new Map<string, T>();
  /** What each cached object counts against maxBytes, and their sum. */
  private readonly sizes = new Map<string, number>();
  private bytes = 0;
  /**
   * What the cache held when its cluster had to shed (WatchCharge.mustShed), uncharged: the consumer still
   * holds these objects until the relist. A relisted one at the same resourceVersion is taken back into the
   * cache at its cost without an event; one the relist lacks gets its DELETED, as if it had stayed cached.
   */
  private readonly shed = new Map<string, T>();
  /** Bytes of the list in flight taken from options.budget (its items not yet in the cache). */
  private listBytes = 0;
  /** What this watch holds of options.budget: `bytes` and `listBytes`, all given back at stop(). */
  private charged = 0;
  private readonly controller = new AbortController();
  private readonly options: Required<Omit<ListWatchOptions, 'onConnection' | 'onHandlerError' | 'budget'>> &
    Pick<ListWatchOptions, 'onConnection' | 'onHandlerError' | 'budget'>;
  private resourceVersion = '';
  private stopped = false;
  private isSynced = false;
  private connected: boolean | undefined;
  private starting: Promise<void> | undefined;
  private settleStart: { resolve: () => void; reject: (e: KubeError) => void } | undefined;
  private lastError: KubeError | undefined;

  constructor(
    private readonly source: ListWatchSource<T>,
    private readonly handler: WatchHandler<T>,
    options: ListWatchOptions = {},
    /** Names the watched collection in errors, e.g. `Deployment in web`. */
    private readonly what = 'objects',
  ) {
    this.options = {
      resyncIntervalMs: options.resyncIntervalMs ?? 300_000,
      backoff: options.backoff ?? defaultBackoff,
      sleep: options.sleep ?? abortableSleep,
      random: options.random ?? Math.random,
      now: options.now ?? Date.now,
      onConnection: options.onConnection,
      onHandlerError: options.onHandlerError,
      transform: options.transform ?? (<O extends KubernetesObject>(object: O) => object),
      maxObjects: options.maxObjects ?? MAX_OBJECTS_PER_KIND,
      maxBytes: options.maxBytes ?? MAX_BYTES_PER_KIND,
      budget: options.budget,
    };
  }

  get synced(): boolean {
    return this.isSynced;
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  values(): IterableIterator<T> {
    return this.cache.values();
  }

  /**
   * Starts listing and watching; resolves once the first list has been delivered to the handler. Rejects when
   * that first list fails permanently (Forbidden, UnknownKind, …) or stop() comes first; transient failures
   * (unreachable, 5xx) are retried with backoff and reported through onConnection meanwhile.
   */
  start(): Promise<void> {
    this.starting ??= new Promise<void>((resolve, reject) => {
      this.settleStart = { resolve, reject };
      void this.run();
    });
    return this.starting;
  }

  /** Aborts the watch. No handler is called after this returns (one already running finishes on its own). */
  stop(): void {
    if (this.isStopped()) return;
    this.stopped = true;
    this.controller.abort();
    // The cache is the consumer's garbage now: all it held goes back to the hub's budget at once.
    this.options.budget?.release(this.charged);
    this.charged = 0;
    this.shed.clear();
    this.settleStart?.reject(
      this.lastError ??
        new KubeError(
          KubeErrorCode.Unreachable,
          `watch of ${this.what} stopped before its first list completed`,
          {
            retryable: false,
          },
        ),
    );
    this.settleStart = undefined;
  }

  /**
   * The consumer's transform for listed objects, each one's bytes taken from the budget as it arrives. An object
   * the cache holds at the same resourceVersion is the cached one again and costs nothing: a relist holds the
   * cache and what changed, not a second copy of the kind (at its share, a cluster whose relist needed both
   * could never come back, even after it shrank).
   */
  private readonly listTransform: ListTransform = <O extends KubernetesObject>(
    object: O,
    size?: number,
  ): O => {
    const version = resourceVersionOf(object);
    const cached = this.cache.get(keyOf(object));
    if (version !== undefined && cached !== undefined && resourceVersionOf(cached) === version)
      return cached as unknown as O;
    if (size !== undefined) {
      this.listSized = true;
      this.take(size);
      this.listBytes += size;
    }
    const shed = this.shed.get(keyOf(object));
    if (version !== undefined && shed !== undefined && resourceVersionOf(shed) === version)
      return shed as unknown as O;
    return this.options.transform(object);
  };
  /** The source passed sizes to listTransform: the list's bytes were taken as it came. */
  private listSized = false;

  /** Takes `bytes` from the budget for this watch (a TooLarge naming the cluster and the kind when refused). */
  private take(bytes: number): void {
    if (bytes <= 0 || this.isStopped()) return;
    this.checkShare();
    this.options.budget?.take(bytes, this.what);
    this.charged += bytes;
  }

  private give(bytes: number): void {
    if (bytes <= 0 || this.isStopped()) return;
    this.options.budget?.release(bytes);
    this.charged -= bytes;
  }

  /** Throws the budget's TooLarge while this watch's cluster holds more than its share (it must shed). */
  private checkShare(): void {
    const budget = this.options.budget;
    if (budget?.mustShed()) throw budget.shedError(this.what);
  }

  /**
   * The cluster holds more than its share of the hub's budget (another cluster's account opened while it
   * borrowed): the cache's bytes go back at once and its objects wait, uncharged, for the relist (`shed`).
   */
  private shedCache(): void {
    for (const [key, object] of this.cache) this.shed.set(key, object);
    this.cache.clear();
    this.sizes.clear();
    this.give(this.bytes);
    this.bytes = 0;
  }

  /** A method, not the field: stop() flips it while we await, which the compiler's narrowing cannot see. */
  private isStopped(): boolean {
    return this.stopped;
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    let needList = true;
    /** Failures in a row, for the backoff before the relist that follows each. */
    let attempt = 0;
    /** 410s since a list that was watched HEALTHY_WATCH_MS. */
    let goneStreak = 0;
    /** Watches in a row that ended within SUSPICIOUSLY_SHORT_WATCH_MS. */
    let shortWatches = 0;
    let lastListAt = 0;
    let lastFailureAt = Number.NEGATIVE_INFINITY;
    while (!this.stopped) {
      /** When this turn's watch started; +∞ while listing, so a failed list is never a watch that ran. */
      let watchStartedAt = Number.POSITIVE_INFINITY;
      try {
        if (needList) {
          try {
            const { items, resourceVersion, sizes } = await this.source.list(signal, this.listTransform);
            if (this.isStopped()) return;
            await this.reconcile(items, sizes ?? []);
            if (this.isStopped()) return;
            this.resourceVersion = resourceVersion;
          } finally {
            // What is left of the list (its unchanged or refused items, or all of it when it failed) is garbage.
            this.give(this.listBytes);
            this.listBytes = 0;
            this.listSized = false;
          }
          lastListAt = this.options.now();
          needList = false;
          this.lastError = undefined;
          if (this.connected !== true) {
            this.connected = true;
            this.options.onConnection?.({ connected: true });
          }
          if (!this.isSynced) {
            this.isSynced = true;
            this.settleStart?.resolve();
            this.settleStart = undefined;
          }
        }
        const remainingMs = this.options.resyncIntervalMs - (this.options.now() - lastListAt);
        if (remainingMs <= 0) {
          needList = true;
          continue;
        }
        const timeoutSeconds = Math.min(MAX_WATCH_SECONDS, Math.max(1, Math.ceil(remainingMs / 1000)));
        this.checkShare();
        watchStartedAt = this.options.now();
        for await (const event of this.source.watch(this.resourceVersion, { timeoutSeconds, signal })) {
          if (this.isStopped()) return;
          await this.onWatchEvent(event);
        }
        // Ended by the server: watch again from the last resourceVersion seen, at once unless it was short.
        shortWatches = await this.paceWatch(watchStartedAt, shortWatches);
      } catch (error) {
        if (this.isStopped()) return;
        const err = classifyError(error);
        this.lastError = err;
        // Over its share since another cluster was added: what it holds goes back now, not after the backoff.
        if (this.options.budget?.mustShed()) this.shedCache();
        const now = this.options.now();
        // A watch that ran and was cut (a proxy or load balancer closing long connections, an API server
        // restarting, a 5xx ERROR event): watch again from where it was, as client-go does, not relist, and
        // stay connected (review 18, item 4: relisting after each cut of a proxy that cut every 3 s left the
        // cluster connected 45 % of the time). A cut within a second is a failure: reported, and relisted after
        // the backoff.
        const cut = err.retryable && err.code !== KubeErrorCode.Gone && err.code !== KubeErrorCode.TooLarge;
        if (cut && now - watchStartedAt >= SUSPICIOUSLY_SHORT_WATCH_MS) {
          shortWatches = 0;
          continue;
        }
        const healthy =
          err.code !== KubeErrorCode.TooLarge &&
          watchStartedAt !== Number.POSITIVE_INFINITY &&
          now - lastListAt >= HEALTHY_WATCH_MS;
        // A quiet cluster's watch outlives the server's window and ends in a 410 now and then: that relists at
        // once, however often. 410s sooner after a list count towards the backoff, whatever the watch sent.
        if (healthy) goneStreak = 0;
        if (err.code === KubeErrorCode.Gone && ++goneStreak <= 2) {
          // The resourceVersion fell out of the server's watch window: start over from a fresh list.
          this.resourceVersion = '';
          needList = true;
          continue;
        }
        if (!this.isSynced && !err.retryable) {
          this.stopped = true;
          this.controller.abort();
          this.settleStart?.reject(err);
          this.settleStart = undefined;
          return;
        }
        // Reset only after a quiet spell, as client-go's reflector does (its backoff manager's resetDuration), or
        // after a list that was watched HEALTHY_WATCH_MS; not on each successful list nor on anything the server
        // sends: a server whose list works but whose watch fails at once (an endless line, a flood of objects,
        // one event and a cut) is then retried ever more slowly instead of every ~100 ms.
        if (healthy || now - lastFailureAt > BACKOFF_RESET_MS) attempt = 0;
        lastFailureAt = now;
        attempt++;
        needList = true;
        this.connected = false;
        this.options.onConnection?.({ connected: false, error: err, attempt });
        await this.options.sleep(backoffDelay(attempt, this.options.backoff, this.options.random), signal);
      }
    }
  }

  /**
   * After a watch the server ended: nothing when it ran SUSPICIOUSLY_SHORT_WATCH_MS (the server's timeout, a
   * proxy's), else a backoff that grows with each such watch in a row. Returns the new count of short watches.
   */
  private async paceWatch(startedAt: number, shortWatches: number): Promise<number> {
    if (this.options.now() - startedAt >= SUSPICIOUSLY_SHORT_WATCH_MS) return 0;
    const short = shortWatches + 1;
    await this.options.sleep(
      backoffDelay(short, this.options.backoff, this.options.random),
      this.controller.signal,
    );
    return short;
  }

  private async onWatchEvent(event: RawWatchEvent<T>): Promise<void> {
    this.checkShare();
    switch (event.type) {
      case 'BOOKMARK':
        this.resourceVersion = resourceVersionOf(event.object) ?? this.resourceVersion;
        return;
      case 'ERROR':
        throw errorFromStatus(event.object);
      case 'ADDED':
      case 'MODIFIED': {
        const key = keyOf(event.object);
        if (this.cache.size >= this.options.maxObjects && !this.cache.has(key)) throw this.tooMany();
        const size = event.size ?? 0;
        if (this.bytes - (this.sizes.get(key) ?? 0) + size > this.options.maxBytes) throw this.tooManyBytes();
        await this.upsert(event.object, { size, prepaid: 0 });
        this.resourceVersion = resourceVersionOf(event.object) ?? this.resourceVersion;
        return;
      }
      case 'DELETED':
        await this.deliver({ type: 'DELETED', object: this.options.transform(event.object) }, () => {
          this.drop(keyOf(event.object));
        });
        this.resourceVersion = resourceVersionOf(event.object) ?? this.resourceVersion;
        return;
    }
  }

  /**
   * ADDED when the consumer does not hold the object yet, MODIFIED when its resourceVersion moved, else nothing.
   * `prepaid`: what the list in flight already took from the budget for it (its listed size), moved to the cache.
   */
  private async upsert(
    received: T,
    { transformed = false, size, prepaid }: { transformed?: boolean; size: number; prepaid: number },
  ): Promise<void> {
    const key = keyOf(received);
    const cached = this.cache.get(key);
    if (cached && resourceVersionOf(cached) === resourceVersionOf(received)) return;
    const old = this.sizes.get(key) ?? 0;
    const growth = size - old - prepaid;
    const shed = this.shed.get(key);
    if (shed !== undefined && shed === received) {
      // Shed before and relisted unchanged (listTransform returned it): the consumer holds it; only its bytes.
      this.take(growth);
      this.shed.delete(key);
      this.bytes += size;
      this.listBytes -= prepaid;
      this.sizes.set(key, size);
      this.cache.set(key, shed);
      return;
    }
    const object = transformed ? received : this.options.transform(received);
    // The budget before the handler: a refused object is neither delivered nor kept.
    this.take(growth);
    const kept = await this.deliver({ type: cached || shed ? 'MODIFIED' : 'ADDED', object }, () => {
      this.shed.delete(key);
      this.bytes += size - old;
      this.listBytes -= prepaid;
      this.sizes.set(key, size);
      this.cache.set(key, object);
    });
    this.give(kept ? -growth : growth);
  }

  private drop(key: string): void {
    const size = this.sizes.get(key) ?? 0;
    this.bytes -= size;
    this.give(size);
    this.sizes.delete(key);
    this.cache.delete(key);
  }

  /** Diffs a full list against the cache: upserts, then DELETED (last known state) for what is gone. */
  private async reconcile(items: T[], sizes: readonly number[]): Promise<void> {
    // While a relist is diffed the cache may briefly hold its old objects and the new ones: at most twice this.
    if (items.length > this.options.maxObjects) throw this.tooMany();
    if (sizes.reduce((sum, size) => sum + size, 0) > this.options.maxBytes) throw this.tooManyBytes();
    // A source that gave listTransform no sizes (the in-memory fake, unit tests' stubs): the bytes of the items
    // that are not the cached objects again are taken here, at once.
    if (!this.listSized) {
      let fresh = 0;
      for (const [i, item] of items.entries())
        if (this.cache.get(keyOf(item)) !== item) fresh += sizes[i] ?? 0;
      this.take(fresh);
      this.listBytes += fresh;
    }
    const present = new Set<string>();
    for (const [i, item] of items.entries()) {
      if (this.isStopped()) return;
      const key = keyOf(item);
      present.add(key);
      const size = sizes[i] ?? 0;
      // The cached object again (unchanged) took nothing; any other item took its size as it was listed.
      const prepaid = this.cache.get(key) === item ? 0 : Math.min(size, this.listBytes);
      await this.upsert(item, { transformed: true, size, prepaid });
    }
    // Only the gone keys are copied out (the handler may change the cache while we iterate), not all 50,000.
    const gone = [...this.cache.keys()].filter((key) => !present.has(key));
    for (const key of gone) {
      if (this.isStopped()) return;
      const cached = this.cache.get(key);
      if (cached !== undefined)
        await this.deliver({ type: 'DELETED', object: cached }, () => {
          this.drop(key);
        });
    }
    // What was shed and is no longer listed is gone too (the consumer still holds it).
    const shed = [...this.shed].filter(([key]) => !present.has(key));
    this.shed.clear();
    for (const [key, object] of shed) {
      if (this.isStopped()) return;
      if (!this.cache.has(key)) await this.deliver({ type: 'DELETED', object }, () => undefined);
    }
  }

  private tooMany(): KubeError {
    const max = this.options.maxObjects.toLocaleString('en-US');
    return new KubeError(
      KubeErrorCode.TooLarge,
      `watch of ${this.what}: the API server sent more than ${max} objects, the most the hub keeps of one kind per cluster`,
    );
  }

  private tooManyBytes(): KubeError {
    return new KubeError(
      KubeErrorCode.TooLarge,
      `watch of ${this.what}: the API server sent more than ${describeBytes(this.options.maxBytes)} of objects (estimated heap), the most the hub keeps of one kind per cluster`,
    );
  }

  /** true when the handler resolved and the cache took the change (`commit`). */
  private async deliver(event: WatchEvent<T>, commit: () => void): Promise<boolean> {
    if (this.isStopped()) return false;
    try {
      await this.handler(event);
    } catch (error) {
      this.options.onHandlerError?.(error, event);
      return false;
    }
    commit();
    return true;
  }
}
