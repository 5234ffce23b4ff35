import { describe, expect, it } from 'vitest';
import { jsonErrorOffset, positionOf } from './json-position.js';

describe('jsonErrorOffset', () => {
  it.each([
    ['{"name": "a",\n "kubeconfig": }', { line: 2, column: 16 }],
    ['{"a": 1,}', { line: 1, column: 9 }],
    ['{"a" 1}', { line: 1, column: 6 }],
    ["{'a': 1}", { line: 1, column: 2 }],
    ['[1, 2', { line: 1, column: 6 }],
    ['{"a": tru}', { line: 1, column: 10 }],
    ['{} x', { line: 1, column: 4 }],
  ])('%j fails at %j', (text, expected) => {
    expect(() => JSON.parse(text) as unknown).toThrow();
    const offset = jsonErrorOffset(text);
    expect(offset).toBeDefined();
    expect(positionOf(text, offset ?? 0)).toEqual(expected);
  });

  it('finds nothing wrong in valid JSON', () => {
    expect(jsonErrorOffset('{"a": [1, -2.5e3, "x\\u00e9\\n", true, false, null], "b": {}}')).toBeUndefined();
  });
});
