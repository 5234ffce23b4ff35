// `-o json` and `-o yaml`: the API objects exactly as the hub answered them. Both escape C0 controls (ESC, BEL)
// themselves, but print DEL, C1 controls (U+009B is CSI to some terminals) and bidi overrides raw: those are
// written as \u escapes here, which parse back to the same value, so the output stays the hub's object and a
// terminal only sees printable text. An object without such characters prints byte for byte as before.
import { Document, visit } from 'yaml';
import { unsafeBeyondC0 } from './terminal-text.js';

export const OutputFormat = { Table: 'table', Json: 'json', Yaml: 'yaml' } as const;
export type OutputFormat = (typeof OutputFormat)[keyof typeof OutputFormat];

const RAW_ALL = unsafeBeyondC0();
const RAW = new RegExp(RAW_ALL.source, 'u');
const hex = (code: number, width: number) => code.toString(16).padStart(width, '0');
/** JSON's escape: one \u per UTF-16 unit (a tag character, beyond U+FFFF, is a surrogate pair). */
const unicodeEscape = (char: string): string =>
  Array.from({ length: char.length }, (_, i) => `\\u${hex(char.charCodeAt(i), 4)}`).join('');
/** YAML's: \u for the basic plane, \U with 8 digits beyond it. */
const yamlEscape = (char: string): string => {
  const code = char.codePointAt(0) ?? 0;
  return code <= 0xffff ? `\\u${hex(code, 4)}` : `\\U${hex(code, 8)}`;
};

export function formatObject(value: unknown, format: 'json' | 'yaml'): string {
  if (format === 'json') return `${JSON.stringify(value, null, 2).replace(RAW_ALL, unicodeEscape)}\n`;
  const doc = new Document(value);
  // Only a double-quoted YAML scalar reads \u escapes: strings holding such characters are written that way.
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && RAW.test(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString().replace(RAW_ALL, yamlEscape);
}

/** One JSON line (`--watch -o json`, `events -o json`), escaped as formatObject's. */
export const jsonLine = (value: unknown): string =>
  `${JSON.stringify(value).replace(RAW_ALL, unicodeEscape)}\n`;
