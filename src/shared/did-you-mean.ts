// "did you mean" suggestions for near-miss field names, by Levenshtein distance.

export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = prev[j] ?? 0;
      const left = prev[j - 1] ?? 0;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min(above + 1, left + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return prev[b.length] ?? 0;
}

/**
 * Words longer than this get no suggestion: a typo in a name that long is rare, and the edit distance costs
 * the product of the two lengths, per candidate, on the event loop (review 14: a preview naming thousands of
 * unknown variables as long as the declared ones).
 */
export const MAX_SUGGEST_LENGTH = 64;

/**
 * The closest candidate, if close enough to be a plausible typo: at most 2 edits, and at most a third of the
 * word (so `ab` does not suggest `os`). Case-only differences always count (`dependson` → `dependsOn`).
 */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  if (word.length > MAX_SUGGEST_LENGTH) return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    // More than 2 edits apart by length alone: skip, so a megabyte-long word costs nothing.
    if (Math.abs(candidate.length - word.length) > 2) continue;
    const distance =
      candidate.toLowerCase() === word.toLowerCase()
        ? 0.5
        : editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.min(2, Math.max(1, Math.floor(word.length / 3)));
  return bestDistance <= limit ? best : undefined;
}
