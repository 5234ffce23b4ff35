// One line per event for `strata events`: time, kind, pack, and what happened in words.
import { z } from 'zod';
import { PackConditionType, packPhaseDisplay, PackPhase } from '../../status/pack-phase.js';
import { formatPackReason } from '../../status/pack-reason.js';
import type { HubEvent } from '../types.js';
import type { Painter } from './color.js';
import { terminalSafe } from './terminal-text.js';

const phase = z.enum(Object.values(PackPhase) as [PackPhase, ...PackPhase[]]);
const condition = z.enum(Object.values(PackConditionType) as [PackConditionType, ...PackConditionType[]]);
/** A `pack.status` event carries the pack's view (the page's own). */
const StatusData = z.object({
  phase,
  condition: condition.optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  progress: z.object({ ready: z.number(), total: z.number() }).optional(),
});
const TransitionData = z.object({
  transition: z.object({
    from: phase,
    to: phase,
    condition: condition.optional(),
    reason: z.string().optional(),
    message: z.string().optional(),
  }),
});
const ConnectionData = z.object({ reachable: z.boolean(), error: z.string().optional() });
const DriftData = z.object({ message: z.string(), correcting: z.boolean().optional() });

function badge(p: PackPhase, paint: Painter): string {
  const d = packPhaseDisplay[p];
  return paint.phase(d.color, `${d.icon} ${d.label}`);
}

/** The shared reason formatter when the event has its condition; older events: reason and message. */
function why(s: {
  phase: PackPhase;
  condition?: PackConditionType | undefined;
  reason?: string | undefined;
  message?: string | undefined;
}): string {
  if (s.condition !== undefined) {
    return formatPackReason({
      phase: s.phase,
      condition: s.condition,
      reason: s.reason ?? '',
      message: s.message ?? '',
    });
  }
  return [s.reason, s.message].filter((p) => p !== undefined && p !== '').join(': ');
}

/** What an event says, in words; unknown kinds print their kind only. */
export function describeEvent(event: HubEvent, paint: Painter): string {
  switch (event.kind) {
    case 'pack.status': {
      const d = StatusData.safeParse(event.data);
      if (!d.success) return '';
      const s = d.data;
      const progress = s.progress === undefined ? '' : ` ${s.progress.ready}/${s.progress.total}`;
      const text = why(s);
      return `${badge(s.phase, paint)}${progress}${text === '' ? '' : `  ${text}`}`;
    }
    case 'pack.transition': {
      const d = TransitionData.safeParse(event.data);
      if (!d.success) return '';
      const t = d.data.transition;
      const text = why({ ...t, phase: t.to });
      return `${badge(t.from, paint)} → ${badge(t.to, paint)}${text === '' ? '' : `  ${text}`}`;
    }
    case 'cluster.connection': {
      const d = ConnectionData.safeParse(event.data);
      if (!d.success) return '';
      return d.data.reachable
        ? 'reachable'
        : paint.paint('red', `unreachable${d.data.error === undefined ? '' : `: ${d.data.error}`}`);
    }
    case 'pack.drift': {
      const d = DriftData.safeParse(event.data);
      if (!d.success) return '';
      return `${d.data.message}${d.data.correcting === true ? ' (correcting)' : ''}`;
    }
    case 'history.pruned':
      // The stream resumed from an id older than the hub keeps: the lines between are incomplete.
      return paint.paint(
        'yellow',
        `the hub's retention deleted some events after ${String(event.data.lastEventId)}: ` +
          `what is listed up to ${String(event.id)} is incomplete`,
      );
    // What the list of events shows for these is the kind itself (and the pack, when there is one).
    case 'pack.removed':
    case 'cluster.registered':
    case 'cluster.updated':
    case 'cluster.removed':
    case 'cluster.summary':
    case 'attachment.changed':
    case 'attachment.removed':
    case 'profile.published':
      return '';
    default:
      return ''; // A kind added to the hub after this CLI was built.
  }
}

export function eventLine(raw: HubEvent, paint: Painter): string {
  // What happened on the cluster, in its own words: shown, never obeyed, by the terminal.
  const event = terminalSafe(raw);
  const text = describeEvent(event, paint);
  const cells = [event.time, event.kind.padEnd(17), event.pack ?? '-', text];
  return `${cells.join('  ').trimEnd()}\n`;
}
