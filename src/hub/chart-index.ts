// A Helm repository's index.yaml, as the hub downloaded it for a fetch (chart-fetch.ts): it comes from a remote,
// so it is hostile until read safely (bounded size, only the chart's own entries parsed, own properties only).
import semver from 'semver';
import { parseYamlValue } from '../shared/yaml-parse.js';

/** Larger repository indexes are refused: parsing one is the hub's work (a 28 MB index took 44 s and 1 GB). */
export const MAX_INDEX_BYTES = 8 * 1024 * 1024;

/** The largest slice of an index (one chart's entries) parsed as YAML. */
const MAX_ENTRIES_BYTES = 2 * 1024 * 1024;

/** One version of a chart in the index; every field is the remote's, so unknown until checked. */
export type IndexEntry = { version?: unknown; urls?: unknown; digest?: unknown };

/**
 * The entries of `name` in an index's text, or why they cannot be read. Helm writes the index in the shape
 * `entries:` / `  <name>:` / `  - …`, so only that chart's lines are cut out and parsed, not the whole index;
 * an index in another layout is parsed whole if it is small. A repeated key is an error (thrown), as it is to helm:
 * its index loader reads with sigs.k8s.io/yaml's UnmarshalStrict ("Duplicate fields in an object yield an
 * error", https://github.com/kubernetes-sigs/yaml/blob/master/yaml.go; helm pkg/repo/index.go
 * jsonOrYamlUnmarshal); it is found in linear time (shared/yaml-parse.ts), so a hostile index of many keys
 * cannot stall the hub.
 */
export function entriesOf(text: string, name: string): IndexEntry[] | string {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line === `  ${name}:` || line === `  "${name}":`);
  let parsed: unknown;
  if (start !== -1) {
    let end = start + 1;
    // The chart's list items sit at its key's indentation (`  - …`); the next chart's key ends them.
    while (end < lines.length && !/^ {0,2}[^\s-]/.test(lines[end] ?? '')) end++;
    const block = lines.slice(start + 1, end).join('\n');
    if (block.length > MAX_ENTRIES_BYTES) {
      return `chart "${name}" takes ${block.length} bytes of the repository's index; the limit is ${MAX_ENTRIES_BYTES}`;
    }
    parsed = parseYamlValue(block);
  } else {
    if (text.length > MAX_ENTRIES_BYTES) return [];
    const index = parseYamlValue(text) as { entries?: unknown } | null;
    const entries = isPlainRecord(index) ? index.entries : undefined;
    parsed = isPlainRecord(entries) && Object.hasOwn(entries, name) ? entries[name] : [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.filter((e): e is IndexEntry => isPlainRecord(e));
}

/** An index in another layout than helm's is parsed whole for its versions only up to this size. */
export const MAX_OTHER_LAYOUT_BYTES = 256 * 1024;

/**
 * A line holding a chart entry's own `version:` in helm's layout, for list items at `item` spaces: as a
 * property (`item + 2` spaces) or as the item's first key (`- version: …`); dependencies' versions sit deeper.
 * The value plain, single- or double-quoted, maybe followed by a comment. Linear: no two parts overlap.
 */
function versionLine(item: number): RegExp {
  const property = ' '.repeat(item + 2);
  const first = `${' '.repeat(item)}- `;
  return new RegExp(
    `^(?:${property}|${first})version: *(?:"([^"\\\\]*)"|'([^']*)'|([^\\s#"'][^\\s#]*))\\s*(?:#.*)?$`,
  );
}

/**
 * The versions a repository's index lists for `name`, or why they cannot be read, for the "update available"
 * check that any viewer may run (outdated.ts): no YAML parser on the chart's entries, one pass over their lines,
 * so a hostile index costs time linear in its size (at most MAX_INDEX_BYTES), not the seconds a parse of a few
 * MiB of small nodes takes on the hub's thread. An index in another layout is parsed whole only when it is at
 * most MAX_OTHER_LAYOUT_BYTES. Which versions are semver is the caller's to check (bySemver).
 */
export function versionsOf(text: string, name: string): string[] | string {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line === `  ${name}:` || line === `  "${name}":`);
  if (start === -1) {
    if (lines.includes('entries:')) return [];
    if (text.length > MAX_OTHER_LAYOUT_BYTES)
      return (
        `the repository's index is not in the layout helm writes and is ${text.length} bytes; the limit to ` +
        `read it whole is ${MAX_OTHER_LAYOUT_BYTES}`
      );
    const entries = entriesOf(text, name);
    return typeof entries === 'string'
      ? entries
      : entries.flatMap((e) => (typeof e.version === 'string' ? [e.version] : []));
  }
  // The list items' indentation, from the first one (helm writes them at the chart key's: two spaces).
  const item = lines.slice(start + 1, start + 2).map((line) => /^( *)- /.exec(line)?.[1]?.length)[0];
  if (item === undefined) return [];
  const version = versionLine(item);
  const versions: string[] = [];
  for (let at = start + 1; at < lines.length; at++) {
    const line = lines[at] ?? '';
    // The next chart's key (or the index's next top-level key) ends the block; most lines are deeper.
    if (!line.startsWith('   ') && !line.startsWith('  -') && /^ {0,2}[^\s-]/.test(line)) break;
    if (!line.includes('version:')) continue;
    const found = version.exec(line);
    const value = found?.[1] ?? found?.[2] ?? found?.[3];
    if (value !== undefined) versions.push(value);
  }
  return versions;
}

const isPlainRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The semver versions, oldest first. Anything else a remote lists is dropped: a chart's version must be semver,
 * and a remote's free text is not ours to echo.
 */
export function bySemver(versions: readonly string[]): string[] {
  return versions.filter((v) => semver.valid(v) !== null).sort(semver.compare);
}
