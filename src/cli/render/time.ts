// Ages as the CLI and the UI show them: `45s`, `3m12s`, `2h5m`, `4d` (src/shared/duration.ts formats them).
import { formatElapsed } from '../../shared/duration.js';

/** How long ago an ISO time was; '-' when it cannot be read. */
export function age(iso: string | undefined, now: number): string {
  if (iso === undefined) return '-';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? '-' : formatElapsed(now - t);
}
