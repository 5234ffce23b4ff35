// Durations the way Kubernetes and Go write them (`90s`, `10m`, `1h30m`), so pack timeouts read like the rest
// of a cluster's YAML. Units: h, m, s, ms. No fractions, no negative values.

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
