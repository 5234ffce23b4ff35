import { describe, expect, it } from 'vitest';
import { mapStringsDeep } from './map-strings-deep.js';

const upper = (text: string) => (text.startsWith('x') ? text.toUpperCase() : text);

describe('mapStringsDeep', () => {
  it('maps every string, keys and array items too, and leaves other values as they are', () => {
    const value = { x1: 'xa', list: ['b', 'xc', 3, null, true], nested: { k: 'xd' }, n: 4 };
    expect(mapStringsDeep(value, upper)).toEqual({
      X1: 'XA',
      list: ['b', 'XC', 3, null, true],
      nested: { k: 'XD' },
      n: 4,
    });
    expect(mapStringsDeep('xs', upper)).toBe('XS');
    expect(mapStringsDeep(7, upper)).toBe(7);
  });

  it('returns the same reference where nothing changed, copies the changed path only, and mutates nothing', () => {
    const same = { a: 'b', list: ['c', { d: 'e' }] };
    expect(mapStringsDeep(same, upper)).toBe(same);

    const kept = { a: 'b' };
    const list = ['c', 'xe'];
    const value = { kept, list, z: 1 };
    const mapped = mapStringsDeep(value, upper);
    expect(mapped).not.toBe(value);
    expect(mapped.kept).toBe(kept);
    expect(mapped.list).toEqual(['c', 'XE']);
    expect(value).toEqual({ kept: { a: 'b' }, list: ['c', 'xe'], z: 1 });
  });

  it('keeps key order when a key in the middle changes', () => {
    expect(Object.keys(mapStringsDeep({ a: 1, xb: 2, c: 'xc', d: 4 }, upper))).toEqual(['a', 'XB', 'c', 'd']);
  });

  it('calls fn once for each string and key, however deep the change (review 13, S6: copying walked again)', () => {
    let deep: unknown = 'xbottom';
    for (let i = 0; i < 12; i++) deep = { [`k${String(i)}`]: deep, after: 'short' };
    const seen: string[] = [];
    let mapped = mapStringsDeep(deep, (text) => {
      seen.push(text);
      return upper(text);
    });
    // 12 levels of two keys and one string, and the string at the bottom.
    expect(seen).toHaveLength(12 * 3 + 1);
    for (let i = 11; i >= 0; i--) mapped = (mapped as Record<string, unknown>)[`k${String(i)}`];
    expect(mapped).toBe('XBOTTOM');
  });
});
