import { describe, expect, it } from 'vitest';
import { keySet } from './key-set.js';

describe('keySet: the keys of an inventory', () => {
  it.each([0, 1, 8, 9, 40])('answers has() and lists its %i keys in order, small or large', (count) => {
    const keys = Array.from({ length: count }, (_, i) => `v1/ConfigMap/apps/cm-${String(i)}`);
    const set = keySet(keys);
    expect([...set]).toEqual(keys);
    for (const key of keys) expect(set.has(key)).toBe(true);
    // An equal key built apart (not the same string object) is found too.
    if (count > 0)
      expect(set.has(['v1', 'ConfigMap', 'apps', `cm-${String(count - 1)}`].join('/'))).toBe(true);
    expect(set.has('v1/ConfigMap/apps/other')).toBe(false);
  });
});
