// One walk over plain data for every rule that rewrites its strings: cleaning terminal control out of what a
// cluster or chart wrote (shared/unsafe-text.ts cleanDeep), and cleaning and cutting long texts in the same walk
// (shared/kept-text.ts keptDeep). Each had its own copy; a fix to one (review 13, S6) had to be made twice.

/**
 * `fn` applied to every string of plain data, keys too; the SAME reference where `fn` changed nothing, so a
 * reducer fed mapped events still returns its state unchanged when nothing changed (style.md rule 5), and the
 * common case (nothing to change) allocates nothing. An array or object is copied, as plain data, only from its
 * first changed child on; other values are returned as they are.
 */
export function mapStringsDeep<T>(value: T, fn: (text: string) => string): T {
  return mapValue(value, fn) as T;
}

function mapValue(value: unknown, fn: (text: string) => string): unknown {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) {
    const items: readonly unknown[] = value;
    let copy: unknown[] | undefined;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const mapped = mapValue(item, fn);
      if (mapped !== item) (copy ??= items.slice())[i] = mapped;
    }
    return copy ?? items;
  }
  if (typeof value === 'object' && value !== null) {
    // Every status event passes here (the engine's reducer): walked without allocating while nothing changes, and
    // copied whole, as plain data, at the first change only. (Pairs built per object cost the engine bench's
    // 1,000 ÷ 200 CPU ratio about 0.5. for…in reads the keys from the shape's cache; Object.keys made an array
    // per object walked: 1.2 MB of the 56 MB a 1,000-pack install allocates.)
    // Each child is mapped once: mapping it again when copying made the cost 2^depth (review 13, S6).
    const record = value as Record<string, unknown>;
    let entries: [string, unknown][] | undefined;
    for (const k in record) {
      if (!Object.hasOwn(record, k)) continue;
      const v = record[k];
      const key = fn(k);
      const mapped = mapValue(v, fn);
      if (entries === undefined) {
        if (key === k && mapped === v) continue;
        entries = entriesBefore(record, k);
      }
      entries.push([key, mapped]);
    }
    return entries === undefined ? value : Object.fromEntries(entries);
  }
  return value;
}

/** The entries of `record` before `key` (all of them unchanged), in order. */
function entriesBefore(record: Record<string, unknown>, key: string): [string, unknown][] {
  const entries: [string, unknown][] = [];
  for (const k in record) {
    if (k === key) break;
    if (Object.hasOwn(record, k)) entries.push([k, record[k]]);
  }
  return entries;
}
