// How big a regular expression's program gets once RE2 expands its counted repetitions. re2js is linear in
// the input, but its time per input character grows with the program: `[a-z]{1,1000}` written 76 times (988
// characters) took 2 s to compile and 255 s to match 4 KiB here, where the pattern's length alone looked
// harmless. RE2 turns `x{n,m}` into m copies of x (nested repetitions multiply), so this estimate counts
// atoms with their repetitions multiplied through, and callers refuse a pattern whose estimate is too big
// before compiling it. `*`, `+` and `?` loop over one copy and add nothing.

/** The largest program estimate a user's pattern may have (a DNS label pattern is 63; `[a-z]{1,100}` ten times, 1000, matches 4 KiB in ~30 ms, eighty times took 15 s). */
export const MAX_REGEX_SIZE = 1000;

/**
 * The estimated number of program steps of `pattern`: each literal, escape or character class counts 1, a
 * group counts its contents (alternatives added), and `{n}`, `{n,}` or `{n,m}` multiplies what it follows by
 * its largest count. An estimate for refusing patterns, not a parser: malformed input is left to the
 * compiler, which reports it.
 */
export function regexSize(pattern: string): number {
  // One frame per open group: the size so far, and the size of the last atom (what a quantifier applies to).
  const stack: { total: number; last: number }[] = [{ total: 0, last: 0 }];
  const top = () => stack[stack.length - 1] as { total: number; last: number };
  const atom = (size: number) => {
    top().total += size;
    top().last = size;
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      atom(1);
    } else if (c === '[') {
      i = classEnd(pattern, i);
      atom(1);
    } else if (c === '(') {
      // (?:…), (?P<name>…), (?<name>…) and (?i:…) open a group; (?i) only sets flags.
      if (pattern[i + 1] === '?') {
        const named = /^\(\?P?<[^>]*>/.exec(pattern.slice(i, i + 64));
        const flags = /^\(\?[a-zA-Z-]*([:)])/.exec(pattern.slice(i, i + 16));
        if (named !== null) i += named[0].length - 1;
        else if (flags !== null) {
          i += flags[0].length - 1;
          if (flags[1] === ')') continue;
        }
      }
      stack.push({ total: 0, last: 0 });
    } else if (c === ')') {
      if (stack.length === 1) continue;
      const inner = stack.pop() as { total: number };
      atom(inner.total);
    } else if (c === '{') {
      const repeat = /^\{(\d+)(?:,(\d*))?\}/.exec(pattern.slice(i, i + 24));
      if (repeat === null) {
        atom(1);
        continue;
      }
      const count = Math.max(Number(repeat[1]), Number(repeat[2] || 0));
      const frame = top();
      frame.total += frame.last * (count - 1);
      frame.last *= count;
      i += repeat[0].length - 1;
    } else if (c === '|' || c === '*' || c === '+' || c === '?' || c === '^' || c === '$') {
      continue;
    } else {
      atom(1);
    }
  }
  return stack.reduce((sum, frame) => sum + frame.total, 0);
}

/** The index of the `]` closing the character class opened at `start` (or the end of the pattern). */
function classEnd(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === '^') i++;
  if (pattern[i] === ']') i++;
  for (; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === '[' && pattern[i + 1] === ':') {
      const close = pattern.indexOf(':]', i + 2);
      if (close !== -1) i = close + 1;
    } else if (pattern[i] === ']') return i;
  }
  return pattern.length;
}
