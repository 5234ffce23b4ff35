import { describe, expect, it } from 'vitest';
import { renderTable } from './table.js';

describe('renderTable', () => {
  const rows = [['2025-01-01T12:00:00.000Z', 'broken-web', 'Error: Pod broken/web: image "nope" not found']];

  it('aligns columns and cuts only the last one to the width', () => {
    expect(renderTable(['TIME', 'PACK', 'REASON'], rows, { width: 60 })).toBe(
      'TIME                      PACK        REASON\n' +
        '2025-01-01T12:00:00.000Z  broken-web  Error: Pod broken/web…\n',
    );
  });

  it('cuts nothing without a width', () => {
    expect(renderTable(['TIME', 'PACK', 'REASON'], rows)).toContain('image "nope" not found\n');
  });
});
