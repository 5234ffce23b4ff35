// A sensitive variable takes no `default` (normalize.ts refuses one). A version stored before that rule may
// still hold one in its source: the hub keeps the source as written (nothing stored is rewritten or lost) and
// shows it, in the API and the bundle, with each such default replaced by the placeholder errors print. The
// secret is gone in every form the source may also carry it in: the anchored value a `default: *alias` points
// at, another value holding it, a comment (review 11, item 8).
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseAllDocuments,
  visit,
  type Document,
  type Node,
  type Pair,
} from 'yaml';
import { SENSITIVE_PLACEHOLDER } from './describe.js';
import type { Variable } from './model.js';

/**
 * Secrets shorter than this are masked where they are the default (and the value an alias default points at)
 * only: searched for elsewhere they would match ordinary text (`1`, `apps` of `apps/v1`, a key) and tell nothing.
 * Redactor.redact (redact.ts) takes the same length: in cluster text a shorter form of a secret is masked only
 * where it is a word of its own.
 */
export const SEARCHED_SECRET_MIN = 6;

/**
 * The yaml library's own duplicate-key check compares each key with every earlier one (minutes for 60,000 keys):
 * off, as every parse of a profile is (shared/yaml-parse.ts). A stored source was checked when it was accepted.
 */
const PARSE = { uniqueKeys: false } as const;

/** Shown instead of a source whose sensitive default cannot be found in its text to be masked there. */
export const HIDDEN_SOURCE =
  '# The source of this version is not shown: it holds the default of a sensitive variable (stored before\n' +
  '# they were refused) that cannot be masked where it is written. Publish a version without it.\n';

type ParsedDocument = ReturnType<typeof parseAllDocuments>[number];

/** A sensitive variable's `default`: its pair, and the node it is written as (an alias, perhaps). */
interface SensitiveDefault {
  readonly doc: ParsedDocument;
  readonly pair: Pair;
  readonly value: Node;
}

/**
 * `source` with the value of every `spec.variables[].default` whose variable says `sensitive: true` replaced by
 * `"******"`, and every other trace of those values in the file (any document) too: the value an alias default
 * points at, a value or key holding one, a comment quoting one. Everything else stays byte for byte when the
 * secret's places can simply be overwritten; otherwise (a comment, a block scalar, an anchor) the documents are
 * written anew, comments kept, the layout yaml's. Text that does not parse is returned as it is: a stored version
 * parsed when it was accepted. `known`: those defaults as the profile parser read the source
 * (`sensitiveDefaultsOf`), which finds them however the text reaches them.
 */
export function maskSensitiveDefaults(source: string, known: readonly string[]): string {
  // Most versions hold none: no parse at all (review 13, item 2: every viewer's GET parsed the whole source).
  if (known.length === 0) return source;
  const docs = parseAllDocuments(source, PARSE);
  const defaults = docs.flatMap(sensitiveDefaults);
  // A default the syntax tree does not show where it is (reached through a merge key `<<`, review 13, item 3)
  // is found by its text; one too short to search for safely hides the source.
  if (defaults.length < known.length && known.some((k) => k.length < SEARCHED_SECRET_MIN))
    return HIDDEN_SOURCE;
  const secrets = secretTexts(defaults, known);
  const cuts: [start: number, end: number][] = [];
  const cut = (node: Node | null | undefined) => {
    if (node?.range) cuts.push([node.range[0], node.range[1]]);
  };
  for (const { doc, value } of defaults) {
    cut(value);
    if (isAlias(value)) cut(value.resolve(doc));
  }
  for (const doc of docs)
    visit(doc, {
      Scalar: (_key, node) => {
        if (holdsSecret(node.value, secrets)) cut(node);
      },
    });
  const overwritten = overwrite(source, cuts);
  if (maskedEverywhere(overwritten, defaults.length) && !carries(overwritten, secrets)) return overwritten;
  const rewritten = rewrite(docs, defaults, secrets);
  if (!carries(rewritten, secrets)) return rewritten;
  // Still there (an anchor's or a tag's name, a key yaml writes as it was): the text goes, whatever it was part of.
  let masked = rewritten;
  for (const secret of secrets.searched) masked = masked.replaceAll(secret, SENSITIVE_PLACEHOLDER);
  return masked;
}

/** The text with each cut range replaced by the quoted placeholder (ranges inside a replaced one are dropped). */
function overwrite(text: string, cuts: readonly (readonly [number, number])[]): string {
  let masked = text;
  let before = Number.POSITIVE_INFINITY;
  for (const [start, end] of [...cuts].sort((a, b) => b[0] - a[0] || a[1] - b[1])) {
    if (end > before) continue;
    masked = `${masked.slice(0, start)}${JSON.stringify(SENSITIVE_PLACEHOLDER)}${masked.slice(end)}`;
    before = start;
  }
  return masked;
}

/** Each document written anew: every secret value, alias default and comment holding a secret masked. */
function rewrite(
  docs: readonly ParsedDocument[],
  defaults: readonly SensitiveDefault[],
  secrets: Secrets,
): string {
  const placeholder = (node: Node) =>
    Object.assign(node, { value: SENSITIVE_PLACEHOLDER, type: 'QUOTE_DOUBLE', range: undefined });
  for (const { doc, pair, value } of defaults) {
    if (isAlias(value)) {
      const target = value.resolve(doc);
      if (isScalar(target)) placeholder(target);
      pair.value = doc.createNode(SENSITIVE_PLACEHOLDER);
    } else if (isScalar(value)) placeholder(value);
    else pair.value = doc.createNode(SENSITIVE_PLACEHOLDER);
  }
  for (const doc of docs) {
    doc.commentBefore = maskedComment(doc.commentBefore, secrets);
    doc.comment = maskedComment(doc.comment, secrets);
    visit(doc, {
      Node: (_key, node) => {
        if (isScalar(node) && holdsSecret(node.value, secrets)) placeholder(node);
        node.commentBefore = maskedComment(node.commentBefore, secrets);
        node.comment = maskedComment(node.comment, secrets);
      },
    });
  }
  return docs.map((doc) => doc.toString()).join('');
}

/** The comment (a document's or a node's, of whichever type it is declared) with every secret masked. */
function maskedComment<C extends string | null | undefined>(comment: C, secrets: Secrets): C {
  if (!comment) return comment;
  let masked: string = comment;
  for (const secret of secrets.searched) masked = masked.replaceAll(secret, SENSITIVE_PLACEHOLDER);
  return masked as C;
}

/**
 * The defaults' values searched for: as parsed and as written (`0x1F` and 31), and each line of a multi-line one,
 * those of SEARCHED_SECRET_MIN characters or more; the longest first, so a secret holding another goes whole.
 */
interface Secrets {
  readonly searched: readonly string[];
}

function secretTexts(defaults: readonly SensitiveDefault[], known: readonly string[]): Secrets {
  const exact = new Set<string>(known);
  const add = (node: unknown) => {
    if (isScalar(node)) {
      // A string or a number (a PIN), as parsed and as written; `true` or `null` is no secret to search for.
      if (typeof node.value === 'string' || typeof node.value === 'number') exact.add(String(node.value));
      if (typeof node.value === 'number' && typeof node.source === 'string') exact.add(node.source);
    } else if (isMap(node) || isSeq(node)) {
      for (const item of node.items) {
        if (isScalar(item) || isMap(item) || isSeq(item)) add(item);
        else if (item && typeof item === 'object' && 'value' in item) add(item.value);
      }
    }
  };
  for (const { doc, value } of defaults) add(isAlias(value) ? value.resolve(doc) : value);
  const searched = new Set<string>();
  for (const secret of exact) {
    for (const text of [secret, ...secret.split('\n').map((line) => line.trim())])
      if (text.length >= SEARCHED_SECRET_MIN && !SENSITIVE_PLACEHOLDER.includes(text)) searched.add(text);
  }
  return { searched: [...searched].sort((a, b) => b.length - a.length) };
}

function holdsSecret(value: unknown, secrets: Secrets): boolean {
  if (typeof value !== 'string') return false;
  return secrets.searched.some((secret) => value.includes(secret));
}

/** Whether a searched secret is still anywhere in `text`, or parsed out of an escaped form of it. */
function carries(text: string, secrets: Secrets): boolean {
  if (secrets.searched.some((secret) => text.includes(secret))) return true;
  let found = false;
  for (const doc of parseAllDocuments(text, PARSE))
    visit(doc, {
      Scalar: (_key, node) => {
        if (holdsSecret(node.value, secrets)) found = true;
      },
    });
  return found;
}

/** The sensitive variables' `default`s of one document. */
function sensitiveDefaults(doc: ParsedDocument): SensitiveDefault[] {
  if (!('contents' in doc) || doc.errors.length > 0) return [];
  const variables = at(at(doc.contents, 'spec'), 'variables');
  if (!isSeq(variables)) return [];
  return variables.items.flatMap((variable) => {
    const sensitive = at(variable, 'sensitive');
    if (!isScalar(sensitive) || sensitive.value !== true) return [];
    const pair = pairAt(variable, 'default');
    return pair?.value === null || pair?.value === undefined
      ? []
      : [{ doc, pair, value: pair.value as Node }];
  });
}

/** The defaults of a parsed profile's sensitive variables: what maskSensitiveDefaults is to hide. */
export function sensitiveDefaultsOf(profile: {
  readonly spec: { readonly variables: readonly Variable[] };
}): string[] {
  return profile.spec.variables.flatMap((v) => (v.sensitive && v.default !== undefined ? [v.default] : []));
}

/** Whether every sensitive default of `text` reads as the placeholder now. */
function maskedEverywhere(text: string, expected: number): boolean {
  const docs = parseAllDocuments(text, PARSE);
  const values = docs.flatMap((doc) =>
    'errors' in doc && doc.errors.length > 0
      ? [undefined]
      : sensitiveDefaults(doc).map(({ value }) => (isAlias(value) ? value.resolve(doc as Document) : value)),
  );
  return values.length === expected && values.every((v) => isScalar(v) && v.value === SENSITIVE_PLACEHOLDER);
}

function pairAt(node: unknown, key: string): Pair | undefined {
  if (!isMap(node)) return undefined;
  return node.items.find((p) => isScalar(p.key) && p.key.value === key);
}

function at(node: unknown, key: string): Node | undefined {
  const pair = pairAt(node, key);
  return pair?.value === null ? undefined : (pair?.value as Node | undefined);
}
