// Text the hub serves but a cluster or a chart wrote (termination messages, Kubernetes events, conditions, helm
// errors, chart NOTES, problem details) must not drive the operator's terminal: an OSC 52 sets the clipboard,
// CSI moves the cursor or clears the screen, OSC 8 forges links, bidi overrides reorder what is read. Every
// server-provided string the CLI prints goes through `terminalText` (or `terminalSafe` for a whole API object),
// which shows those characters as visible escapes instead. `-o json` / `-o yaml` print the object as the hub
// answered it (their own escaping: see formatObject).

/**
 * C0 controls (but for \n and \t, handled below), DEL, C1 controls (U+0080–U+009F: a terminal may read U+009B as
 * CSI), every format character (Unicode category Cf: the bidi embeddings, overrides, isolates and marks, and the
 * invisible ones: zero-width space and joiners, word joiner, soft hyphen, byte-order mark, tags), the combining
 * grapheme joiner (U+034F, invisible too), and the line/paragraph separators (U+2028, U+2029) some terminals
 * break lines at. An invisible character makes `pro\u200bd` read as `prod` (review 12, item 4).
 */
const BEYOND_C0 = String.raw`\x7f-\x9f\p{Cf}\u034f\u2028\u2029`;
const UNSAFE = new RegExp(`[\\x00-\\x08\\x0b-\\x1f${BEYOND_C0}]`, 'gu');
const UNSAFE_ONE_LINE = new RegExp(`[\\x00-\\x1f${BEYOND_C0}]`, 'gu');
/**
 * The unsafe characters JSON.stringify and yaml print raw (both escape C0 themselves): formatObject writes them
 * as \u escapes.
 */
export const unsafeBeyondC0 = (): RegExp => new RegExp(`[${BEYOND_C0}]`, 'gu');

const named: Readonly<Record<string, string>> = { '\n': '\\n', '\t': '\\t', '\r': '\\r' };

function visible(char: string): string {
  const known = named[char];
  if (known !== undefined) return known;
  const code = char.codePointAt(0) ?? 0;
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
  return code <= 0xffff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\u{${code.toString(16)}}`;
}

/**
 * `text` with every control character, escape sequence introducer and bidi control shown as a visible escape
 * (`\x1b`, `\x9b`, `\u202e`): the rest of a sequence (`]52;c;…`) is then plain text. `multiline` keeps \n and \t
 * (a chart's NOTES, a values file); otherwise they too are shown as `\n` / `\t`, so a table row or a status line
 * cannot be split into forged lines.
 */
export function terminalText(text: string, options: { multiline?: boolean } = {}): string {
  return text.replace(options.multiline === true ? UNSAFE : UNSAFE_ONE_LINE, visible);
}

/** A copy of an API object with every string (keys too) passed through `terminalText` as one line. */
export function terminalSafe<T>(value: T): T {
  return cleanValue(value) as T;
}

function cleanValue(value: unknown): unknown {
  if (typeof value === 'string') return terminalText(value);
  if (Array.isArray(value)) return value.map(cleanValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [terminalText(k), cleanValue(v)]));
  }
  return value;
}
