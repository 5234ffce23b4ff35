// How long a text from a cluster the hub keeps: a container's termination message, a condition, a Kubernetes
// event, a helm error, a chart's NOTES. The hub stores and shows what its own runners read from the clusters it
// drives (a pack's status, its history) and what an agent sends of the cluster it runs next to: both are cut
// here, by the same rule and with the same marker, so a pack's status is bounded whoever drove its cluster.
import { mapStringsDeep } from './map-strings-deep.js';
import { cleanText } from './unsafe-text.js';

/**
 * The longest text the hub keeps, in characters (UTF-16 units, so at most 3 times as many bytes of UTF-8): a
 * status's message and reason, a resource's, a stage's error, a transition's, a drift or connection message. A
 * status carries a condition, a termination message of at most 4 KiB, a helm error, so most text is far
 * shorter; a longer one is kept cut, ending in a marker that says how much went
 * (`…[912384 more characters cut by the hub]`), not stored whole up to the 1 MiB an agent's event may be, nor
 * whatever a cluster's object holds (an annotation-sized condition message, a webhook's refusal, a chart's
 * failure output).
 */
export const KEPT_TEXT_MAX = 8 * 1024;

/** What ends a text cutText cut: how many characters went. */
const cutMarker = (count: number): string => `…[${String(count)} more characters cut by the hub]`;

/**
 * Each marker cutText leaves, wherever it is in a text (a cut message may be quoted in a longer one). Redactor.redact
 * masks what begins a secret just before one: text is cut before it is redacted, and a secret the cut goes through
 * is no longer found whole (review 17, item 5).
 */
export const CUT_MARKER = /…\[\d+ more characters cut by the hub\]/g;

/**
 * `text` cut to `max` characters, the marker included (the same string when it fits): the one cut of cluster
 * text, whatever its limit (a status's text here, a connection error in kube/shown-url.ts, a drift report and a
 * transition in hub/, an agent's Warning events in hub/agents-details.ts), so a cut text says the same thing
 * wherever it is read. A `max` too small for the marker (none of them) cuts to `max - 1` characters and `…`.
 */
export function cutText(text: string, max: number = KEPT_TEXT_MAX): string {
  if (text.length <= max) return text;
  const marker = (kept: number) => cutMarker(text.length - kept);
  // The count in the marker has as many digits as what it counts: settled in two rounds at most.
  let kept = max - marker(max).length;
  kept = max - marker(kept).length;
  if (kept < 1) return `${text.slice(0, Math.max(0, max - 1))}…`;
  // A lone high surrogate at the cut would be half a character.
  const code = text.charCodeAt(kept - 1);
  if (code >= 0xd800 && code <= 0xdbff) kept -= 1;
  return `${text.slice(0, kept)}${marker(kept)}`;
}

/**
 * Text as the hub keeps it: cleaned (shared/unsafe-text.ts), then cut to KEPT_TEXT_MAX, so the marker counts
 * characters kept out, not escapes. The same string when it is clean and fits.
 */
export const keptText = (text: string): string => cutText(cleanText(text));

/**
 * Every string of plain data (keys too) as `keptText` keeps it, in one walk; the SAME reference when every one
 * is clean and fits, so a reducer fed kept events still returns its state unchanged when nothing changed
 * (style.md rule 5), and the common case allocates nothing.
 */
export function keptDeep<T>(value: T): T {
  return mapStringsDeep(value, keptText);
}
