// Maps field paths back to line:column in the YAML text, so every issue can say where it is.
import { isMap, isPair, isScalar, isSeq, Scalar, type Document, type LineCounter } from 'yaml';
import type { SourcePosition } from './errors.js';
import type { FieldPath } from './model.js';

export interface ProfileSource {
  readonly file: string;
  /**
   * Position of the value at `path`, or of its key with `{ key: true }`. A path that does not exist points at
   * the nearest ancestor that does (a missing field is reported on the mapping that lacks it).
   */
  position(path: FieldPath, options?: { key?: boolean }): SourcePosition;
  /**
   * Position of line/column `inner` (1-based) inside the string value at `path`, for errors in YAML embedded in
   * a block scalar (`values: |`). Other scalar styles point at the value itself.
   */
  innerPosition(path: FieldPath, inner: { line: number; column: number }): SourcePosition;
  /**
   * Position of line/column `inner` (1-based) inside the string value at `path` in any scalar style, for
   * errors inside an expression (a health rule's CEL): block scalars as innerPosition, a plain or quoted
   * one-line string by its column (escapes in a quoted string are not counted).
   */
  stringPosition(path: FieldPath, inner: { line: number; column: number }): SourcePosition;
}

/** YAML parsed out of a string field (`values: |`, `manifests: |`), so positions inside it can be reported. */
export interface EmbeddedYaml {
  readonly docs: readonly Document.Parsed[];
  readonly lineCounter: LineCounter;
  /** true: the first path segment after the prefix is the document index (`manifests`). */
  readonly multi: boolean;
}

export class YamlSource implements ProfileSource {
  readonly file: string;
  readonly #doc: Document.Parsed;
  readonly #lines: LineCounter;
  readonly #text: string;
  readonly #embedded = new Map<string, { prefix: FieldPath; yaml: EmbeddedYaml }>();

  constructor(options: { file: string; doc: Document.Parsed; lineCounter: LineCounter; text: string }) {
    this.file = options.file;
    this.#doc = options.doc;
    this.#lines = options.lineCounter;
    this.#text = options.text;
  }

  /** Record that the string at `prefix` holds YAML, so deeper paths resolve inside it. */
  embed(prefix: FieldPath, yaml: EmbeddedYaml): void {
    this.#embedded.set(JSON.stringify(prefix), { prefix, yaml });
  }

  position(path: FieldPath, options: { key?: boolean } = {}): SourcePosition {
    for (let length = path.length - 1; length > 0; length--) {
      const entry = this.#embedded.get(JSON.stringify(path.slice(0, length)));
      if (entry === undefined) continue;
      let rest = path.slice(length);
      let doc = entry.yaml.docs[0];
      if (entry.yaml.multi) {
        doc = typeof rest[0] === 'number' ? entry.yaml.docs[rest[0]] : undefined;
        rest = rest.slice(1);
      }
      if (doc === undefined) break;
      const inner = entry.yaml.lineCounter.linePos(findOffset(doc, rest, options.key ?? false));
      return this.innerPosition(entry.prefix, { line: inner.line, column: inner.col });
    }
    return this.#at(findOffset(this.#doc, path, options.key ?? false));
  }

  innerPosition(path: FieldPath, inner: { line: number; column: number }): SourcePosition {
    const offset = findOffset(this.#doc, path, false);
    const node = this.#doc.getIn(path, true);
    if (!isScalar(node) || (node.type !== Scalar.BLOCK_LITERAL && node.type !== Scalar.BLOCK_FOLDED)) {
      return this.#at(offset);
    }
    const header = this.#lines.linePos(offset);
    // Block scalar content starts on the line after the `|` header, indented; find that indentation.
    const contentLineStart = this.#lines.lineStarts[header.line] ?? offset;
    const indent = /^ */.exec(this.#text.slice(contentLineStart))?.[0].length ?? 0;
    return { file: this.file, line: header.line + inner.line, column: indent + inner.column };
  }

  stringPosition(path: FieldPath, inner: { line: number; column: number }): SourcePosition {
    const node = this.#doc.getIn(path, true);
    if (!isScalar(node) || node.range === undefined || node.range === null) return this.position(path);
    if (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED) {
      return this.innerPosition(path, inner);
    }
    const quoted = node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE ? 1 : 0;
    const start = this.#at(node.range[0]);
    if (inner.line === 1) return { ...start, column: start.column + quoted + inner.column - 1 };
    // A plain or quoted scalar folded over lines: its line breaks became spaces, so only the start is sure.
    return start;
  }

  #at(offset: number): SourcePosition {
    const { line, col } = this.#lines.linePos(offset);
    return { file: this.file, line, column: col };
  }
}

/** Offset of the deepest node along `path`. */
function findOffset(doc: Document.Parsed, path: FieldPath, wantKey: boolean): number {
  let node: unknown = doc.contents;
  let offset = doc.range[0];
  if (hasRange(node)) offset = node.range[0];
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (pair === undefined) return offset;
      if (hasRange(pair.key)) offset = pair.key.range[0];
      if (last && wantKey) return offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
    } else {
      return offset;
    }
    if (!hasRange(node)) return offset;
    offset = node.range[0];
  }
  return offset;
}

function hasRange(node: unknown): node is { range: [number, number, number] } {
  return typeof node === 'object' && node !== null && 'range' in node && Array.isArray(node.range);
}

/** For profiles that did not come from a YAML text (e.g. built in code): every issue points at 1:1 of `file`. */
export function detachedSource(file: string): ProfileSource {
  const start = { file, line: 1, column: 1 };
  return { file, position: () => start, innerPosition: () => start, stringPosition: () => start };
}

/** A document with nothing in it (a trailing `---`, only comments, or a bare null). */
export function isEmptyDocument(doc: Document.Parsed): boolean {
  return doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null);
}
