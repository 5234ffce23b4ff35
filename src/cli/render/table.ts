// Plain column tables, kubectl style: upper-case headers, two spaces between columns, no borders.
import { padEnd, truncate, visibleWidth } from './color.js';

/**
 * Cells may hold escape codes: widths are measured without them. With `width`, the last column (the reason or
 * message: put it last) is cut with `…` to fit; the other columns are values and are never cut.
 */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  options: { width?: number | undefined } = {},
): string {
  const widths = headers.map((header, i) =>
    Math.max(visibleWidth(header), ...rows.map((row) => visibleWidth(row[i] ?? ''))),
  );
  const before = widths.slice(0, -1).reduce((sum, w) => sum + w + 2, 0);
  const last = (cell: string) =>
    options.width === undefined ? cell : truncate(cell, Math.max(10, options.width - before));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? last(cell) : padEnd(cell, widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}
