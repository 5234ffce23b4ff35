// ANSI colours, only when asked for: the caller decides (terminal, NO_COLOR, --no-color) and passes a
// Painter, so renderers stay pure and a test can render both ways.
import type { Pack } from '../types.js';

export type PhaseColor = Pack['color'];

const codes = {
  gray: '90',
  blue: '34',
  green: '32',
  red: '31',
  yellow: '33',
  bold: '1',
  dim: '2',
} as const;
export type Style = keyof typeof codes;

/** The four pack colours as terminal colours; a Record so a new colour does not compile until mapped. */
const phaseStyle: Record<PhaseColor, Style> = { gray: 'gray', blue: 'blue', green: 'green', red: 'red' };

export interface Painter {
  readonly enabled: boolean;
  paint(style: Style, text: string): string;
  phase(color: PhaseColor, text: string): string;
}

export function painter(enabled: boolean): Painter {
  const paint = (style: Style, text: string) =>
    enabled && text !== '' ? `\x1b[${codes[style]}m${text}\x1b[0m` : text;
  return { enabled, paint, phase: (color, text) => paint(phaseStyle[color], text) };
}

// eslint-disable-next-line no-control-regex -- matching escape sequences is the point
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

export const stripAnsi = (text: string): string => text.replace(ANSI, '');

/**
 * Columns a string takes on a terminal: escape codes take none; our icons (○ ◐ ✓ ✗ ↳) are one UTF-16 unit and
 * one column each, so length is right for everything the CLI prints itself.
 */
export const visibleWidth = (text: string): number => stripAnsi(text).length;

export function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - visibleWidth(text)));
}

/** At most `width` columns, ending in `…` when cut; plain text only (no escape codes). */
export function truncate(text: string, width: number): string {
  if (visibleWidth(text) <= width) return text;
  return `${text.slice(0, Math.max(0, width - 1))}…`;
}
