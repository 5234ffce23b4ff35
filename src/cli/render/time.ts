// Durations and ages as a terminal shows them: `45s`, `3m12s`, `2h5m`, `4d`.

export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60}m`;
  return `${Math.floor(h / 24)}d`;
}

/** How long ago an ISO time was; '-' when it cannot be read. */
export function age(iso: string | undefined, now: number): string {
  if (iso === undefined) return '-';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? '-' : formatElapsed(now - t);
}
