import { describe, expect, it } from 'vitest';
import { evaluateObject } from './testing/evaluate.js';
import { fixturesDir, loadFixtures } from './testing/fixtures.js';
import { indexRelated } from './related.js';

// Every fixture that says what it expects, hand-made (fixtures/<kind>/) and captured from the testenv control
// plane (fixtures/captured/), goes through the dispatcher exactly as the engine would call it.
const all = loadFixtures(fixturesDir);
const withExpectation = all.filter((f) => f.expect !== undefined);

describe('fixtures', () => {
  it('finds the hand-made fixtures, each with an expectation', () => {
    expect(withExpectation.length).toBeGreaterThan(60);
    expect(all.filter((f) => !f.name.startsWith('captured/') && f.expect === undefined)).toEqual([]);
  });

  describe.each(withExpectation)('$name', (f) => {
    it(`is ${f.expect?.state ?? ''}${f.expect?.reason ? ` (${f.expect.reason})` : ''}`, () => {
      const result = evaluateObject(f.object, { related: indexRelated(f.related) });
      expect(result.state).toBe(f.expect?.state);
      if (f.expect?.reason !== undefined) expect(result.reason).toBe(f.expect.reason);
      if (f.expect?.message !== undefined) expect(result.message).toBe(f.expect.message);
    });
  });
});
