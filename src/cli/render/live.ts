// Showing something that changes: on a terminal, redraw in place with cursor movement; elsewhere (a pipe, a
// CI log) print each new snapshot after the last, never an escape code.
import type { Output } from '../command.js';
import { visibleWidth } from './color.js';

export class LiveView {
  #rows = 0;
  #last: string | undefined;
  #cursorHidden = false;

  constructor(private readonly out: Output) {}

  get inPlace(): boolean {
    return this.out.isTTY;
  }

  /** Shows `text`; `key` (default the text) decides whether it differs from what is shown. */
  show(text: string, key = text): void {
    if (!this.inPlace) {
      if (key === this.#last) return;
      this.out.write(this.#last === undefined ? text : `\n${text}`);
      this.#last = key;
      return;
    }
    let prefix = '';
    if (!this.#cursorHidden) {
      prefix += '\x1b[?25l';
      this.#cursorHidden = true;
    }
    // Up to the first row of the last frame, then clear to the end of the screen.
    if (this.#rows > 0) prefix += `\x1b[${this.#rows}F\x1b[J`;
    this.out.write(prefix + text);
    this.#rows = rowsOf(text, this.out.columns);
    this.#last = key;
  }

  /** Leaves the last frame on screen and the cursor visible. */
  end(): void {
    if (this.#cursorHidden) this.out.write('\x1b[?25h');
    this.#cursorHidden = false;
  }
}

/** Terminal rows `text` takes, counting lines that wrap. */
export function rowsOf(text: string, columns: number | undefined): number {
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  const width = columns !== undefined && columns > 0 ? columns : Infinity;
  return lines.reduce((sum, line) => sum + Math.max(1, Math.ceil(visibleWidth(line) / width)), 0);
}
