import { describe, expect, it } from 'vitest';
import { exactAsJson } from './profiles.js';

describe('exactAsJson', () => {
  it('accepts what JSON gives back as it was', () => {
    expect(exactAsJson({ a: [1, 'x', true, null, { b: 2.5 }], c: undefined })).toBe(true);
  });

  it.each([
    ['NaN', { values: { x: Number.NaN } }],
    ['Infinity', [Number.POSITIVE_INFINITY]],
    ['-0', { n: -0 }],
    ['undefined in a list', [undefined]],
    ['a Map', { m: new Map() }],
  ])('refuses %s (JSON gives back something else)', (_name, value) => {
    expect(exactAsJson(value)).toBe(false);
  });
});
