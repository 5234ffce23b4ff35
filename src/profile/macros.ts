// `{{ .strata.* }}` macros in values and manifests. Only expressions that mention `strata` are ours; any other
// `{{ … }}` is left alone because Helm charts legitimately pass templates through values (`tpl`).
import { suggest } from './did-you-mean.js';

export const KNOWN_MACROS = [
  '.strata.cluster.name',
  '.strata.profile.name',
  '.strata.profile.version',
] as const;
const VARIABLE_PREFIX = '.strata.var.';
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export type Macro =
  | { readonly kind: 'cluster-name' }
  | { readonly kind: 'profile-name' }
  | { readonly kind: 'profile-version' }
  | { readonly kind: 'variable'; readonly name: string }
  | { readonly kind: 'unknown'; readonly suggestion?: string };

export interface MacroMatch {
  /** The whole `{{ … }}` text. */
  readonly text: string;
  readonly expression: string;
  readonly index: number;
  readonly macro: Macro;
}

const BRACES = /\{\{(.*?)\}\}/gs;

/** Every Strata macro in `text`, in order. */
export function findMacros(text: string): MacroMatch[] {
  const found: MacroMatch[] = [];
  for (const match of text.matchAll(BRACES)) {
    const expression = (match[1] ?? '').trim();
    if (!/strata/i.test(expression)) continue;
    found.push({ text: match[0], expression, index: match.index, macro: classify(expression) });
  }
  return found;
}

function classify(expression: string): Macro {
  switch (expression) {
    case '.strata.cluster.name':
      return { kind: 'cluster-name' };
    case '.strata.profile.name':
      return { kind: 'profile-name' };
    case '.strata.profile.version':
      return { kind: 'profile-version' };
    default:
      break;
  }
  if (expression.startsWith(VARIABLE_PREFIX)) {
    const name = expression.slice(VARIABLE_PREFIX.length);
    if (VARIABLE_NAME.test(name)) return { kind: 'variable', name };
  }
  const suggestion = suggest(expression, KNOWN_MACROS);
  return suggestion === undefined ? { kind: 'unknown' } : { kind: 'unknown', suggestion };
}

export function describeUnknownMacro(match: MacroMatch): string {
  const hint = match.macro.kind === 'unknown' ? match.macro.suggestion : undefined;
  const expected = `expected one of {{ ${KNOWN_MACROS.join(' }}, {{ ')} }}, {{ .strata.var.NAME }}`;
  return hint === undefined
    ? `unknown macro ${match.text}; ${expected}`
    : `unknown macro ${match.text}; did you mean {{ ${hint} }}?`;
}

/** Replace every Strata macro in `text` using `lookup`; anything else stays as written. */
export function substituteMacros(text: string, lookup: (macro: Macro) => string): string {
  let out = '';
  let last = 0;
  for (const match of findMacros(text)) {
    out += text.slice(last, match.index) + lookup(match.macro);
    last = match.index + match.text.length;
  }
  return out + text.slice(last);
}

/** Calls `visit` for every string leaf of plain data, with its path relative to `root`. */
export function forEachString(
  root: unknown,
  visit: (text: string, path: readonly (string | number)[]) => void,
  path: readonly (string | number)[] = [],
): void {
  if (typeof root === 'string') visit(root, path);
  else if (Array.isArray(root))
    root.forEach((item: unknown, i) => {
      forEachString(item, visit, [...path, i]);
    });
  else if (typeof root === 'object' && root !== null) {
    for (const [key, value] of Object.entries(root)) forEachString(value, visit, [...path, key]);
  }
}

/** A copy of plain data with every string leaf passed through `map`. */
export function mapStrings(root: unknown, map: (text: string) => string): unknown {
  if (typeof root === 'string') return map(root);
  if (Array.isArray(root)) return root.map((item: unknown) => mapStrings(item, map));
  if (typeof root === 'object' && root !== null) {
    return Object.fromEntries(Object.entries(root).map(([key, value]) => [key, mapStrings(value, map)]));
  }
  return root;
}
