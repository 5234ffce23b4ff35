// What an agent tells the hub of a pack besides its status (issue 16): its resources' recent Warning events
// (FailedCreate, Unhealthy, …) and its chart's NOTES, which the page of a cluster the hub drives itself reads
// from the hub's own watches and renderings. They are the latest state, not history: each PackDetails event
// replaces the pack's previous one, and the hub keeps them in memory as a ClusterRunner keeps its watches.
//
// Declared once for both sides. The agent bounds, cleans and redacts what it sends (`packDetails`); the hub
// treats the bytes as hostile all the same (a stolen agent token is a client like any other): the schema
// refuses over-long text, too many items, unknown fields and control characters, a pack's details over
// `bytes`, and the hub keeps at most `clusterBytes` of them per cluster (agents-runner.ts).
import { z } from 'zod';
import { MAX_RECENT_WARNINGS, type RecentWarning } from '../engine/index.js';
import type { Redactor } from '../profile/index.js';
import type { ObjectRef } from '../status/index.js';
import { cutText, KEPT_TEXT_MAX } from '../shared/kept-text.js';
import { CLEANED_CHARACTERS } from '../shared/unsafe-text.js';

export const AGENT_DETAIL_LIMITS = {
  /** Resources of one pack with warnings listed (the page lists warnings per resource). */
  resources: 20,
  /** Warnings per resource: what the hub's own page shows of a resource it watches. */
  events: MAX_RECENT_WARNINGS,
  object: 300,
  reason: 128,
  /** As long as the hub keeps a Warning event's message of a cluster it drives itself (engine/recent-warnings.ts). */
  message: KEPT_TEXT_MAX,
  notes: 8 * 1024,
  /**
   * One pack's details as JSON (counted in UTF-16 code units, as JSON.stringify's length): the notes and one
   * resource's warnings at their longest fit, so a long message does not push every warning out.
   */
  bytes: 64 * 1024,
  /**
   * All of a cluster's details the hub keeps: 16 packs' at their longest (`bytes`), far more packs' as they
   * usually are. At 256 KiB, once a pack's could take 64 KiB, a cluster lost the NOTES and warnings of its 7th
   * pack on (review 17, item 8).
   */
  clusterBytes: 1024 * 1024,
} as const;

/**
 * C0 controls but tab and newline, DEL, C1 controls (ESC and CSI start terminal escape sequences) and the
 * bidirectional overrides that make text read differently from what it is.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/gu;

/**
 * What cleaning removes (shared/unsafe-text.ts): UNSAFE, and also the invisible bidirectional marks and the line
 * and paragraph separators. The wire schema refuses only UNSAFE, so an agent that predates that list is not
 * refused for sending them; the hub cleans every event it receives (agents-runner.ts).
 */
const CLEANED = CLEANED_CHARACTERS;

/** The text without unsafe characters, cut to `max` characters as the hub cuts cluster text (shared/kept-text.ts). */
export function cleanText(text: string, max: number): string {
  return cutText(text.replace(CLEANED, ''), max);
}

/** Whether plain data nests deeper than `max` arrays and objects (stops looking as soon as it does). */
export function deeperThan(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (max === 0) return true;
  const children: unknown[] = Array.isArray(value) ? value : Object.values(value);
  return children.some((child) => deeperThan(child, max - 1));
}

const safeText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((text) => text.replace(UNSAFE, '') === text, {
      message: 'holds control characters or escape sequences',
    });

const WireRefSchema = z.strictObject({
  apiVersion: safeText(253),
  kind: safeText(63),
  namespace: safeText(63).optional(),
  name: safeText(253),
});

const WireWarningSchema = z.strictObject({
  object: safeText(AGENT_DETAIL_LIMITS.object),
  reason: safeText(AGENT_DETAIL_LIMITS.reason),
  message: safeText(AGENT_DETAIL_LIMITS.message),
  count: z.number().int().min(0).max(1e9),
  time: safeText(40).optional(),
});

export const PackDetailsEventSchema = z.strictObject({
  type: z.literal('PackDetails'),
  pack: safeText(253),
  notes: safeText(AGENT_DETAIL_LIMITS.notes)
    .optional()
    .describe("the chart's NOTES.txt as the pack's last rendering printed it"),
  warnings: z
    .array(
      z.strictObject({
        ref: WireRefSchema,
        events: z.array(WireWarningSchema).min(1).max(AGENT_DETAIL_LIMITS.events),
      }),
    )
    .max(AGENT_DETAIL_LIMITS.resources)
    .describe("the recent Warning events of the pack's resources (and what they control), newest first"),
});
export type PackDetailsEvent = z.output<typeof PackDetailsEventSchema>;

/** The size the limits count: the event as JSON. */
export const detailsBytes = (event: PackDetailsEvent): number => JSON.stringify(event).length;

/**
 * The agent's side: a pack's details, redacted with the pack's sensitive values, cleaned and cut to the limits
 * the hub enforces (resources with the most recent warnings first; the notes are cut last).
 */
export function packDetails(
  pack: string,
  found: {
    readonly notes?: string;
    readonly warnings: readonly { ref: ObjectRef; events: RecentWarning[] }[];
  },
  redactor: Redactor,
): PackDetailsEvent {
  const L = AGENT_DETAIL_LIMITS;
  const text = (value: string, max: number) => cleanText(redactor.redact(value), max);
  const warnings = found.warnings
    .filter((w) => w.events.length > 0)
    .map((w) => ({
      ref: {
        apiVersion: cleanText(w.ref.apiVersion, 253),
        kind: cleanText(w.ref.kind, 63),
        ...(w.ref.namespace === undefined ? {} : { namespace: cleanText(w.ref.namespace, 63) }),
        name: cleanText(w.ref.name, 253),
      },
      events: w.events.slice(0, L.events).map((e) => ({
        object: text(e.object, L.object),
        reason: text(e.reason, L.reason),
        message: text(e.message, L.message),
        count: Math.min(Math.max(0, Math.trunc(e.count)), 1e9),
        ...(e.time === undefined ? {} : { time: cleanText(e.time, 40) }),
      })),
    }))
    .sort((a, b) => (b.events[0]?.time ?? '').localeCompare(a.events[0]?.time ?? ''))
    .slice(0, L.resources);
  // Cut from the whole text each time, so the marker counts what the chart printed, not what a first cut kept.
  const notes = found.notes === undefined ? undefined : redactor.redact(found.notes).replace(CLEANED, '');
  const event: PackDetailsEvent = {
    type: 'PackDetails',
    pack,
    ...(notes === undefined ? {} : { notes: cutText(notes, L.notes) }),
    warnings,
  };
  while (detailsBytes(event) > L.bytes && event.warnings.length > 0) event.warnings.pop();
  if (detailsBytes(event) > L.bytes && notes !== undefined && event.notes !== undefined) {
    // Each character cut saves at least one byte of JSON, and the marker is written as it is.
    event.notes = cutText(notes, Math.max(0, event.notes.length - (detailsBytes(event) - L.bytes)));
  }
  return event;
}
