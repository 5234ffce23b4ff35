import { describe, expect, it } from 'vitest';
import { regexSize } from './regex-size.js';

describe('regexSize', () => {
  it.each([
    ['abc', 3],
    ['^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$', 63],
    ['a{10}', 10],
    ['(ab){3}', 6],
    ['((a{10}){10}){10}', 1000],
    ['[a-z]{1,1000}', 1000],
    ['x{2,}', 2],
    ['a|b|c', 3],
    ['\\d{1,3}(\\.\\d{1,3}){3}', 15],
    ['[]a{5}]', 1],
    ['[[:alpha:]]{4}', 4],
    ['a{', 2],
    ['(a', 1],
    ['(?i)ab', 2],
    ['(?:ab){2}', 4],
    ['(?P<x>ab){2}', 4],
    ['a)', 1],
  ])('%s is about %i steps', (pattern, size) => {
    expect(regexSize(pattern)).toBe(size);
  });

  it('multiplies nested repetitions, so a short pattern can be huge', () => {
    expect(regexSize('[a-z]{1,1000}'.repeat(76))).toBe(76_000);
    expect(regexSize('(?:[a-z]{1,30}){1,30}')).toBe(900);
    expect(regexSize('(?i:[a-z]{1,30}){1,30}')).toBe(900);
  });
});
