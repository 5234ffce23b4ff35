// A retry of a red pack whose objects did not change is red again within milliseconds (the pod still cannot
// pull its image): the list and the runs table must not read "0ms", as if the clock never ran.
import { act, cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PackView } from '../api/types';
import { pack } from '../live/fixtures';
import { packElapsed } from './grouping';
import { Elapsed } from './PackRow';
import { RunsTable } from './RunsTable';

const NOW = Date.parse('2026-01-01T00:10:00.000Z');

beforeEach(() => {
  vi.useFakeTimers({ now: NOW });
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

const INSTALL = {
  kind: 'install',
  revision: 'aaaaaaaa1',
  startTime: '2026-01-01T00:00:00.000Z',
  endTime: '2026-01-01T00:05:00.000Z',
  outcome: 'failed',
} as const;
const RETRY = {
  kind: 'retry',
  revision: 'aaaaaaaa1',
  startTime: '2026-01-01T00:08:00.000Z',
  endTime: '2026-01-01T00:08:00.003Z',
  outcome: 'failed',
} as const;

/** broken-web: installed at 00:00, red at its 5-minute timeout, retried at 00:08:00, red again 3 ms later. */
function retriedRed(over: Partial<PackView> = {}): PackView {
  return pack('broken-web', {
    phase: 'failed',
    color: 'red',
    icon: '✗',
    label: 'Failed',
    startTime: '2026-01-01T00:08:00.000Z',
    endTime: '2026-01-01T00:08:00.003Z',
    lastRun: RETRY,
    runCount: 2,
    ...over,
  });
}

describe('the duration of a run that ended red', () => {
  it('gives a red pack how long it has been red since its current run turned red', () => {
    expect(packElapsed(retriedRed(), NOW)).toEqual({ ms: 3, running: false, redFor: 119_997 });
    // Green then red later (a pod crashed after the install): the run ended green, its end is not when it
    // turned red, so no "red for" is made up from it.
    const greenThenRed = retriedRed({
      lastRun: {
        kind: 'install',
        revision: 'a',
        startTime: '2026-01-01T00:08:00.000Z',
        endTime: '2026-01-01T00:08:00.003Z',
        outcome: 'success',
      },
      runCount: 1,
    });
    expect(packElapsed(greenThenRed, NOW)?.redFor).toBeUndefined();
  });

  it('shows "red for …" in the list for a retry red again at once, never "0ms", and ticks', () => {
    render(<Elapsed pack={retriedRed()} />);
    const elapsed = screen.getByText(/red for/);
    expect(elapsed.textContent).toBe('red for 1m59s');
    expect(elapsed.getAttribute('title')).toBe(
      `the retry turned red at once, at ${new Date('2026-01-01T00:08:00.003Z').toLocaleTimeString(undefined, { hour12: false })}`,
    );
    act(() => {
      vi.advanceTimersByTime(2_000);
    });
    expect(screen.getByText(/red for/).textContent).toBe('red for 2m1s');
  });

  it('names how long a run took before it turned red when it took a while', () => {
    const timedOut = retriedRed({
      startTime: '2026-01-01T00:00:00.000Z',
      endTime: '2026-01-01T00:05:00.000Z',
    });
    render(<Elapsed pack={{ ...timedOut, lastRun: INSTALL, runCount: 1 }} />);
    const elapsed = screen.getByText(/red for/);
    expect(elapsed.textContent).toBe('red for 5m0s');
    expect(elapsed.getAttribute('title')).toMatch(/^the install turned red after 5m0s, at /);
  });

  it('says "red just now" in the first second, not "red for 0ms"', () => {
    render(<Elapsed pack={retriedRed({ endTime: '2026-01-01T00:09:59.600Z' })} />);
    expect(screen.getByText(/^red /).textContent).toBe('red just now');
  });

  it('gives a run that did real work before it turned red its duration, even under a second', () => {
    const install = {
      kind: 'install' as const,
      revision: 'a',
      startTime: '2026-01-01T00:00:00.000Z',
      endTime: '2026-01-01T00:00:00.845Z',
      outcome: 'failed' as const,
    };
    render(<RunsTable runs={[install]} phase="failed" />);
    expect(screen.getByRole('row', { name: /Install/ }).querySelector('.run-duration')?.textContent).toBe(
      '845ms',
    );
  });

  it('keeps its frozen text while the hub is unreachable (the last known)', () => {
    render(<Elapsed pack={retriedRed({ stale: true })} />);
    act(() => {
      vi.advanceTimersByTime(5_000);
    });
    expect(screen.getByText(/red for/).textContent).toBe('red for 1m59s');
  });

  it('says "red at once" in the runs table for the retry, and each run keeps its own duration', () => {
    render(<RunsTable runs={[INSTALL, RETRY]} phase="failed" />);
    const retry = screen.getByRole('row', { name: /Retry/ });
    expect(within(retry).getByText('red at once').getAttribute('title')).toBe('3 ms');
    const install = screen.getByRole('row', { name: /Install/ });
    expect(install.querySelector('.run-duration')?.textContent).toBe('5m0s');
    expect(screen.queryByText('0ms')).toBeNull();
    expect(screen.queryByText('3ms')).toBeNull();
  });
});
