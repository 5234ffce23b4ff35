// Every YAML text a client sends (a profile, an embedded `values: |` or `manifests: |`) is read through here:
// aliases are capped and may not contain themselves, nesting is capped, and only the core schema's tags and the
// %YAML directive are accepted. Each refusal carries an offset in the text, so callers can position it.
import {
  isAlias,
  isCollection,
  isMap,
  isNode,
  Lexer,
  LineCounter,
  parseAllDocuments,
  Parser,
  visit,
  type Document,
  type Node,
} from 'yaml';
import { dropUnusedAnchors, duplicateKeyOffsets } from '../shared/yaml-parse.js';
import type { FieldPath } from './model.js';
import { describeLimit, findLimit, MAX_DEPTH } from './walk.js';

/** Aliases, and alias expansions, per document; bounds "billion laughs" documents. */
export const MAX_ALIAS_COUNT = 100;

/**
 * Tags of the YAML 1.2 core schema written explicitly (`!!str "1"`), and the non-specific `!`; anything else
 * (`!foo`, YAML 1.1's `!!binary`, `!!set`) is refused.
 */
const YAML_TAG_PREFIX = 'tag:yaml.org,2002:';
const CORE_TAGS = new Set([
  '!',
  ...['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((name) => YAML_TAG_PREFIX + name),
]);

/**
 * Warnings of the yaml library that mean the document would not read as written; reported as errors.
 * Unresolved tags (TAG_RESOLVE_FAILED) are found by the tag check below, once each; unknown directives by
 * directiveProblems.
 */
const FATAL_WARNINGS = new Set(['BAD_COLLECTION_TYPE', 'BAD_ALIAS']);

export interface YamlProblem {
  /** Offset in the text the documents were parsed from. */
  readonly offset: number;
  /** Without the `invalid YAML: ` prefix; never quotes more of the text than a tag or directive name. */
  readonly message: string;
}

export interface YamlText {
  readonly docs: readonly Document.Parsed[];
  readonly lineCounter: LineCounter;
  /** Problems outside any document (directives). Each document's own are in `documentProblems`. */
  readonly problems: readonly YamlProblem[];
}

export function readYaml(text: string): YamlText {
  const lineCounter = new LineCounter();
  const tooDeep = flowDepthProblem(text);
  if (tooDeep !== undefined) {
    // The parser spends seconds on a megabyte of `[[[[`; refuse before it runs. Offsets still need lines.
    lineCounter.addNewLine(0);
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineCounter.addNewLine(i + 1);
    return { docs: [], lineCounter, problems: [tooDeep] };
  }
  // The library's own duplicate-key check compares each key with every earlier one: 60,000 keys took minutes.
  // documentProblems checks with a Set instead (shared/yaml-parse.ts).
  const all = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  return { docs: Array.isArray(all) ? all : [], lineCounter, problems: directiveProblems(text) };
}

/** Tokens the yaml lexer emits that are not text of the source (cst.ts: DOCUMENT, FLOW_END, SCALAR). */
const LEXER_CONTROL = new Set(['\x02', '\x18', '\x1f']);

/**
 * Flow collections (`[`, `{`) nested deeper than MAX_DEPTH, found by the lexer (so brackets inside quoted and
 * block scalars do not count), which stops at the first one; undefined when there is none.
 */
function flowDepthProblem(text: string): YamlProblem | undefined {
  let brackets = 0;
  for (let i = 0; i < text.length && brackets <= MAX_DEPTH; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) brackets++; // [ {
  }
  if (brackets <= MAX_DEPTH) return undefined;
  let depth = 0;
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') depth++;
    else if (token === ']' || token === '}') depth = Math.max(0, depth - 1);
    if (depth > MAX_DEPTH) return { offset, message: `nested deeper than ${MAX_DEPTH} levels` };
    if (!LEXER_CONTROL.has(token)) offset += token.length;
  }
  return undefined;
}

/**
 * `%TAG` would let a document name arbitrary tags, and an unknown directive is a typo or an attack; only
 * `%YAML` is accepted. The parser's top-level tokens are the only reliable place to find directives.
 */
function directiveProblems(text: string): YamlProblem[] {
  if (!text.includes('%')) return [];
  const problems: YamlProblem[] = [];
  for (const token of new Parser().parse(text)) {
    if (token.type !== 'directive' || /^%YAML(\s|$)/.test(token.source)) continue;
    const name = /^%\S*/.exec(token.source)?.[0] ?? '%';
    problems.push({
      offset: token.offset,
      message: `directive ${name.slice(0, 20)} is not supported; only %YAML is`,
    });
  }
  return problems;
}

/** Syntax errors, fatal warnings, tags outside the core schema, recursive aliases and too deep nesting. */
export function documentProblems(doc: Document.Parsed): YamlProblem[] {
  const problems: YamlProblem[] = doc.errors.map((error) => ({
    offset: error.pos[0],
    message: error.message,
  }));
  if (problems.length > 0) return problems;
  for (const warning of doc.warnings) {
    if (FATAL_WARNINGS.has(warning.code)) problems.push({ offset: warning.pos[0], message: warning.message });
  }
  // Anchors seen so far in document order: an alias names the latest one before it. (Alias.resolve searches
  // the whole document per alias, which is quadratic in a document of many aliases.)
  const anchors = new Map<string, Node>();
  let aliases = 0;
  visit(doc, (_key, node, path) => {
    if (!isNode(node)) return undefined;
    const offset = node.range?.[0] ?? 0;
    if (isAlias(node)) {
      aliases += 1;
      if (aliases > MAX_ALIAS_COUNT) {
        problems.push({ offset, message: `more than ${MAX_ALIAS_COUNT} aliases in one document` });
        return visit.BREAK;
      }
      const target = anchors.get(node.source);
      if (target !== undefined && path.includes(target)) {
        problems.push({ offset, message: `alias *${node.source} refers to a value that contains it` });
      }
      return undefined;
    }
    if (node.anchor !== undefined) anchors.set(node.anchor, node);
    const tag = node.tag;
    if (tag !== undefined && !CORE_TAGS.has(tag)) {
      problems.push({ offset, message: `tag ${shortTag(tag)} is not supported` });
    }
    if (isCollection(node) && path.filter(isCollection).length >= MAX_DEPTH) {
      problems.push({ offset, message: `nested deeper than ${MAX_DEPTH} levels` });
      return visit.BREAK;
    }
    if (isMap(node)) {
      for (const offset of duplicateKeyOffsets(node))
        problems.push({ offset, message: 'Map keys must be unique' });
    }
    return undefined;
  });
  return problems;
}

export type PlainData =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly path: FieldPath; readonly message: string };

/**
 * The document as plain data, with aliases expanded at most MAX_ALIAS_COUNT times. Expansion can still nest a
 * value deeper than the text shows (an alias inside an alias), so the result is checked again.
 */
export function toPlainData(doc: Document.Parsed): PlainData {
  let value: unknown;
  dropUnusedAnchors(doc); // converting anchored collection keys is quadratic in the anchors (shared/yaml-parse.ts)
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : undefined;
    return { ok: false, path: [], message: message ?? 'the document cannot be read' };
  }
  const hit = findLimit(value);
  if (hit !== undefined) return { ok: false, path: hit.path, message: describeLimit(hit.limit) };
  return { ok: true, value };
}

/** `tag:yaml.org,2002:binary` → `!!binary`, as written; capped so a message never carries a long tag. */
function shortTag(tag: string): string {
  const short = tag.startsWith(YAML_TAG_PREFIX) ? `!!${tag.slice(YAML_TAG_PREFIX.length)}` : tag;
  return short.length > 40 ? `${short.slice(0, 40)}…` : short;
}
