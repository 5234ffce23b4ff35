// Bundles built for download, kept a little while (review 5d: each download of an 18 MiB bundle spent 1.2 s
// gzipping on the event loop, again for every request). Requests for the same content that arrive together
// share one build; a built bundle is kept, least recently used first out, within a byte budget, and dropped
// after a few idle minutes so that an idle hub holds none of them.

/** Bytes of bundles kept in all. A bundle is at most about 20 MiB (MAX_BUNDLE_BYTES). */
export const BUNDLE_CACHE_BYTES = 48 * 1024 * 1024;
/** A kept bundle nobody asked for in this long is dropped. */
export const BUNDLE_CACHE_IDLE_MS = 5 * 60_000;

interface Kept {
  readonly bundle: Buffer;
  timer: NodeJS.Timeout;
}

export class BundleCache {
  /** In insertion order, the most recently used last. */
  private readonly kept = new Map<string, Kept>();
  private readonly building = new Map<string, Promise<Buffer>>();
  private bytes = 0;

  constructor(private readonly options: { readonly maxBytes?: number; readonly idleMs?: number } = {}) {}

  /** Bytes held now. */
  get size(): number {
    return this.bytes;
  }

  /**
   * The bundle for `key` (which must name its content: a digest of what it is built from), built by `build`
   * unless it is kept or being built.
   */
  get(key: string, build: () => Promise<Buffer>): Promise<Buffer> {
    const kept = this.kept.get(key);
    if (kept !== undefined) {
      this.kept.delete(key);
      this.kept.set(key, kept);
      kept.timer.refresh();
      return Promise.resolve(kept.bundle);
    }
    const running = this.building.get(key);
    if (running !== undefined) return running;
    const built = build();
    this.building.set(key, built);
    built.then(
      (bundle) => {
        this.building.delete(key);
        this.keep(key, bundle);
      },
      () => this.building.delete(key),
    );
    return built;
  }

  /** Drops every kept bundle. */
  clear(): void {
    for (const key of [...this.kept.keys()]) this.drop(key);
  }

  private keep(key: string, bundle: Buffer): void {
    const maxBytes = this.options.maxBytes ?? BUNDLE_CACHE_BYTES;
    if (bundle.length > maxBytes) return;
    while (this.bytes + bundle.length > maxBytes) {
      const oldest = this.kept.keys().next();
      if (oldest.done === true) break;
      this.drop(oldest.value);
    }
    const timer = setTimeout(() => {
      this.drop(key);
    }, this.options.idleMs ?? BUNDLE_CACHE_IDLE_MS);
    timer.unref();
    this.kept.set(key, { bundle, timer });
    this.bytes += bundle.length;
  }

  private drop(key: string): void {
    const kept = this.kept.get(key);
    if (kept === undefined) return;
    clearTimeout(kept.timer);
    this.kept.delete(key);
    this.bytes -= kept.bundle.length;
  }
}
