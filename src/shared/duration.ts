// Durations, the one home for reading and writing them. Two forms, for two jobs:
// - A configured duration (a pack's `timeout`, a health rule's `grace`) is written the way Kubernetes and Go
//   write them (`90s`, `10m`, `1h30m`): units h, m, s, ms, no fractions, no negative values. parseDuration reads
//   it; formatDuration writes a configured value back exactly (5_400_000 → `1h30m`, never rounded), so a
//   message about a timeout names the value the profile holds.
// - An elapsed time (how long an install took, how long a pack has been red, an age) is measured, not
//   configured: formatElapsed rounds it to what a person reads (`850ms`, `3m12s`, `4d`), and it is the one
//   display form of the terminal (src/cli) and the page (web/) alike. It keeps the spec form's style (no
//   spaces), so a timeout and the time an install took read alike; only the rounding differs, because
//   `1h30m0s17ms` is exact and useless on a screen.

export const DURATION_PATTERN = '^(?:\\d+(?:h|ms|m|s))+$';
const PART = /(\d+)(h|ms|m|s)/g;
const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;

/** Milliseconds, or undefined when `text` is not a duration like `90s`, `10m`, `1h30m`. */
export function parseDuration(text: string): number | undefined {
  if (!new RegExp(DURATION_PATTERN).test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(PART)) {
    const unit = match[2] as keyof typeof UNIT_MS;
    total += Number(match[1]) * UNIT_MS[unit];
  }
  return total > 0 && Number.isSafeInteger(total) ? total : undefined;
}

/** The inverse for display: 5_400_000 → `1h30m`. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of Object.entries(UNIT_MS)) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      parts.push(`${count}${unit}`);
      rest -= count * size;
    }
  }
  return parts.join('');
}

/**
 * Elapsed time as the CLI and the UI show it: `850ms`, `45s`, `3m12s`, `2h5m`, `4d` (under a second in
 * milliseconds: small packs install in less; from two days on, in days). Nothing readable (negative, NaN) is `0s`.
 */
export function formatElapsed(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0s';
  if (ms < 1000) return `${Math.floor(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60}m`;
  return `${Math.floor(h / 24)}d`;
}

/**
 * A run that turned red within this long (ms) waited for nothing: a retry of a pack whose objects are unchanged
 * is red again in milliseconds (the same evaluations), while an install red on a pod's pull error did hundreds
 * of milliseconds of work. The CLI and the UI say "red at once" for it, not "0s" (a clock that never ran).
 */
export const RED_AT_ONCE_MS = 100;
