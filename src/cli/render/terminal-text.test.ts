// What the CLI shows of text a cluster or a chart wrote: every control and bidi character as a visible escape;
// and `-o json` / `-o yaml`: the hub's object, value for value, with nothing a terminal acts on.
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { formatObject, jsonLine } from './output.js';
import { terminalSafe, terminalText } from './terminal-text.js';

/** The review's payload: sets the clipboard (OSC 52), clears the screen, forges a link (OSC 8). */
const ATTACK = '\x1b]52;c;Y3VybCBldmlsfHNo\x07\x1b[2J\x1b]8;;https://evil.example\x07click\x1b]8;;\x07';
// Anything a terminal may act on: C0 but \n and \t, DEL, C1, bidi controls, line/paragraph separators.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const ACTS_ON = /[\x00-\x08\x0b-\x1f\x7f-\x9f\p{Cf}\u034f\u2028\u2029]/u;

describe('terminalText', () => {
  it('shows escape sequences as text, so the terminal runs none of them', () => {
    const shown = terminalText(`exited with code 1: ${ATTACK}`);
    expect(shown).not.toMatch(ACTS_ON);
    expect(shown).toBe(
      'exited with code 1: \\x1b]52;c;Y3VybCBldmlsfHNo\\x07\\x1b[2J\\x1b]8;;https://evil.example\\x07click\\x1b]8;;\\x07',
    );
  });

  it('shows C1 controls, DEL, carriage returns and bidi overrides as escapes', () => {
    expect(terminalText('a\u009b2Jb\x7fc\rd\u202eevil\u2066x\u2069')).toBe(
      'a\\x9b2Jb\\x7fc\\rd\\u202eevil\\u2066x\\u2069',
    );
  });

  it('shows invisible characters as escapes, so a name cannot pass for another (review 12, item 4)', () => {
    // Zero-width space, BOM, soft hyphen, combining grapheme joiner, zero-width joiner, word joiner, a tag.
    expect(terminalText('pro\u200bd a\ufeffb\u00adc\u034fd\u200de\u2060f\u{e0041}g')).toBe(
      'pro\\u200bd a\\ufeffb\\xadc\\u034fd\\u200de\\u2060f\\u{e0041}g',
    );
  });

  it('keeps line breaks and tabs only in multi-line text; one-line text cannot forge a line', () => {
    expect(terminalText('NOTES:\n\tport 80\x1b[2J\n', { multiline: true })).toBe(
      'NOTES:\n\tport 80\\x1b[2J\n',
    );
    expect(terminalText('ImagePullBackOff\n✓ web Ready\tx')).toBe('ImagePullBackOff\\n✓ web Ready\\tx');
  });

  it('leaves ordinary text, accents, CJK and emoji alone', () => {
    const text = 'Pod team/web: Back-off pulling image "nope" (déjà vu, 日本, ✓ ✗ ◐ ○ ↳ 🚀)';
    expect(terminalText(text)).toBe(text);
  });

  it('cleans every string of an API object, keys included, and nothing else', () => {
    const cleaned = terminalSafe({
      name: 'web',
      n: 3,
      ok: true,
      none: null,
      list: [ATTACK],
      [`k\x1b`]: { m: 'a\nb' },
    });
    expect(JSON.stringify(cleaned)).not.toMatch(/\\u001b|\\u0007/);
    expect(cleaned).toEqual({
      name: 'web',
      n: 3,
      ok: true,
      none: null,
      list: [terminalText(ATTACK)],
      'k\\x1b': { m: 'a\\nb' },
    });
  });
});

describe('formatObject', () => {
  const poisoned = {
    message: `exited: ${ATTACK}`,
    c1: 'a\u009b2Jb\x7f',
    bidi: 'x\u202eevil',
    invisible: 'pro\u200bd\ufeff\u00ad\u{e0041}',
    notes: 'line 1\nline 2\u2028',
    [`key\u202e`]: 1,
  };

  it('-o json: the same object, with nothing a terminal acts on', () => {
    const text = formatObject(poisoned, 'json');
    expect(text).not.toMatch(ACTS_ON);
    expect(JSON.parse(text)).toEqual(poisoned);
    expect(jsonLine(poisoned)).not.toMatch(ACTS_ON);
    expect(JSON.parse(jsonLine(poisoned))).toEqual(poisoned);
  });

  it('-o yaml: the same object, with nothing a terminal acts on', () => {
    const text = formatObject(poisoned, 'yaml');
    expect(text).not.toMatch(ACTS_ON);
    expect(parse(text)).toEqual(poisoned);
  });

  it('prints an object without such characters byte for byte as before', () => {
    const clean = { name: 'web', message: 'Back-off "nope"\nnext', list: [1, 'x: y'], déjà: '日本' };
    expect(formatObject(clean, 'json')).toBe(`${JSON.stringify(clean, null, 2)}\n`);
    expect(formatObject(clean, 'yaml')).toBe(stringify(clean));
  });
});
