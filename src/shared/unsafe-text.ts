// Text a cluster or a chart wrote (a container's termination message, a condition, a Kubernetes event, a helm
// error, NOTES) is shown by the page and printed by the CLI. What the hub keeps of it holds no terminal control
// and no character that makes it read differently from what it is: cleaned where it enters a pack's status
// (status/pack-status.ts), a resource's recent warnings and a chart's notes (engine), and an agent's events
// (hub/agents-details.ts). The CLI shows whatever it is served as text all the same (cli/render/terminal-text.ts).

/**
 * C0 controls but tab and newline, DEL, C1 controls (ESC and CSI start terminal escape sequences), the
 * bidirectional embeddings, overrides and isolates that make text read differently from what it is, the
 * invisible bidirectional marks (U+200E LRM, U+200F RLM, U+061C ALM) and the line and paragraph separators
 * (U+2028, U+2029: a line break in some terminals and editors, and not in others).
 */
export const CLEANED_CHARACTERS =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\u061C\u200E\u200F\u2028\u2029]/gu;
const FOUND = new RegExp(CLEANED_CHARACTERS.source, 'u');

/** The text without those characters (the same string when it has none). */
export const cleanText = (text: string): string =>
  FOUND.test(text) ? text.replace(CLEANED_CHARACTERS, '') : text;

/**
 * Every string of plain data (keys too) cleaned; the SAME reference when nothing needed cleaning, so a reducer
 * fed cleaned events still returns its state unchanged when nothing changed (style.md rule 5), and the common
 * case (clean text) allocates nothing.
 */
export function cleanDeep<T>(value: T): T {
  return mapTextDeep(value, cleanText);
}

/**
 * Every string of plain data (keys too) passed through `text`; the SAME reference when `text` returned every
 * string as it was, anywhere (cleanDeep, and kept-text.ts's keptDeep: one walk for both rules).
 */
export function mapTextDeep<T>(value: T, text: (s: string) => string): T {
  return mapValue(value, text) as T;
}

function mapValue(value: unknown, text: (s: string) => string): unknown {
  if (typeof value === 'string') return text(value);
  if (Array.isArray(value)) {
    const items: readonly unknown[] = value;
    let copy: unknown[] | undefined;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const mapped = mapValue(item, text);
      if (mapped !== item) (copy ??= items.slice())[i] = mapped;
    }
    return copy ?? items;
  }
  if (typeof value === 'object' && value !== null) {
    // Every status event passes here (the engine's reducer): walked without allocating while all is clean, and
    // copied whole, as plain data, at the first change only. (Pairs built per object cost the engine bench's
    // 1,000 ÷ 200 CPU ratio about 0.5. for…in reads the keys from the shape's cache; Object.keys made an array
    // per object walked: 1.2 MB of the 56 MB a 1,000-pack install allocates.)
    // Each child is mapped once: mapping it again when copying made the cost 2^depth (review 13, S6).
    const record = value as Record<string, unknown>;
    let entries: [string, unknown][] | undefined;
    for (const k in record) {
      if (!Object.hasOwn(record, k)) continue;
      const v = record[k];
      const key = text(k);
      const mapped = mapValue(v, text);
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
