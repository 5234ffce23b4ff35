// Sensitive variable values must never reach a message, log line or API response meant for people. Anything
// that displays data derived from a resolved profile passes it through a Redactor first.
//
// A chart rarely shows a value as given: a template encodes it (`b64enc` for a Secret's data, `toJson` for a
// JSON config, `urlquery` for a connection string) and NOTES, helm's errors, Kubernetes events and rendered
// manifests carry that form. So each secret is hidden in the forms a chart writes it in too (encodedForms),
// computed once per secret when the Redactor is made: redacting costs the same per form as the plain text.
import { SENSITIVE_PLACEHOLDER } from './describe.js';
import { mapStrings } from './macros.js';
import type { KubeObject, Pack } from './model.js';
import { PackType } from './schema.js';

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

export class Redactor {
  readonly #secrets: readonly string[];
  /** Every form of every secret (encodedForms), longest first. */
  readonly #forms: readonly string[];

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

  /** `text` with every sensitive value replaced by `******`. */
  redact(text: string): string {
    let out = text;
    for (const form of this.#forms) out = out.split(form).join(SENSITIVE_PLACEHOLDER);
    return out;
  }

  /** A copy of plain data (values, manifests, events) with every string leaf redacted. */
  redactDeep<T>(value: T): T {
    return mapStrings(value, (text) => this.redact(text)) as T;
  }

  /**
   * The pack as a viewer may see it. Its values or manifests are the ones resolved with `******` in place of
   * each sensitive variable's macro, when the resolution that made this Redactor kept them: searching the
   * resolved text for a secret would also mask where the same text is not the secret (a password `postgres`
   * turned `postgres.db.svc` into `******.db.svc` beside a `dbUser: app-postgres` shown in clear: review 14,
   * item 7). Every other field of a pack is written without macros, so it holds no secret. Without them (an
   * agent's Redactor, tests) the text is searched (redactDeep).
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
