import type { PackView } from '../api/types';

export interface TimelineBar {
  readonly pack: PackView;
  /** ms since the timeline's start; undefined for packs that never left onboarding. */
  readonly start?: number;
  readonly end?: number;
  readonly running: boolean;
}

export interface TimelineModel {
  readonly origin: number;
  readonly span: number;
  readonly bars: readonly TimelineBar[];
  readonly ticks: readonly number[];
}

const STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400];

/** One bar per pack from startTime to endTime (or now, while it runs), on a shared time axis. */
export function timelineModel(packs: readonly PackView[], now: number): TimelineModel {
  const starts = packs.flatMap((p) => (p.startTime ? [Date.parse(p.startTime)] : []));
  const origin = starts.length === 0 ? now : Math.min(...starts);
  const bars = packs.map((pack): TimelineBar => {
    if (!pack.startTime) return { pack, running: false };
    const start = Date.parse(pack.startTime) - origin;
    const endTime = pack.phase === 'processing' ? undefined : pack.endTime;
    const end = (endTime === undefined ? now : Date.parse(endTime)) - origin;
    return { pack, start, end: Math.max(end, start), running: endTime === undefined };
  });
  const span = Math.max(1000, ...bars.map((b) => b.end ?? 0));
  const step = (STEPS_S.find((s) => span / 1000 / s <= 8) ?? 86400) * 1000;
  const ticks: number[] = [];
  for (let t = 0; t <= span; t += step) ticks.push(t);
  return { origin, span, bars, ticks };
}
