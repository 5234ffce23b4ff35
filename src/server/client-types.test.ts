// The committed client types must be what the generator makes from today's route table: a schema change
// without `npx tsx scripts/gen-client-types.ts` fails here rather than in the CLI or web/ at run time.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CLIENT_TYPES_PATH, renderClientTypes } from '../../scripts/gen-client-types.js';

describe('client-types.ts', () => {
  it('is up to date with the route table (run `npx tsx scripts/gen-client-types.ts` if not)', async () => {
    const committed = await readFile(CLIENT_TYPES_PATH, 'utf8');
    expect(committed).toBe(await renderClientTypes());
  });
});
