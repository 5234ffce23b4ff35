import { describe, expect, it } from 'vitest';
import { MAX_SUGGEST_LENGTH, suggest } from './did-you-mean.js';

describe('suggest', () => {
  it('suggests a declared name one typo away', () => {
    expect(suggest('regoin', ['region', 'zone'])).toBe('region');
    expect(suggest('dependson', ['dependsOn'])).toBe('dependsOn');
    expect(suggest('ab', ['os'])).toBeUndefined();
  });

  it(`gives no suggestion for a word over ${MAX_SUGGEST_LENGTH} characters (review 14: its distance costs the product of the lengths)`, () => {
    const at = 'a'.repeat(MAX_SUGGEST_LENGTH);
    expect(suggest(`${at.slice(1)}b`, [at])).toBe(at);
    const over = 'a'.repeat(MAX_SUGGEST_LENGTH + 1);
    expect(suggest(`${over.slice(1)}b`, [over])).toBeUndefined();
  });
});
