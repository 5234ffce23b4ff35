import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { QuietCollection } from '../shared/quiet-collection.js';
import { IdleCollection, type Collector } from './idle-collection.js';

describe('IdleCollection', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function collector() {
    const quiet = { request: vi.fn<() => void>(), enabled: true };
    return quiet satisfies Collector;
  }

  it('asks for one collection, after a burst of events is followed by quiet', () => {
    const quiet = collector();
    const idle = new IdleCollection({ collector: quiet, quietMs: 2000, minEvents: 3 });
    for (let i = 0; i < 5; i++) {
      idle.note();
      vi.advanceTimersByTime(1500);
    }
    // Events kept coming within the quiet time: still in the burst.
    expect(quiet.request).not.toHaveBeenCalled();
    vi.advanceTimersByTime(500);
    expect(quiet.request).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(60_000);
    expect(quiet.request).toHaveBeenCalledTimes(1);
  });

  it('does not ask after a few events (an idle hub sees some) nor where no collection is exposed', () => {
    const quiet = collector();
    const idle = new IdleCollection({ collector: quiet, quietMs: 2000, minEvents: 3 });
    idle.note();
    idle.note();
    vi.advanceTimersByTime(5000);
    idle.note();
    vi.advanceTimersByTime(5000);
    expect(quiet.request).not.toHaveBeenCalled();
    const none = new IdleCollection({
      collector: new QuietCollection({ collect: undefined }),
      quietMs: 2000,
      minEvents: 0,
    });
    none.note();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('collects when the event loop is quiet, not while page reads follow the install', () => {
    // The loop as the collector sees it, one look per second: busy (20 page readers right after the install's
    // last event) for 3 s, then quiet. Collected 2 s after the burst, the pause fell into those reads.
    const looks = [0.2, 0.9, 0.95, 0.9, 0.01];
    const collect = vi.fn();
    const quiet = new QuietCollection({ collect, busy: () => looks.shift() ?? 0, checkEveryMs: 1000 });
    const idle = new IdleCollection({ collector: quiet, quietMs: 2000, minEvents: 3 });
    for (let i = 0; i < 10; i++) idle.note();
    vi.advanceTimersByTime(2000 + 3000);
    expect(collect).not.toHaveBeenCalled();
    expect(quiet.pending).toBe(true);
    vi.advanceTimersByTime(1000);
    expect(collect).toHaveBeenCalledTimes(1);
    // Another burst while none waits: collected again, once the loop is quiet.
    for (let i = 0; i < 10; i++) idle.note();
    vi.advanceTimersByTime(2000 + 1000);
    expect(collect).toHaveBeenCalledTimes(2);
  });
});
