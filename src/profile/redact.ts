// Sensitive variable values must never reach a message, log line or API response meant for people. Anything
// that displays data derived from a resolved profile passes it through a Redactor first.
import { SENSITIVE_PLACEHOLDER } from './describe.js';
import { mapStrings } from './macros.js';

export class Redactor {
  readonly #secrets: readonly string[];

  constructor(secrets: Iterable<string>) {
    // Longest first, so a secret containing another is replaced whole. Empty strings would match everywhere.
    this.#secrets = [...new Set(secrets)].filter((s) => s !== '').sort((a, b) => b.length - a.length);
  }

  /** `text` with every sensitive value replaced by `******`. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join(SENSITIVE_PLACEHOLDER);
    return out;
  }

  /** A copy of plain data (values, manifests, events) with every string leaf redacted. */
  redactDeep<T>(value: T): T {
    return mapStrings(value, (text) => this.redact(text)) as T;
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
