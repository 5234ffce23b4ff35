import { describe, expect, it } from 'vitest';
import { cutText, KEPT_TEXT_MAX, keptDeep, keptText } from './kept-text.js';

/** What was kept, and how many characters the marker says were cut. */
const parts = (cut: string) => {
  const found = /^(.*)…\[(\d+) more characters cut by the hub\]$/su.exec(cut);
  return { kept: found?.[1] ?? '', count: Number(found?.[2]) };
};

describe('cutText', () => {
  it('keeps text that fits as it is, and cuts longer text to the bound, the marker included', () => {
    expect(cutText('short', 40)).toBe('short');
    for (const length of [61, 99, 100, 1000, 100_000]) {
      const text = 'x'.repeat(length);
      const cut = cutText(text, 60);
      expect(cut).toHaveLength(60);
      const { kept, count } = parts(cut);
      expect(kept.length + count).toBe(length);
    }
  });

  it('never keeps half of a character written as two UTF-16 units', () => {
    const text = `${'x'.repeat(5)}${'\u{1F600}'.repeat(50)}`;
    for (const max of [40, 41, 42, 43]) {
      const cut = cutText(text, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(() => encodeURIComponent(cut)).not.toThrow(); // throws on a lone surrogate
      const { kept, count } = parts(cut);
      expect(kept.length + count).toBe(text.length);
    }
  });
});

describe('keptText', () => {
  it('cleans, then cuts to KEPT_TEXT_MAX, so the marker counts characters, not escapes', () => {
    const text = `\x1b[2J${'x'.repeat(KEPT_TEXT_MAX)}`;
    const kept = keptText(text);
    expect(kept).toHaveLength(KEPT_TEXT_MAX);
    const { kept: start, count } = parts(kept);
    expect(start).toMatch(/^\[2Jx+$/u);
    expect(start.length + count).toBe(KEPT_TEXT_MAX + 3);
    const fits = 'Back-off "nope"';
    expect(keptText(fits)).toBe(fits);
  });
});

describe('keptDeep', () => {
  it('cleans and cuts every string, keys too, and returns the same reference when all is clean and fits', () => {
    const long = 'y'.repeat(KEPT_TEXT_MAX + 1);
    const kept = keptDeep({ a: long, list: ['ok\x07'], [long]: 1 });
    expect(kept.a).toBe(cutText(long));
    expect(kept.list).toEqual(['ok']);
    expect(Object.keys(kept)).toEqual(['a', 'list', cutText(long)]);
    const fine = { a: 'x'.repeat(KEPT_TEXT_MAX), list: [{ b: 'c' }] };
    expect(keptDeep(fine)).toBe(fine);
  });

  it('keeps key order and cuts each child once, so deep data costs linear time (review 13, S6)', () => {
    const long = 'y'.repeat(KEPT_TEXT_MAX + 100);
    expect(Object.keys(keptDeep({ a: 1, [long]: 2, c: long, d: 4 }))).toHaveLength(4);
    // A chain 40 deep with a long text at the bottom: copying cut each child again, 2^40 walks.
    let deep: unknown = long;
    for (let i = 0; i < 40; i++) deep = { [`k${String(i)}`]: deep, after: 'short' };
    let kept = keptDeep(deep);
    for (let i = 39; i >= 0; i--) kept = (kept as Record<string, unknown>)[`k${String(i)}`];
    expect(kept).toBe(cutText(long));
  });
});
