// Parsing YAML the hub reads from clients and remotes (a chart repository's index.yaml, helm's output, manifest
// files, kubeconfigs) without the yaml library's duplicate-key check: it compares each new key of a mapping with
// every earlier key of it (compose/util-map-includes.js, `items.some(…)`), so one mapping of n keys costs n²/2
// comparisons on the main thread. 26,000 keys (256 KB) took 14.8 s; 50,000 keys take about a minute. Every parse
// here runs with `uniqueKeys: false` and the duplicates are found with one Set per mapping instead, reported as
// the very error the library would have reported (same code, message, position and order), so callers and the
// messages users see do not change. Three more costs of the library that grow with the square of the input are
// bounded here too: aliases (at most MAX_ALIASES per document), anchors no alias names (dropped) and prettified
// errors (Prettifier).
import {
  Composer,
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  Parser,
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
  return Array.from(yamlDocuments(text, options));
}

/**
 * parseAllYamlDocuments one document at a time, each complete (its errors and warnings in) when it is
 * given: a caller that turns each into data and lets it go holds one document's syntax tree at a time, not
 * the whole stream's. A manifest file or helm's output of thousands of objects held them all at once, tens
 * of MiB more than the data they become (issue 15: the memory peak of an install).
 */
export function* yamlDocuments(text: string, options: YamlParseOptions = {}): Generator<Document.Parsed> {
  const lineCounter = options.lineCounter ?? new LineCounter();
  const pretty = options.prettyErrors === false ? undefined : new Prettifier(text, lineCounter);
  const composer = new Composer({ ...options, lineCounter, prettyErrors: false, uniqueKeys: false });
  for (const doc of composer.compose(new Parser(lineCounter.addNewLine).parse(text))) {
    checkDocument(doc, pretty);
    yield doc;
  }
}

/** Like the library's parseDocument with its default `uniqueKeys: true`, in time linear in the keys. */
export function parseYamlDocument(text: string, options: YamlParseOptions = {}): Document.Parsed {
  const lineCounter = options.lineCounter ?? new LineCounter();
  const doc = parseDocument(text, { ...options, lineCounter, prettyErrors: false, uniqueKeys: false });
  checkDocument(doc, options.prettyErrors === false ? undefined : new Prettifier(text, lineCounter));
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

/**
 * Each alias is looked up among every anchor and alias before it (Alias.resolve), so aliases cost their number
 * squared: 20,000 anchors each named once took 35 s. The library's own limit (`maxAliasCount`, 100) counts the
 * expansions of one anchor, not aliases; profiles allow 100 aliases per document (profile/yaml-limits.ts).
 */
export const MAX_ALIASES = 100;

/**
 * Adds the library's DUPLICATE_KEY error for every repeated key of every mapping in `doc`, and one for the
 * alias past MAX_ALIASES, merged into its errors by offset (the library reports errors as it reads, so in text
 * order); prettifies all errors and warnings when asked; drops the anchors no alias names (dropUnusedAnchors).
 */
function checkDocument(doc: Document.Parsed, pretty: Prettifier | undefined): void {
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
  if (found.length > 0) doc.errors = mergeByOffset(doc.errors, found);
  if (pretty === undefined) return;
  for (const error of doc.errors) pretty.prettify(error);
  for (const warning of doc.warnings) pretty.prettify(warning);
}

/** The library's errors in their order, each found error before the first one that is further in the text. */
function mergeByOffset(
  errors: readonly YAMLError[],
  found: { offset: number; code: ErrorCode; message: string }[],
): YAMLError[] {
  const added = found
    .sort((a, b) => a.offset - b.offset)
    .map(({ offset, code, message }) => new YAMLParseError([offset, offset + 1], code, message));
  const merged: YAMLError[] = [];
  let next = 0;
  for (const error of errors) {
    for (let dup = added[next]; dup !== undefined && dup.pos[0] < error.pos[0]; dup = added[++next])
      merged.push(dup);
    merged.push(error);
  }
  return merged.concat(added.slice(next));
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
 * Prettifies every error and warning of the documents as the library does when `prettyErrors` is on (its
 * default), in time linear in their number: the library copies the whole line of each error, so 40,000 errors
 * on one 200 KB line took 15.6 s (1.7 s without).
 */
class Prettifier {
  /** Per line number, where the line ends without its line break(s). */
  private readonly ends = new Map<number, number>();

  constructor(
    private readonly text: string,
    private readonly lineCounter: LineCounter,
  ) {}

  /**
   * Appends where, and the line with a caret under the error, the line before it too when the error opens its
   * line, long lines cut to 80 characters around it; sets `linePos`, which callers read for the position.
   */
  prettify(error: YAMLError): void {
    if (error.pos[0] === -1) return;
    const [at, to] = [this.lineCounter.linePos(error.pos[0]), this.lineCounter.linePos(error.pos[1])];
    error.linePos = [at, to];
    error.message += ` at line ${at.line}, column ${at.col}`;
    const starts = this.lineCounter.lineStarts;
    const start = starts[at.line - 1] ?? 0;
    const length = this.lineEnd(at.line, start) - start;
    let column = at.col - 1;
    let from = 0;
    if (column >= 60 && length > CONTEXT_WIDTH) {
      from = Math.min(column - 39, length - (CONTEXT_WIDTH - 1));
      column -= from - 1;
    }
    // The text shown is `…` when cut at the start, then the rest of the line, cut to 80 with `…` at the end.
    const lead = from > 0 ? '…' : '';
    const room = CONTEXT_WIDTH - lead.length;
    const rest = length - from;
    let shown =
      lead +
      (rest > room
        ? `${this.text.slice(start + from, start + from + room - 1)}…`
        : this.text.slice(start + from, start + length));
    if (at.line > 1 && /^ *$/.test(shown.slice(0, column))) {
      const before = starts[at.line - 2] ?? 0;
      shown =
        start - before > CONTEXT_WIDTH
          ? `${this.text.slice(before, before + CONTEXT_WIDTH - 1)}…\n${shown}`
          : this.text.slice(before, start) + shown;
    }
    if (!/[^ ]/.test(shown)) return;
    const width =
      to.line === at.line && to.col > at.col ? Math.min(to.col - at.col, CONTEXT_WIDTH - column) : 1;
    error.message += `:\n\n${shown}\n${' '.repeat(column)}${'^'.repeat(Math.max(1, width))}\n`;
  }

  /** The end of a line without the line breaks that close it, found once per line. */
  private lineEnd(line: number, start: number): number {
    let end = this.ends.get(line);
    if (end === undefined) {
      end = this.lineCounter.lineStarts[line] ?? this.text.length;
      while (end > start && (this.text[end - 1] === '\n' || this.text[end - 1] === '\r')) end--;
      this.ends.set(line, end);
    }
    return end;
  }
}
