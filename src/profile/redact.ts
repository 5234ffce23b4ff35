// Sensitive variable values must never reach a message, log line or API response meant for people. Anything
// that displays data derived from a resolved profile passes it through a Redactor first.
//
// A chart rarely shows a value as given: a template encodes it (`b64enc` for a Secret's data, `toJson` for a
// JSON config, `urlquery` for a connection string) and NOTES, helm's errors, Kubernetes events and rendered
// manifests carry that form. So each secret is hidden in the forms a chart writes it in too (encodedForms),
// computed once per secret when the Redactor is made: redacting costs the same per form as the plain text.
import { CUT_MARKER } from '../shared/kept-text.js';
import { SENSITIVE_PLACEHOLDER } from './describe.js';
import { mapStrings } from './macros.js';
import type { KubeObject, Pack } from './model.js';
import { PackType } from './schema.js';
import { SEARCHED_SECRET_MIN } from './sensitive-defaults.js';

/**
 * A pack's values (helm) or manifests as a person may see them: resolved with `******` where a sensitive
 * variable's macro was, undefined for a pack the resolution did not make.
 */
export type ShownContent = (pack: string) => Record<string, unknown> | readonly KubeObject[] | undefined;

/**
 * The shortest run of base64 kept for a secret that starts at an offset not a multiple of 3 inside a longer
 * encoded string: a shorter run would also hide unrelated text by chance.
 */
const MIN_BASE64_RUN = 8;

/**
 * The forms of `secret` a chart's templates write: as given; base64 (`b64enc`), whole and as the run of
 * characters that encodes it inside a longer encoded string (`b64enc (printf "%s:%s" user pw)`), whatever its
 * offset; JSON string escapes (JSON.stringify's and Go's `toJson`, once and inside JSON in JSON); URL encodings (`urlquery`, which is
 * Go's url.QueryEscape, and encodeURIComponent's). Only forms that differ from the text itself are added.
 */
export function encodedForms(secret: string): string[] {
  const forms = new Set<string>([secret]);
  const bytes = Buffer.from(secret, 'utf8');
  forms.add(bytes.toString('base64'));
  // Preceded by k bytes (k = 0, 1, 2), the characters from ceil(8k/6) up to floor(8(k+n)/6) depend only on the
  // secret's n bytes: the first ones mix in what precedes it, the last one what follows it.
  for (let k = 0; k < 3; k++) {
    const encoded = Buffer.concat([Buffer.alloc(k), bytes]).toString('base64');
    const run = encoded.slice(Math.ceil((8 * k) / 6), Math.floor((8 * (k + bytes.length)) / 6));
    if (run.length >= MIN_BASE64_RUN) forms.add(run);
  }
  const json = JSON.stringify(secret).slice(1, -1);
  forms.add(json);
  forms.add(JSON.stringify(json).slice(1, -1));
  // Go's encoding/json (helm's toJson) also escapes <, >, & and the JavaScript line separators.
  forms.add(json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  forms.add(encodeURIComponent(secret));
  const query = goQueryEscape(bytes);
  forms.add(query);
  forms.add(query.replaceAll('+', '%20'));
  return [...forms].filter((form) => form !== '');
}

/** Go's url.QueryEscape (helm's `urlquery`): all but letters, digits and `-_.~` as %XX, a space as `+`. */
function goQueryEscape(bytes: Buffer): string {
  let out = '';
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(char)) out += char;
    else if (byte === 0x20) out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * A character that is part of a word for Redactor.redact: a letter, mark, digit or connector (`_`) of any script,
 * and the punctuation found inside host names, image names, identifiers and encoded text (`- . + % ~`).
 */
const WORD_CHARACTER = /^[\p{L}\p{M}\p{N}\p{Pc}\-.+%~]$/u;

const isWordCharacter = (char: string): boolean => WORD_CHARACTER.test(char);

/**
 * A character that is part of a word when Redactor.redact asks whether a short form is a word of its own: a
 * letter, mark, digit or connector only. With WORD_CHARACTER's punctuation, `password is k3yZ.`, `k3yZ-` and
 * `+k3yZ` showed the secret, where a secret beside punctuation is plainly a word of its own (review 17, item 3).
 */
const SHORT_WORD_CHARACTER = /^[\p{L}\p{M}\p{N}\p{Pc}]$/u;

const isShortWordCharacter = (char: string): boolean => SHORT_WORD_CHARACTER.test(char);

/**
 * An escape of the encodings encodedForms covers, ending where a form begins: URL's `%3A` (`app%3Ak3yZ` is
 * `app:k3yZ`), JSON's `\n`, `\t`… and `\u0026`. Its last character is a letter or digit, but what follows it
 * starts a word. (Base64 needs none: its `+ / =` are not SHORT_WORD_CHARACTERs, and a short form inside a longer
 * run of base64 is ordinary text by chance.)
 */
const ESCAPE_BEFORE = /(?:%[0-9A-Fa-f]{2}|\\(?:[bfnrt]|u[0-9A-Fa-f]{4}))$/;

/** The longest escape ESCAPE_BEFORE matches (`\uXXXX`). */
const ESCAPE_MAX = 6;

/** Whether a short form found at `at` does not continue a word begun before it (SHORT_WORD_CHARACTER, escapes). */
const startsWord = (text: string, at: number): boolean =>
  !isShortWordCharacter(charAt(text, at)) ||
  !isShortWordCharacter(charBefore(text, at)) ||
  ESCAPE_BEFORE.test(text.slice(Math.max(0, at - ESCAPE_MAX), at));

/** Whether a short form that ends at `end` is not continued by the word it ends (SHORT_WORD_CHARACTER). */
const endsWord = (text: string, end: number): boolean =>
  !isShortWordCharacter(charBefore(text, end)) || !isShortWordCharacter(charAt(text, end));

/**
 * The fewest characters of a long form (SEARCHED_SECRET_MIN or more) before a cut marker that are masked with the
 * word they end (as a long form found whole is): fewer match the end of ordinary words by chance. Fewer are
 * masked only where they are a word of their own, as a short form is.
 */
const CUT_PREFIX_MIN = 4;

/**
 * The most cut markers in one text whose preceding text is searched: each costs a pass over every form. A real
 * text holds one, or a few where a message quotes cut ones (a timeout lists at most 5); more are a cluster's own
 * words, which may claim anything anyway.
 */
const CUT_MARKERS_MAX = 8;

/**
 * KMP's failure function of `form`: at i, the length of the longest proper prefix of form[0..i] that is also its
 * suffix. Lets prefixAtEnd find the longest prefix of a form that ends a text in one pass.
 */
function failureTable(form: string): Int32Array {
  const table = new Int32Array(form.length);
  for (let i = 1, k = 0; i < form.length; i++) {
    while (k > 0 && form[i] !== form[k]) k = table[k - 1] ?? 0;
    if (form[i] === form[k]) k++;
    table[i] = k;
  }
  return table;
}

/** The length of the longest proper prefix of `form` that the text ends with at `end` (0 for none). */
function prefixAtEnd(text: string, end: number, form: string, table: Int32Array): number {
  let k = 0;
  for (let i = Math.max(0, end - form.length + 1); i < end; i++) {
    while (k > 0 && text[i] !== form[k]) k = table[k - 1] ?? 0;
    if (text[i] === form[k]) k++;
  }
  return k;
}

/** The character (code point) that ends at `end`, or '' at the start of the text. */
function charBefore(text: string, end: number): string {
  if (end === 0) return '';
  const code = text.charCodeAt(end - 1);
  const pair = code >= 0xdc00 && code <= 0xdfff && end >= 2 && isHighSurrogate(text.charCodeAt(end - 2));
  return text.slice(pair ? end - 2 : end - 1, end);
}

/** The character (code point) that starts at `start`, or '' at the end of the text. */
const charAt = (text: string, start: number): string =>
  start >= text.length ? '' : String.fromCodePoint(text.codePointAt(start) ?? 0);

/** Whether the text from `at` on continues a word begun before `at`. */
const cutsLeft = (text: string, at: number): boolean =>
  isWordCharacter(charAt(text, at)) && isWordCharacter(charBefore(text, at));

/** Whether a word of the text before `end` goes on after it. */
const cutsRight = (text: string, end: number): boolean =>
  isWordCharacter(charBefore(text, end)) && isWordCharacter(charAt(text, end));

/** The start of the word that the text from `at` on is part of (`at` unless cutsLeft), not before `floor`. */
function wordStart(text: string, at: number, floor: number): number {
  if (!cutsLeft(text, at)) return at;
  let start = at;
  for (
    let char = charBefore(text, start);
    start > floor && isWordCharacter(char);
    char = charBefore(text, start)
  )
    start -= char.length;
  return Math.max(start, floor);
}

/** The end of the word that the text before `end` is part of (`end` unless cutsRight). */
function wordEnd(text: string, end: number): number {
  if (!cutsRight(text, end)) return end;
  let stop = end;
  for (let char = charAt(text, stop); isWordCharacter(char); char = charAt(text, stop)) stop += char.length;
  return stop;
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

export class Redactor {
  readonly #secrets: readonly string[];
  /** Every form of every secret (encodedForms), longest first. */
  readonly #forms: readonly string[];
  /** failureTable of each form, made the first time a text with a cut marker is redacted. */
  #tables: readonly Int32Array[] | undefined;

  readonly #shown: ShownContent | undefined;

  /**
   * `shown`: the packs' content as resolved with placeholders (resolve.ts), which shownPack uses instead of
   * searching the resolved text for the secrets.
   */
  constructor(secrets: Iterable<string>, shown?: ShownContent) {
    this.#shown = shown;
    this.#secrets = [...new Set(secrets)].filter((s) => s !== '').sort((a, b) => b.length - a.length);
    // Longest first, so a secret containing another is replaced whole. Empty strings would match everywhere.
    this.#forms = [...new Set(this.#secrets.flatMap(encodedForms))].sort((a, b) => b.length - a.length);
  }

  /**
   * `text` with every sensitive value, in each of its forms (encodedForms), replaced by `******`, and the word
   * it is part of with it: a mask that left `app-` of `app-postgres` would show what surrounds the secret, and
   * so the secret (review 14, item 7). A word is a run of letters, marks, digits and `_ - . + % ~`
   * (WORD_CHARACTER); anything else (white space, quotes, brackets, `/ : @ = , ; & ? # \ *`) separates words, so
   * `app-postgres.db.svc:5432` shows as `******:5432` and `postgres://u:hunter2-x@db/x` as
   * `postgres://u:******@db/x`. The mask widens only where the match cuts into a word (a word character on both
   * sides of its edge). Matches that overlap or touch, of one secret or several, are one mask.
   *
   * A form shorter than SEARCHED_SECRET_MIN is masked only where it is a word of its own (`port 1234`, not
   * `port 12345` or `x1234`): inside longer words it would match ordinary text by chance, and widening it would
   * mask every word holding that text; the same length rule as a stored profile's sensitive defaults
   * (sensitive-defaults.ts). For this test only letters, marks, digits and `_` make a word, and an escape
   * before the form (`%3A`, `\n`, `\u0026`) ends one, so `is 1234.`, `--pin 1234-` and `app%3A1234@db` are
   * masked (review 17, item 3).
   *
   * Text is cut (shared/kept-text.ts cutText) before it is redacted, so a secret the cut went through is no
   * longer there whole. Before each cut marker, the longest start of a form that the text ends with is masked
   * too: with its word when it is CUT_PREFIX_MIN characters or more of a long form, else where it is a word of
   * its own, by the short forms' rule (review 17, item 5).
   */
  redact(text: string): string {
    const spans: [start: number, end: number][] = [];
    for (const form of this.#forms) {
      const short = form.length < SEARCHED_SECRET_MIN;
      // `from`: where the next search starts; widening to the left stops there too (what lies before is
      // masked already), so each form costs one pass over the text.
      let from = 0;
      for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, from)) {
        const end = at + form.length;
        if (!short) {
          const stop = wordEnd(text, end);
          spans.push([wordStart(text, at, from), stop]);
          from = stop;
        } else if (startsWord(text, at) && endsWord(text, end)) {
          spans.push([at, end]);
          from = end;
        } else from = at + 1;
      }
    }
    if (text.includes('…[')) this.#cutSpans(text, spans);
    if (spans.length === 0) return text;
    spans.sort((a, b) => a[0] - b[0]);
    let out = '';
    let shown = 0;
    let open: [number, number] | undefined;
    for (const span of spans) {
      if (open !== undefined && span[0] <= open[1]) open[1] = Math.max(open[1], span[1]);
      else {
        if (open !== undefined) {
          out += `${text.slice(shown, open[0])}${SENSITIVE_PLACEHOLDER}`;
          shown = open[1];
        }
        open = [span[0], span[1]];
      }
    }
    if (open !== undefined) out += `${text.slice(shown, open[0])}${SENSITIVE_PLACEHOLDER}`;
    return out + text.slice(open?.[1] ?? shown);
  }

  /** Adds to `spans` the start of a form that ends the text before each cut marker (redact). */
  #cutSpans(text: string, spans: [start: number, end: number][]): void {
    let markers = 0;
    for (const marker of text.matchAll(CUT_MARKER)) {
      if (++markers > CUT_MARKERS_MAX) return;
      const end = marker.index;
      this.#tables ??= this.#forms.map(failureTable);
      for (const [i, form] of this.#forms.entries()) {
        const table = this.#tables[i];
        const length = table === undefined ? 0 : prefixAtEnd(text, end, form, table);
        if (length === 0) continue;
        const at = end - length;
        if (length >= CUT_PREFIX_MIN && form.length >= SEARCHED_SECRET_MIN)
          spans.push([wordStart(text, at, 0), end]);
        else if (startsWord(text, at)) spans.push([at, end]);
      }
    }
  }

  /** A copy of plain data (values, manifests, events) with every string leaf redacted. */
  redactDeep<T>(value: T): T {
    return mapStrings(value, (text) => this.redact(text)) as T;
  }

  /**
   * The pack as a viewer may see it. Its values or manifests are the ones resolved with `******` in place of
   * each sensitive variable's macro, when the resolution that made this Redactor kept them: searching the
   * resolved text for a secret would also mask where the same text is not the secret (a password `postgres`
   * masked `dbUser: app-postgres` too, which tells the password: review 14, item 7). Every other field of a pack
   * is written without macros, so it holds no secret. Without them (an agent's Redactor, tests) the text is
   * searched (redactDeep), each word holding a secret masked whole.
   */
  shownPack(pack: Pack): Pack {
    const shown = this.#shown?.(pack.name);
    if (shown === undefined) return this.redactDeep(pack);
    return pack.type === PackType.Helm
      ? { ...pack, values: shown as Record<string, unknown> }
      : { ...pack, manifests: shown as KubeObject[] };
  }

  /**
   * The sensitive values themselves, for a party that holds them already and must redact with them too (an
   * agent, which deploys the resolved values they are in). Never for display.
   */
  get sensitiveValues(): readonly string[] {
    return this.#secrets;
  }

  /** Never print the secrets themselves, even by accident. */
  toString(): string {
    return `Redactor(${this.#secrets.length} sensitive values)`;
  }

  toJSON(): string {
    return this.toString();
  }
}

export const noRedaction = new Redactor([]);
