import { useEffect, useState } from 'react';
import { formatElapsed, RED_AT_ONCE_MS } from '../../src/shared/duration';

/** A run's duration; a run that ended red at once says so in words: "0ms" reads as a clock that never ran. */
export function formatRunDuration(ms: number, outcome: 'success' | 'failed' | undefined): string {
  return outcome === 'failed' && ms < RED_AT_ONCE_MS ? 'red at once' : formatElapsed(ms);
}

/** How long a pack has been red: "red just now" in its first second (not "red for 0ms"), then "red for 12s". */
export function formatRedFor(ms: number): string {
  return ms < 1000 ? 'red just now' : `red for ${formatElapsed(ms)}`;
}

export function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString(undefined, { hour12: false });
}

export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { hour12: false });
}

/** The current time, ticking every `intervalMs` only while `active` (an idle page does no work). */
export function useNow(active: boolean, intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => {
      setNow(Date.now());
    }, intervalMs);
    return () => {
      clearInterval(timer);
    };
  }, [active, intervalMs]);
  return now;
}
