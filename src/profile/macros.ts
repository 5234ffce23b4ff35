// `{{ .strata.* }}` macros in values and manifests. Only expressions that mention `strata` are ours; any other
// `{{ … }}` is left alone because Helm charts legitimately pass templates through values (`tpl`).
import { suggest } from '../shared/did-you-mean.js';
import type { FieldPath } from './model.js';
import { describeLimit, mapLeaves, walkLeaves, type LimitHit } from './walk.js';

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
  | { readonly kind: 'unknown'; readonly suggestion?: string }
  /** `{{ .strata.var.x` with no `}}` after it: never substituted, always an error. */
  | { readonly kind: 'unclosed' };

export interface MacroMatch {
  /** The whole `{{ … }}` text. */
  readonly text: string;
  readonly expression: string;
  readonly index: number;
  readonly macro: Macro;
}

/** How much of an unclosed macro a message shows. */
const UNCLOSED_SHOWN = 40;

/**
 * Every Strata macro in `text`, in order: each `{{` up to the first `}}` after it. A scan with indexOf, not a
 * lazy regex, so a string of many `{{` and no `}}` costs linear time, not quadratic.
 */
export function findMacros(text: string): MacroMatch[] {
  const found: MacroMatch[] = [];
  let from = 0;
  for (;;) {
    const open = text.indexOf('{{', from);
    if (open === -1) break;
    const close = text.indexOf('}}', open + 2);
    if (close === -1) {
      // Only ours: a Helm template left unclosed in values is the chart's business.
      const rest = text.slice(open);
      if (/strata/i.test(rest)) {
        const shown = (rest.split('\n')[0] ?? rest).slice(0, UNCLOSED_SHOWN);
        found.push({
          text: shown,
          expression: shown.slice(2).trim(),
          index: open,
          macro: { kind: 'unclosed' },
        });
      }
      break;
    }
    const expression = text.slice(open + 2, close).trim();
    if (/strata/i.test(expression)) {
      found.push({ text: text.slice(open, close + 2), expression, index: open, macro: classify(expression) });
    }
    from = close + 2;
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
    if (match.macro.kind === 'unclosed') continue;
    out += text.slice(last, match.index) + lookup(match.macro);
    last = match.index + match.text.length;
  }
  return out + text.slice(last);
}

/**
 * Calls `visit` for every string leaf of plain data, with its path relative to `root`. A value that contains
 * itself or is nested deeper than MAX_DEPTH is not entered; `onLimit` hears where.
 */
export function forEachString(
  root: unknown,
  visit: (text: string, path: FieldPath) => void,
  options: { readonly onLimit?: (hit: LimitHit) => void } = {},
): void {
  walkLeaves(
    root,
    (leaf, path) => {
      if (typeof leaf === 'string') visit(leaf, path);
    },
    (hit) => options.onLimit?.(hit),
  );
}

/** Stands in for a subtree a walker refused to enter, so no unredacted or unexpanded text slips through. */
export function limitPlaceholder(hit: LimitHit): string {
  return `[omitted: ${describeLimit(hit.limit)}]`;
}

/** A copy of plain data with every string leaf passed through `map`; cycles and too-deep parts are replaced. */
export function mapStrings(root: unknown, map: (text: string) => string): unknown {
  return mapLeaves(root, (leaf) => (typeof leaf === 'string' ? map(leaf) : leaf), limitPlaceholder);
}
