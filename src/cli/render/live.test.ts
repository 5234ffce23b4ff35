import { describe, expect, it } from 'vitest';
import { LiveView, rowsOf } from './live.js';

function output(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, out: { write: (t: string) => writes.push(t), isTTY, columns: isTTY ? 20 : undefined } };
}

describe('LiveView', () => {
  it('on a pipe prints each changed snapshot after the last, with no escape codes', () => {
    const { writes, out } = output(false);
    const view = new LiveView(out);
    view.show('a\n');
    view.show('a\n');
    view.show('b\n');
    view.end();
    expect(writes.join('')).toBe('a\n\nb\n');
  });

  it('on a terminal moves up over the last frame (wrapped lines counted) and clears it', () => {
    const { writes, out } = output(true);
    const view = new LiveView(out);
    view.show(`${'x'.repeat(30)}\nshort\n`);
    view.show('next\n');
    view.end();
    expect(writes).toEqual([`\x1b[?25l${'x'.repeat(30)}\nshort\n`, '\x1b[3F\x1b[Jnext\n', '\x1b[?25h']);
  });

  it('counts rows without escape codes', () => {
    expect(rowsOf('\x1b[31mabc\x1b[0m\n', 3)).toBe(1);
    expect(rowsOf('abcd\n\n', 3)).toBe(3);
  });
});
