/**
 * One copy of each distinct plain-data value (a label map, a managedFields tree) among the objects the watch
 * caches hold, keyed by its JSON text. The objects of a pack share their labels, and objects of one shape share
 * the fields Strata applied to them: kept once, not once per object (issue 15: memory per watched object).
 *
 * Values are held weakly: one no cached object uses any more is collected, and its entry goes with it. A shared
 * value must never be changed in place (nothing changes a watched object: they are replaced on each event).
 */
export class SharedValues {
  private readonly byJson = new Map<string, WeakRef<object>>();
  private readonly jsonOf = new WeakMap<object, string>();
  private readonly gone = new FinalizationRegistry<string>((json) => {
    if (this.byJson.get(json)?.deref() === undefined) this.byJson.delete(json);
  });

  /** The shared copy of `value` (`value` itself the first time); anything but an object as it is. */
  share<T>(value: T): T {
    if (typeof value !== 'object' || value === null || this.jsonOf.has(value)) return value;
    const json = JSON.stringify(value);
    const shared = this.byJson.get(json)?.deref();
    if (shared !== undefined) return shared as T;
    this.byJson.set(json, new WeakRef(value));
    this.jsonOf.set(value, json);
    this.gone.register(value, json);
    return value;
  }

  /** `JSON.stringify(value)`, the same string for every object sharing it, and not computed again. */
  json(value: unknown): string {
    const shared = this.share(value);
    return (
      (typeof shared === 'object' && shared !== null && this.jsonOf.get(shared)) || JSON.stringify(value)
    );
  }

  /** Distinct values held (for tests). */
  get size(): number {
    return this.byJson.size;
  }
}

/** The one table the watch caches and drift share (values are plain data, the same for every cluster). */
export const sharedValues = new SharedValues();
