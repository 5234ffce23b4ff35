// Text a cluster or a chart wrote (a container's termination message, a condition, a Kubernetes event, a helm
// error, NOTES) is shown by the page and printed by the CLI. What the hub keeps of it holds no terminal control
// and no character that makes it read differently from what it is: cleaned where it enters a pack's status
// (status/pack-status.ts), a resource's recent warnings and a chart's notes (engine), and an agent's events
// (hub/agents-details.ts). The CLI shows whatever it is served as text all the same (cli/render/terminal-text.ts).

import { mapStringsDeep } from './map-strings-deep.js';

/**
 * C0 controls but tab and newline, DEL, C1 controls (ESC and CSI start terminal escape sequences), the
 * bidirectional embeddings, overrides and isolates that make text read differently from what it is, the
 * invisible bidirectional marks (U+200E LRM, U+200F RLM, U+061C ALM) and the line and paragraph separators
 * (U+2028, U+2029: a line break in some terminals and editors, and not in others).
 */
export const CLEANED_CHARACTERS =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\u061C\u200E\u200F\u2028\u2029]/gu;
const FOUND = new RegExp(CLEANED_CHARACTERS.source, 'u');

/** The text without those characters (the same string when it has none). */
export const cleanText = (text: string): string =>
  FOUND.test(text) ? text.replace(CLEANED_CHARACTERS, '') : text;

/**
 * Every string of plain data (keys too) cleaned; the SAME reference when nothing needed cleaning, so a reducer
 * fed cleaned events still returns its state unchanged when nothing changed (style.md rule 5), and the common
 * case (clean text) allocates nothing.
 */
export function cleanDeep<T>(value: T): T {
  return mapStringsDeep(value, cleanText);
}
