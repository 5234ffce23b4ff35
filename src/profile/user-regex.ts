// Regular expressions written by users (a variable's `regex`) run on re2js: RE2 semantics, time linear in the
// input, so no pattern can stall the hub (JavaScript's RegExp backtracks: `(a+)+$` against `aaaa…!` takes
// exponential time). RE2 has no backreferences or lookaround; the syntax is https://github.com/google/re2/wiki/Syntax.
import { RE2JS, RE2JSException } from 're2js';

/** Longer patterns are refused: no variable needs one, and compile time and memory grow with the length. */
export const MAX_REGEX_LENGTH = 1000;

export type UserRegexResult =
  { readonly ok: true; readonly regex: UserRegex } | { readonly ok: false; readonly reason: string };

export interface UserRegex {
  /** Whether the whole of `value` matches (the pattern is implicitly anchored at both ends). */
  matchesWhole(value: string): boolean;
}

export function compileUserRegex(source: string): UserRegexResult {
  if (source.length > MAX_REGEX_LENGTH) {
    return {
      ok: false,
      reason: `the pattern is ${source.length} characters; the limit is ${MAX_REGEX_LENGTH}`,
    };
  }
  try {
    const compiled = RE2JS.compile(source);
    return { ok: true, regex: { matchesWhole: (value) => compiled.matcher(value).matches() } };
  } catch (error) {
    if (!(error instanceof RE2JSException)) throw error;
    return { ok: false, reason: `${error.message} (RE2 syntax: no backreferences or lookaround)` };
  }
}
