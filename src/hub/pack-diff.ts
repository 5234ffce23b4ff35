// What changes in a pack between the definition running now and the one a preview would apply, as lines a
// person reads before saying yes: `version: "0.0.1" → "0.0.2"`, `manifests[Deployment broken-web].spec…image:
// … → …`. Both sides are redacted first, so a sensitive value never appears; a change only a sensitive value
// makes is still reported, without the value.
import { describeValue, formatPath, type FieldPath, type Pack, type Redactor } from '../profile/index.js';
import { isRecord } from '../shared/guards.js';

/** The line for a change only a sensitive value makes. */
export const SENSITIVE_CHANGED = 'a sensitive value changed';

/** How many changed fields a pack's diff lists before "… and N more". */
export const DIFF_LINE_LIMIT = 12;

/** `Kind name` of a manifest, to match objects by identity rather than by position. */
function objectKey(value: unknown): string | undefined {
  if (!isRecord(value) || typeof value.kind !== 'string' || !isRecord(value.metadata)) return undefined;
  const { name, namespace } = value.metadata;
  if (typeof name !== 'string') return undefined;
  return `${value.kind} ${typeof namespace === 'string' ? `${namespace}/` : ''}${name}`;
}

/** Each item's `Kind name`, when every item is a Kubernetes object and no two are the same one. */
function identities(items: readonly unknown[]): string[] | undefined {
  const keys: string[] = [];
  for (const item of items) {
    const key = objectKey(item);
    if (key === undefined || keys.includes(key)) return undefined;
    keys.push(key);
  }
  return keys;
}

function walk(path: FieldPath, a: unknown, b: unknown, out: string[]): void {
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  const at = formatPath(path);
  if (a === undefined) {
    out.push(`${at}: added ${describeValue(b)}`);
    return;
  }
  if (b === undefined) {
    out.push(`${at}: removed (was ${describeValue(a)})`);
    return;
  }
  if (isRecord(a) && isRecord(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort())
      walk([...path, key], a[key], b[key], out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const keysA = identities(a);
    const keysB = identities(b);
    if (keysA && keysB) {
      // Kubernetes objects (a manifest pack's `manifests`): by kind and name, so inserting one is one line.
      const before = new Map(keysA.map((k, i) => [k, a[i]]));
      const after = new Map(keysB.map((k, i) => [k, b[i]]));
      for (const [key, value] of before) {
        if (!after.has(key)) out.push(`${formatPath([...path, key])}: removed`);
        else walk([...path, key], value, after.get(key), out);
      }
      for (const key of after.keys()) if (!before.has(key)) out.push(`${formatPath([...path, key])}: added`);
      return;
    }
    if (a.length !== b.length) {
      out.push(`${at}: ${a.length} → ${b.length} items`);
      return;
    }
    a.forEach((item, i) => {
      walk([...path, i], item, b[i], out);
    });
    return;
  }
  out.push(`${at}: ${describeValue(a)} → ${describeValue(b)}`);
}

/**
 * The changed fields of a pack, redacted, at most DIFF_LINE_LIMIT lines (then "… and N more"). Empty when
 * the two definitions are the same.
 */
export function describePackChanges(
  before: { pack: Pack; redactor: Redactor },
  after: { pack: Pack; redactor: Redactor },
): string[] {
  if (JSON.stringify(before.pack) === JSON.stringify(after.pack)) return [];
  const lines: string[] = [];
  walk([], before.redactor.shownPack(before.pack), after.redactor.shownPack(after.pack), lines);
  if (lines.length === 0) return [SENSITIVE_CHANGED];
  if (lines.length <= DIFF_LINE_LIMIT) return lines;
  return [...lines.slice(0, DIFF_LINE_LIMIT), `… and ${lines.length - DIFF_LINE_LIMIT} more`];
}
