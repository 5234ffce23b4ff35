import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HEAP_BYTES_PER_OPEN, HEAP_BYTES_PER_SEPARATOR, JsonCost, jsonCost } from './json-cost.js';

/** The reference count: every character, in and out of strings, the slow way. */
function reference(text: string): number {
  let opens = 0;
  let separators = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') opens++;
    else if (c === ',' || c === ':') separators++;
  }
  return Buffer.byteLength(text) + HEAP_BYTES_PER_OPEN * opens + HEAP_BYTES_PER_SEPARATOR * separators;
}

const pod = readFileSync(new URL('../status/fixtures/captured/pod/crash-loop.json', import.meta.url), 'utf8');

describe('jsonCost', () => {
  it('counts objects, arrays and separators outside strings, over the bytes', () => {
    expect(jsonCost(Buffer.from('[{},{}]'))).toBe(7 + 3 * 56 + 8);
    expect(jsonCost(Buffer.from('{"a":"{[,:"}'))).toBe(12 + 56 + 8);
    expect(jsonCost(Buffer.from('["\\"{",{}]'))).toBe(10 + 2 * 56 + 8);
    expect(jsonCost(Buffer.from('["\\\\",{}]'))).toBe(9 + 2 * 56 + 8);
    expect(jsonCost(Buffer.from('["é,"]'))).toBe(Buffer.byteLength('["é,"]') + 56);
  });

  it('gives the same estimate however the text is cut into chunks, escapes and all', () => {
    const texts = [
      pod,
      '{"a":"x\\\\\\"{,","b":[1,{"c":"\\\\"},"\\"\\\\\\\\"],"d":"\\u0022{"}',
      JSON.stringify({ s: '\\'.repeat(7) + '"{[,:' + '\\'.repeat(8), t: [{}, []] }),
    ];
    for (const text of texts) {
      const bytes = Buffer.from(text);
      const whole = jsonCost(bytes);
      expect(whole).toBe(reference(text));
      const step = Math.max(1, Math.floor(bytes.length / 200));
      for (let cut = 0; cut <= bytes.length; cut += step) {
        const two = new JsonCost().add(bytes.subarray(0, cut)).add(bytes.subarray(cut)).estimate;
        expect(two, `cut at ${String(cut)}`).toBe(whole);
      }
      const ones = new JsonCost();
      for (let i = 0; i < bytes.length; i++) ones.add(bytes.subarray(i, i + 1));
      expect(ones.estimate).toBe(whole);
    }
  });

  it('reads 16 MiB in well under a second', { timeout: 10_000 }, () => {
    const text = Buffer.from(`[${'{"name":"web","value":"x\\"y"},'.repeat(540_000)}{}]`);
    const started = performance.now();
    jsonCost(text);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
