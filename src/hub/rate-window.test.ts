import { describe, expect, it } from 'vitest';
import { RateWindow } from './rate-window.js';

describe('RateWindow', () => {
  it('allows max per window per key, counts what it drops and says it once in the next window', () => {
    const clock = { t: 0 };
    const w = new RateWindow(2, 1000, () => clock.t);
    expect([1, 2, 3, 4].map(() => w.take('a').allowed)).toEqual([true, true, false, false]);
    expect(w.take('b')).toEqual({ allowed: true, droppedBefore: 0 });
    clock.t = 999;
    expect(w.take('a').allowed).toBe(false);
    clock.t = 1000;
    expect(w.take('a')).toEqual({ allowed: true, droppedBefore: 3 });
    expect(w.take('a')).toEqual({ allowed: true, droppedBefore: 0 });
    w.forget('a');
    expect(w.take('a')).toEqual({ allowed: true, droppedBefore: 0 });
  });
});
