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

const isPlainRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The semver versions, oldest first. Anything else a remote lists is dropped: a chart's version must be semver,
 * and a remote's free text is not ours to echo.
 */
export function bySemver(versions: readonly string[]): string[] {
  return versions.filter((v) => semver.valid(v) !== null).sort(semver.compare);
}
