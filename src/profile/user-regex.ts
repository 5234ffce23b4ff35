// Regular expressions written by users (a variable's `regex`) run on re2js: RE2 semantics, time linear in the
// input, so no pattern can stall the hub (JavaScript's RegExp backtracks: `(a+)+$` against `aaaa…!` takes
// exponential time). RE2 has no backreferences or lookaround; the syntax is https://github.com/google/re2/wiki/Syntax.
import { RE2JS, RE2JSException } from 're2js';
import { MAX_REGEX_SIZE, regexSize } from '../shared/regex-size.js';

/** Longer patterns are refused: no variable needs one, and compile time and memory grow with the length. */
export const MAX_REGEX_LENGTH = 1000;

/**
 * Longest value matched against a pattern. RE2 is linear in the value but also in the pattern: a 1000-character
 * pattern of stars costs about 30 ns per value character here, so 4096 characters bound a check to ~130 ms.
 */
export const MAX_MATCHED_LENGTH = 4096;

export const RegexVerdict = { Match: 'match', Mismatch: 'mismatch', TooLong: 'too-long' } as const;
export type RegexVerdict = (typeof RegexVerdict)[keyof typeof RegexVerdict];

export type UserRegexResult =
  { readonly ok: true; readonly regex: UserRegex } | { readonly ok: false; readonly reason: string };

export interface UserRegex {
  /** Whether the whole of `value` matches (the pattern is implicitly anchored at both ends). */
  matchWhole(value: string): RegexVerdict;
}

export function compileUserRegex(source: string): UserRegexResult {
  if (source.length > MAX_REGEX_LENGTH) {
    return {
      ok: false,
      reason: `the pattern is ${source.length} characters; the limit is ${MAX_REGEX_LENGTH}`,
    };
  }
  const size = regexSize(source);
  if (size > MAX_REGEX_SIZE) {
    return {
      ok: false,
      reason:
        `the pattern's repetitions expand to about ${size} steps; the limit is ${MAX_REGEX_SIZE} ` +
        '(each {n,m} copies what it follows m times)',
    };
  }
  try {
    const compiled = RE2JS.compile(source);
    const matchWhole = (value: string): RegexVerdict => {
      if (value.length > MAX_MATCHED_LENGTH) return RegexVerdict.TooLong;
      return compiled.matcher(value).matches() ? RegexVerdict.Match : RegexVerdict.Mismatch;
    };
    return { ok: true, regex: { matchWhole } };
  } catch (error) {
    if (!(error instanceof RE2JSException)) throw error;
    return { ok: false, reason: `${error.message} (RE2 syntax: no backreferences or lookaround)` };
  }
}

/** The sentence for a value too long to check, naming its length only (the value may be sensitive). */
export function tooLongToMatch(length: number): string {
  return `a value checked against regex may be at most ${MAX_MATCHED_LENGTH} characters; got ${length}`;
}
