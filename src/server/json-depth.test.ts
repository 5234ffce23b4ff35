import { describe, expect, it } from 'vitest';
import { depthExceededAt, MAX_JSON_DEPTH } from './json-depth.js';

const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

describe('depthExceededAt', () => {
  it('accepts documents up to the limit and points at the bracket that opens the level past it', () => {
    expect(depthExceededAt(nested(MAX_JSON_DEPTH))).toBeUndefined();
    expect(depthExceededAt(nested(MAX_JSON_DEPTH + 1))).toBe(MAX_JSON_DEPTH);
    expect(depthExceededAt('{"a":{"b":[1,{"c":2}]}}', 3)).toBe(13);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(depthExceededAt(`{"a":"${'['.repeat(200)}"}`, 2)).toBeUndefined();
    expect(depthExceededAt(`{"a":"\\"[[[[","b":1}`, 1)).toBeUndefined();
    expect(depthExceededAt(`["\\\\",[[]]]`, 2)).toBe(7);
  });

  it('scans a 2 MiB body of brackets without recursing', () => {
    const text = '['.repeat(2 * 1024 * 1024);
    expect(depthExceededAt(text)).toBe(MAX_JSON_DEPTH);
  });
});
