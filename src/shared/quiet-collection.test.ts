import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loopBusy, QuietCollection } from './quiet-collection.js';

describe('QuietCollection', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A collection whose loop reports the given utilizations, one per look (the first: before the request). */
  function collection(busy: number[], options: { maxWaitMs?: number } = {}) {
    const collect = vi.fn();
    const looks = [...busy];
    const quiet = new QuietCollection({
      collect,
      busy: () => looks.shift() ?? 0,
      checkEveryMs: 1000,
      quietBelow: 0.05,
      ...options,
    });
    return { collect, quiet };
  }

  it('waits while the loop serves requests and collects in the first quiet second', () => {
    // Before the request: busy (not what decides); then 3 busy seconds (20 page readers), then a quiet one.
    const { collect, quiet } = collection([0.9, 0.95, 0.8, 0.6, 0.01]);
    quiet.request();
    vi.advanceTimersByTime(3000);
    expect(collect).not.toHaveBeenCalled();
    expect(quiet.pending).toBe(true);
    vi.advanceTimersByTime(1000);
    expect(collect).toHaveBeenCalledTimes(1);
    expect(quiet.pending).toBe(false);
  });

  it('collects after the longest wait on a loop that is never quiet', () => {
    const { collect, quiet } = collection(Array<number>(100).fill(1), { maxWaitMs: 5000 });
    quiet.request();
    vi.advanceTimersByTime(4000);
    expect(collect).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1000);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('runs one collection for requests made while one waits', () => {
    const { collect, quiet } = collection([0, 0.5, 0, 0]);
    quiet.request();
    quiet.request();
    vi.advanceTimersByTime(1000);
    quiet.request();
    vi.advanceTimersByTime(10_000);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('schedules nothing where the collection is not exposed', () => {
    const quiet = new QuietCollection({ collect: undefined, busy: () => 0 });
    expect(quiet.enabled).toBe(false);
    quiet.request();
    expect(quiet.pending).toBe(false);
  });
});

describe('loopBusy', () => {
  it('measures the share of time the loop was busy since the last look', () => {
    const busy = loopBusy();
    busy();
    const until = performance.now() + 30;
    while (performance.now() < until) {
      // The loop is busy: nothing else runs until this ends.
    }
    expect(busy()).toBeGreaterThan(0.9);
  });
});
