import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IdleCollection } from './idle-collection.js';

describe('IdleCollection', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('collects once, after a burst of events is followed by quiet', () => {
    const collect = vi.fn();
    const idle = new IdleCollection({ collect, quietMs: 2000, minEvents: 3 });
    for (let i = 0; i < 5; i++) {
      idle.note();
      vi.advanceTimersByTime(1500);
    }
    // Events kept coming within the quiet time: still in the burst.
    expect(collect).not.toHaveBeenCalled();
    vi.advanceTimersByTime(500);
    expect(collect).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(60_000);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('does not collect after a few events (an idle hub sees some) nor with no collector exposed', () => {
    const collect = vi.fn();
    const idle = new IdleCollection({ collect, quietMs: 2000, minEvents: 3 });
    idle.note();
    idle.note();
    vi.advanceTimersByTime(5000);
    idle.note();
    vi.advanceTimersByTime(5000);
    expect(collect).not.toHaveBeenCalled();
    const none = new IdleCollection({ collect: undefined, quietMs: 2000, minEvents: 0 });
    none.note();
    expect(vi.getTimerCount()).toBe(0);
  });
});
