import type { PackTransition, PackView } from '../api/types';
import type { PackPhase } from '../api/display';

/** A stretch of time a pack spent in one phase, in ms since the timeline's origin. */
export interface TimelineSegment {
  readonly phase: PackPhase;
  readonly start: number;
  readonly end: number;
  /** Still going (the pack is in this phase now). */
  readonly open: boolean;
}

export interface TimelineBar {
  readonly pack: PackView;
  /** ms since the timeline's start; undefined for packs that never left onboarding. */
  readonly start?: number;
  readonly end?: number;
  readonly running: boolean;
  /**
   * From the pack's transitions: its gray, blue and red stretches after it first started, and each time it
   * reached green as a zero-length segment (a mark: green time is not time spent installing). Without
   * transitions, one segment from start to end in the pack's phase.
   */
  readonly segments: readonly TimelineSegment[];
}

export interface TimelineModel {
  readonly origin: number;
  readonly span: number;
  readonly bars: readonly TimelineBar[];
  readonly ticks: readonly number[];
}

const STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400];

/**
 * One bar per pack on a shared time axis, split by phase where its transitions are known (`history`, by pack
 * name, oldest first), else from startTime to endTime (or now, while it runs).
 */
export function timelineModel(
  packs: readonly PackView[],
  now: number,
  history: ReadonlyMap<string, readonly PackTransition[]> = new Map(),
): TimelineModel {
  const starts = packs.flatMap((p) => [
    ...(p.startTime ? [Date.parse(p.startTime)] : []),
    ...(history.get(p.name) ?? []).slice(0, 1).map((t) => Date.parse(t.time)),
  ]);
  const origin = starts.length === 0 ? now : Math.min(...starts);
  const bars = packs.map((pack): TimelineBar => {
    const transitions = history.get(pack.name) ?? [];
    const segments = transitions.length > 0 ? fromTransitions(pack, transitions, origin, now) : [];
    if (!pack.startTime) {
      return segments.length === 0 ? { pack, running: false, segments } : barOf(pack, segments);
    }
    const start = Date.parse(pack.startTime) - origin;
    const endTime = pack.phase === 'processing' ? undefined : pack.endTime;
    const end = Math.max((endTime === undefined ? now : Date.parse(endTime)) - origin, start);
    const running = endTime === undefined;
    return {
      pack,
      start,
      end,
      running,
      segments: segments.length > 0 ? segments : [{ phase: pack.phase, start, end, open: running }],
    };
  });
  const span = Math.max(1000, ...bars.flatMap((b) => [b.end ?? 0, ...b.segments.map((s) => s.end)]));
  const step = (STEPS_S.find((s) => span / 1000 / s <= 8) ?? 86400) * 1000;
  const ticks: number[] = [];
  for (let t = 0; t <= span; t += step) ticks.push(t);
  return { origin, span, bars, ticks };
}

function barOf(pack: PackView, segments: readonly TimelineSegment[]): TimelineBar {
  const first = segments[0];
  const last = segments.at(-1);
  return {
    pack,
    ...(first ? { start: first.start } : {}),
    ...(last ? { end: last.end } : {}),
    running: last?.open === true,
    segments,
  };
}

function fromTransitions(
  pack: PackView,
  transitions: readonly PackTransition[],
  origin: number,
  now: number,
): TimelineSegment[] {
  const segments: TimelineSegment[] = [];
  transitions.forEach((t, i) => {
    const start = Date.parse(t.time) - origin;
    const next = transitions[i + 1];
    const last = next === undefined;
    const phase = t.to;
    if (phase === 'success') {
      segments.push({ phase, start, end: start, open: false });
      return;
    }
    const end = last ? now - origin : Date.parse(next.time) - origin;
    // Open while the pack is still in it (the history is fetched again at each phase change).
    segments.push({ phase, start, end: Math.max(end, start), open: last && pack.phase === phase });
  });
  return segments;
}
