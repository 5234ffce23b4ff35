// Results kept a little while so that a costly answer is not recomputed for every request (review 5d, 5e:
// each download of an 18 MiB bundle spent 1.2 s gzipping on the event loop, each read of a large pack's values
// about a second turning them into YAML). Kept least recently used first out, within a byte budget, and dropped
// after a few idle minutes so that an idle hub holds none. Requests for a key being built share the build.

/** A kept value nobody asked for in this long is dropped. */
export const KEPT_IDLE_MS = 5 * 60_000;

interface Kept<V> {
  readonly value: V;
  readonly bytes: number;
  readonly timer: NodeJS.Timeout;
}

export class ByteLru<V> {
  /** In insertion order, the most recently used last. */
  private readonly kept = new Map<string, Kept<V>>();
  private readonly building = new Map<
    string,
    {
      readonly built: Promise<V>;
      readonly wanted: (signal?: AbortSignal) => void;
      /** Aborted once every caller sharing the build left. */
      readonly stopped: AbortSignal;
    }
  >();
  private bytes = 0;

  constructor(
    private readonly options: {
      readonly maxBytes: number;
      /** The bytes a value holds (near enough). */
      readonly sizeOf: (value: V) => number;
      readonly idleMs?: number;
    },
  ) {}

  /** Bytes held now. */
  get size(): number {
    return this.bytes;
  }

  /** The value kept for `key`, now the most recently used. */
  get(key: string): V | undefined {
    const kept = this.kept.get(key);
    if (kept === undefined) return undefined;
    this.kept.delete(key);
    this.kept.set(key, kept);
    kept.timer.refresh();
    return kept.value;
  }

  /** Keeps `value` for `key` (replacing what was), unless it alone is over the budget. */
  set(key: string, value: V): void {
    this.drop(key);
    const bytes = this.options.sizeOf(value);
    if (bytes > this.options.maxBytes) return;
    while (this.bytes + bytes > this.options.maxBytes) {
      const oldest = this.kept.keys().next();
      if (oldest.done === true) break;
      this.drop(oldest.value);
    }
    const timer = setTimeout(() => {
      this.drop(key);
    }, this.options.idleMs ?? KEPT_IDLE_MS);
    timer.unref();
    this.kept.set(key, { value, bytes, timer });
    this.bytes += bytes;
  }

  /**
   * The value for `key` (which must name its content: a digest of what it is built from), built by `build`
   * unless it is kept or being built. A failed build is not kept. `signal`: this caller gave up (its request was
   * closed); the build's own signal is aborted once every caller sharing it gave up (a caller without a signal
   * never does), so one leaving does not stop the others' answer.
   */
  build(key: string, build: (signal: AbortSignal) => Promise<V>, signal?: AbortSignal): Promise<V> {
    const kept = this.get(key);
    if (kept !== undefined) return Promise.resolve(kept);
    const running = this.building.get(key);
    // A build every caller left is failing already: a new caller starts its own (review 15, item 5: joining it
    // answered 503 to a caller that never left).
    if (running !== undefined && !running.stopped.aborted) {
      running.wanted(signal);
      return running.built;
    }
    const stop = new AbortController();
    let waiting = 0;
    const wanted = (caller?: AbortSignal) => {
      waiting++;
      if (caller === undefined) return;
      const leave = () => {
        if (--waiting === 0) stop.abort();
      };
      if (caller.aborted) leave();
      else caller.addEventListener('abort', leave, { once: true });
    };
    wanted(signal);
    const built = build(stop.signal);
    const entry = { built, wanted, stopped: stop.signal };
    this.building.set(key, entry);
    // Only this build's own entry goes: a newer one may have taken its place after it was stopped.
    const done = () => {
      if (this.building.get(key) === entry) this.building.delete(key);
    };
    built.then((value) => {
      done();
      this.set(key, value);
    }, done);
    return built;
  }

  /** Drops every kept value. */
  clear(): void {
    for (const key of [...this.kept.keys()]) this.drop(key);
  }

  private drop(key: string): void {
    const kept = this.kept.get(key);
    if (kept === undefined) return;
    clearTimeout(kept.timer);
    this.kept.delete(key);
    this.bytes -= kept.bytes;
  }
}
