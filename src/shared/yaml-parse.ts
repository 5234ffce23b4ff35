// Parsing YAML the hub reads from clients and remotes (a chart repository's index.yaml, helm's output, manifest
// files, kubeconfigs) without the yaml library's duplicate-key check: it compares each new key of a mapping with
// every earlier key of it (compose/util-map-includes.js, `items.some(…)`), so one mapping of n keys costs n²/2
// comparisons on the main thread. 26,000 keys (256 KB) took 14.8 s; 50,000 keys take about a minute. Every parse
// here runs with `uniqueKeys: false` and the duplicates are found with one Set per mapping instead, reported as
// the very error the library would have reported (same code, message, position and order), so callers and the
// messages users see do not change. Two more costs of the library that grow with the square of the input are
// bounded here too: aliases (at most MAX_ALIASES per document) and anchors no alias names (dropped).
import {
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  parseDocument,
  YAMLParseError,
  type YAMLError,
  type Document,
  type DocumentOptions,
  type ErrorCode,
  type Node,
  type ParseOptions,
  type SchemaOptions,
  type YAMLMap,
} from 'yaml';

/** The library's options, without `uniqueKeys`: duplicates are this module's to find (see above). */
export type YamlParseOptions = Omit<ParseOptions, 'uniqueKeys'> & DocumentOptions & SchemaOptions;

/** Like the library's parseAllDocuments with its default `uniqueKeys: true`, in time linear in the keys. */
export function parseAllYamlDocuments(text: string, options: YamlParseOptions = {}): Document.Parsed[] {
  const { lineCounter, prettyErrors } = withLineCounter(options);
  const all = parseAllDocuments(text, { ...options, lineCounter, uniqueKeys: false });
  const docs = Array.isArray(all) ? all : [];
  for (const doc of docs) checkDocument(doc, text, lineCounter, prettyErrors);
  return docs;
}

/** Like the library's parseDocument with its default `uniqueKeys: true`, in time linear in the keys. */
export function parseYamlDocument(text: string, options: YamlParseOptions = {}): Document.Parsed {
  const { lineCounter, prettyErrors } = withLineCounter(options);
  const doc = parseDocument(text, { ...options, lineCounter, uniqueKeys: false });
  checkDocument(doc, text, lineCounter, prettyErrors);
  return doc;
}

/**
 * Like the library's `parse(text)`: the single document as plain data, or its first error thrown (a
 * YAMLParseError). Aliases are expanded at most `maxAliasCount` times (the library's default, 100).
 */
export function parseYamlValue(
  text: string,
  options: YamlParseOptions & { maxAliasCount?: number } = {},
): unknown {
  const doc = parseYamlDocument(text, options);
  const first = doc.errors[0];
  if (first !== undefined) throw first;
  return doc.toJS(options.maxAliasCount === undefined ? {} : { maxAliasCount: options.maxAliasCount });
}

/**
 * Offsets of the keys of `map` that repeat an earlier key of it, as the library compares keys: two scalar keys
 * with the same value (`===`: `1` and `0x1` are equal, `1` and `"1"` are not, NaN is never equal); an alias or
 * a collection as a key never repeats one.
 */
export function duplicateKeyOffsets(map: YAMLMap): number[] {
  const seen = new Set<unknown>();
  const offsets: number[] = [];
  for (const pair of map.items) {
    const key = pair.key;
    if (!isScalar(key) || Number.isNaN(key.value)) continue; // a Set's SameValueZero would equate NaN keys
    if (seen.has(key.value)) offsets.push(key.range?.[0] ?? 0);
    else seen.add(key.value);
  }
  return offsets;
}

/**
 * Removes the anchors no alias of the document names; call before `toJS`. Converting a collection used as a
 * key goes through every anchor converted so far (the library's stringifyKey copies them all), so 20,000
 * anchored collection keys took 26 s, and no alias is needed for it. An anchor nothing names changes no value.
 */
export function dropUnusedAnchors(doc: Document.Parsed): void {
  const named = new Set<string>();
  const anchored: Node[] = [];
  walk(doc, (node) => {
    if (isAlias(node)) named.add(node.source);
    else if (node.anchor !== undefined) anchored.push(node);
  });
  for (const node of anchored) if (!named.has(node.anchor ?? '')) node.anchor = undefined;
}

/** The library makes a line counter only when it prettifies errors; ours needs one for the duplicates too. */
function withLineCounter(options: YamlParseOptions): { lineCounter: LineCounter; prettyErrors: boolean } {
  return {
    lineCounter: options.lineCounter ?? new LineCounter(),
    prettyErrors: options.prettyErrors !== false,
  };
}

/**
 * Each alias is looked up among every anchor and alias before it (Alias.resolve), so aliases cost their number
 * squared: 20,000 anchors each named once took 35 s. The library's own limit (`maxAliasCount`, 100) counts the
 * expansions of one anchor, not aliases; profiles allow 100 aliases per document (profile/yaml-limits.ts).
 */
export const MAX_ALIASES = 100;

/**
 * Adds the library's DUPLICATE_KEY error for every repeated key of every mapping in `doc`, and one for the
 * alias past MAX_ALIASES, merged into its errors by offset (the library reports errors as it reads, so in text
 * order), prettified like the others; then drops the anchors no alias names (see dropUnusedAnchors).
 */
function checkDocument(
  doc: Document.Parsed,
  text: string,
  lineCounter: LineCounter,
  prettyErrors: boolean,
): void {
  const found: { offset: number; code: ErrorCode; message: string }[] = [];
  const aliases: number[] = [];
  walk(doc, (node) => {
    if (isMap(node)) {
      for (const offset of duplicateKeyOffsets(node))
        found.push({ offset, code: 'DUPLICATE_KEY', message: 'Map keys must be unique' });
    } else if (isAlias(node)) aliases.push(node.range?.[0] ?? 0);
  });
  if (aliases.length > MAX_ALIASES) {
    const offset = aliases.sort((a, b) => a - b)[MAX_ALIASES] ?? 0;
    found.push({
      offset,
      code: 'RESOURCE_EXHAUSTION',
      message: `more than ${MAX_ALIASES} aliases in one document`,
    });
  }
  dropUnusedAnchors(doc);
  if (found.length === 0) return;
  const added = found
    .sort((a, b) => a.offset - b.offset)
    .map(({ offset, code, message }) => {
      const error = new YAMLParseError([offset, offset + 1], code, message);
      if (prettyErrors) prettify(error, text, lineCounter);
      return error;
    });
  const merged: YAMLError[] = [];
  let next = 0;
  for (const error of doc.errors) {
    for (let dup = added[next]; dup !== undefined && dup.pos[0] < error.pos[0]; dup = added[++next])
      merged.push(dup);
    merged.push(error);
  }
  doc.errors = merged.concat(added.slice(next));
}

/** Calls `visit` on every node of the document, keys too, in no particular order: a stack, no recursion. */
function walk(doc: Document.Parsed, visit: (node: Node) => void): void {
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (!isNode(node)) continue;
    visit(node);
    if (isMap(node)) {
      for (const pair of node.items) stack.push(pair.key, pair.value);
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item); // not push(...items): a long list overflows the stack
    }
  }
}

/** The widest line the library's error context shows. */
const CONTEXT_WIDTH = 80;

/**
 * What the library appends to an error's message when `prettyErrors` is on (the default): where, and the line
 * with a caret under the offset, the line before it too when the offset opens its line, long lines cut to 80
 * characters around the offset. Also sets `linePos`, which callers read for the position.
 */
function prettify(error: YAMLParseError, text: string, lineCounter: LineCounter): void {
  const at = lineCounter.linePos(error.pos[0]);
  error.linePos = [at, lineCounter.linePos(error.pos[1])];
  error.message += ` at line ${at.line}, column ${at.col}`;
  const starts = lineCounter.lineStarts;
  let column = at.col - 1;
  let shown = text.slice(starts[at.line - 1], starts[at.line]).replace(/[\n\r]+$/, '');
  if (column >= 60 && shown.length > CONTEXT_WIDTH) {
    const cut = Math.min(column - 39, shown.length - (CONTEXT_WIDTH - 1));
    shown = `…${shown.slice(cut)}`;
    column -= cut - 1;
  }
  if (shown.length > CONTEXT_WIDTH) shown = `${shown.slice(0, CONTEXT_WIDTH - 1)}…`;
  if (at.line > 1 && /^ *$/.test(shown.slice(0, column))) {
    let before = text.slice(starts[at.line - 2], starts[at.line - 1]);
    if (before.length > CONTEXT_WIDTH) before = `${before.slice(0, CONTEXT_WIDTH - 1)}…\n`;
    shown = before + shown;
  }
  // A duplicate key's error spans one character, so the caret is always one wide.
  if (/[^ ]/.test(shown)) error.message += `:\n\n${shown}\n${' '.repeat(column)}^\n`;
}
