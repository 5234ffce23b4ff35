import { describe, expect, it } from 'vitest';
import { Deadlines, type Deadline } from './deadlines.js';

/** Deadlines whose expiries are recorded, with a promise for the nth. */
function recorded() {
  const passed: { key: string; deadline: Deadline }[] = [];
  const waiting: { n: number; resolve: () => void }[] = [];
  const deadlines = new Deadlines<string>((key, deadline) => {
    passed.push({ key, deadline });
    for (const w of waiting) if (passed.length >= w.n) w.resolve();
  });
  const until = (n: number) =>
    passed.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ n, resolve }));
  return { deadlines, passed, until };
}

describe('Deadlines: one timer for every pack’s revision deadline', () => {
  it('calls back each deadline as it passes, soonest first, with the clock it was set by', async () => {
    const { deadlines, passed, until } = recorded();
    const now = Date.UTC(2026, 0, 1);
    deadlines.set('slow', 60, now);
    deadlines.set('fast', 5, now);
    deadlines.set('middle', 30, now + 1);
    await until(3);
    expect(passed.map((p) => p.key)).toEqual(['fast', 'middle', 'slow']);
    expect(passed.map((p) => [p.deadline.deadline - now, p.deadline.ms])).toEqual([
      [5, 5],
      [31, 30],
      [60, 60],
    ]);
  });

  it('calls back nothing that was cleared or set again later, and keeps watching what is left', async () => {
    const { deadlines, passed, until } = recorded();
    deadlines.set('green', 5, 0);
    deadlines.set('again', 5, 0);
    deadlines.set('late', 40, 0);
    deadlines.clear('green');
    // A new revision: its deadline runs from now, replacing the first.
    deadlines.set('again', 20, 0);
    await until(2);
    expect(passed.map((p) => [p.key, p.deadline.ms])).toEqual([
      ['again', 20],
      ['late', 40],
    ]);
  });

  it('calls back nothing once stopped', async () => {
    const { deadlines, passed } = recorded();
    deadlines.set('a', 1, 0);
    deadlines.stop();
    // A deadline set after it, and passing after the first would have, is the only one called back.
    const later = recorded();
    later.deadlines.set('b', 10, 0);
    await later.until(1);
    expect(passed).toEqual([]);
  });
});
