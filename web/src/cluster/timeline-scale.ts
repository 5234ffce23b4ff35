import type { PackRun, PackTransition, PackView } from '../api/types';
import type { PackPhase } from '../api/display';

/** A stretch of time a pack spent in one phase, in ms since the timeline's origin. */
export interface TimelineSegment {
  readonly phase: PackPhase;
  readonly start: number;
  /** Where it is drawn to: at most the axis' end (see `clipped`). */
  readonly end: number;
  /** Still going (the pack is in this phase now). */
  readonly open: boolean;
  /** It lasts beyond the axis' end: drawn to the edge, its length given in words. */
  readonly clipped?: boolean;
}

/** Where a later run (upgrade, retry) began on the pack's bar. */
export interface RunMark {
  readonly kind: PackRun['kind'];
  readonly at: number;
}

export interface TimelineBar {
  readonly pack: PackView;
  /** ms since the timeline's start; undefined for packs that never left onboarding. */
  readonly start?: number;
  readonly end?: number;
  readonly running: boolean;
  /**
   * Gray while it waited for its turn (from its profile's attachment to its first start, when known), then from
   * its transitions: its gray, blue and red stretches, and each time it reached green as a zero-length segment
   * (a mark: green time is not time spent installing). Without transitions, one segment from start to end in
   * the pack's phase.
   */
  readonly segments: readonly TimelineSegment[];
  /** The starts of its runs after the first (each upgrade and retry), for marks on the bar. */
  readonly runs: readonly RunMark[];
  /** How long it has been red, while it is red now. */
  readonly redFor?: number;
}

export interface TimelineModel {
  readonly origin: number;
  readonly span: number;
  readonly bars: readonly TimelineBar[];
  readonly ticks: readonly number[];
}

const STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400];

/** Room after the install's end for red and gray stretches that go on until now: drawn to the edge. */
const OPEN_ROOM = 0.15;

/** When a pack started working for the first time: its first run, else its first transition. */
function firstStart(
  pack: PackView,
  transitions: readonly PackTransition[],
  runs: readonly PackRun[],
): number | undefined {
  const first = runs[0]?.startTime ?? transitions[0]?.time ?? pack.startTime;
  return first === undefined ? undefined : Date.parse(first);
}

/**
 * One bar per pack on a shared time axis, split by phase where its transitions are known (`history`, by pack
 * name, oldest first), else from startTime to endTime (or now, while it runs). The axis spans the install: from
 * the first start to the last moment a pack was working (now, while one is blue). A pack that stays red or
 * gray does not stretch it: a 32-second install that failed 5 minutes ago is not squeezed into 40 pixels, its
 * red bar runs to the edge and says how long it has been red. `waitingSince` (by profile, ms) is when each
 * profile's packs began to wait: the gray before a pack's first start. `runs` (by pack name, oldest first, from
 * the same route as `history`: the page carries only each pack's current run) marks each later run's start.
 */
export function timelineModel(
  packs: readonly PackView[],
  now: number,
  history: ReadonlyMap<string, readonly PackTransition[]> = new Map(),
  waitingSince: ReadonlyMap<string, number> = new Map(),
  runsOf: ReadonlyMap<string, readonly PackRun[]> = new Map(),
): TimelineModel {
  const firsts = new Map(
    packs.map((p) => [p.name, firstStart(p, history.get(p.name) ?? [], runsOf.get(p.name) ?? [])]),
  );
  const starts = [...firsts.values()].filter((t) => t !== undefined);
  const waits = packs.flatMap((p) => {
    const since = waitingSince.get(p.profile);
    return since === undefined ? [] : [since];
  });
  const earliestStart = starts.length === 0 ? now : Math.min(...starts);
  // A profile attached long before anything ran does not stretch the axis back to its attachment.
  const origin = Math.min(earliestStart, ...waits.filter((w) => w >= earliestStart - 60 * 60_000));

  const raw = packs.map((pack) => {
    const transitions = history.get(pack.name) ?? [];
    const first = firsts.get(pack.name);
    const since = waitingSince.get(pack.profile);
    const waited: TimelineSegment[] = [];
    if (since !== undefined && since >= origin && (first === undefined || since < first)) {
      // Gray from the attachment until its first start; still waiting: open until now.
      const end = first ?? now;
      waited.push({
        phase: 'onboarding',
        start: since - origin,
        end: end - origin,
        open: first === undefined,
      });
    }
    let segments: TimelineSegment[] =
      transitions.length > 0 ? fromTransitions(pack, transitions, origin, now) : [];
    if (segments.length === 0 && pack.startTime !== undefined) {
      const start = Date.parse(pack.startTime) - origin;
      const endTime = pack.phase === 'processing' ? undefined : pack.endTime;
      const end = Math.max((endTime === undefined ? now : Date.parse(endTime)) - origin, start);
      segments = [{ phase: pack.phase, start, end, open: endTime === undefined }];
    }
    return { pack, segments: [...waited, ...segments] };
  });

  // The install's extent: closed stretches, and open ones only while the pack works (blue).
  const installEnd = Math.max(
    1000,
    ...raw.flatMap(({ segments }) =>
      segments.map((s) => (s.open && s.phase !== 'processing' ? s.start : s.end)),
    ),
  );
  const overflow = raw.some(({ segments }) => segments.some((s) => s.end > installEnd));
  const span = overflow ? installEnd * (1 + OPEN_ROOM) : installEnd;

  const bars = raw.map(({ pack, segments: all }): TimelineBar => {
    const segments = all.map((s) => (s.end > span ? { ...s, end: span, clipped: true } : s));
    const first = firsts.get(pack.name);
    const last = segments.at(-1);
    const runs = (runsOf.get(pack.name) ?? [])
      .slice(1)
      .map((r) => ({ kind: r.kind, at: Date.parse(r.startTime) - origin }));
    const redSince =
      pack.phase === 'failed'
        ? ((history.get(pack.name) ?? []).findLast((t) => t.to === 'failed')?.time ?? pack.endTime)
        : undefined;
    return {
      pack,
      ...(first !== undefined
        ? { start: first - origin, end: Math.max(last?.end ?? 0, first - origin) }
        : {}),
      running: pack.phase === 'processing',
      segments,
      runs,
      ...(redSince !== undefined ? { redFor: Math.max(0, now - Date.parse(redSince)) } : {}),
    };
  });
  const step = (STEPS_S.find((s) => span / 1000 / s <= 8) ?? 86400) * 1000;
  const ticks: number[] = [];
  for (let t = 0; t <= span; t += step) ticks.push(t);
  return { origin, span, bars, ticks };
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
