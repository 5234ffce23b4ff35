import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { abortableSleep, backoffDelay, defaultBackoff } from './backoff.js';

describe('backoffDelay', () => {
  it('doubles from 200 ms up to 30 s with random() = 1 - ε (the ceiling)', () => {
    const top = () => 0.999999;
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((a) => backoffDelay(a, defaultBackoff, top));
    expect(delays).toEqual([199, 399, 799, 1599, 3199, 6399, 12799, 25599, 29999, 29999]);
  });

  it('is full jitter: random() scales the whole window', () => {
    expect(backoffDelay(3, { initialMs: 100, maxMs: 10_000 }, () => 0)).toBe(0);
    expect(backoffDelay(3, { initialMs: 100, maxMs: 10_000 }, () => 0.5)).toBe(200);
    expect(backoffDelay(30, { initialMs: 100, maxMs: 10_000 }, () => 0.5)).toBe(5000);
  });

  it('stays within [0, min(max, initial·2^(attempt-1))) for any attempt and random', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 100_000 }),
        (attempt, r, initialMs, maxMs) => {
          const d = backoffDelay(attempt, { initialMs, maxMs }, () => r);
          const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 52));
          return Number.isInteger(d) && d >= 0 && d < ceiling + 1 && d <= maxMs;
        },
      ),
    );
  });
});

describe('abortableSleep', () => {
  it('resolves early when aborted', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const sleeping = abortableSleep(60_000, controller.signal);
    controller.abort();
    await sleeping;
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
