import { describe, expect, it } from 'vitest';
import { initialPackStatus, type PackStatus } from '../status/index.js';
import { orphanedPacks } from './orphans.js';

const started = (startTime: string | undefined): PackStatus => ({
  ...initialPackStatus({ revision: 'r1', stage: { type: 'Applied' } }),
  ...(startTime === undefined ? {} : { startTime }),
});

describe('orphanedPacks', () => {
  it('takes the stored packs not desired, placed in the order they started so the last started goes first', () => {
    const initial = new Map([
      ['late', started('2026-01-01T00:00:02.000Z')],
      ['kept', started('2026-01-01T00:00:00.000Z')],
      ['early', started('2026-01-01T00:00:01.000Z')],
      ['never', started(undefined)],
    ]);
    const orphans = orphanedPacks(initial, new Set(['kept']), 5);
    expect(orphans.map((o) => [o.desired.pack.name, o.desired.wave, o.desired.order])).toEqual([
      ['never', 1, 5],
      ['early', 2, 6],
      ['late', 3, 7],
    ]);
    // One lane for all of them, never creating (or deleting) a namespace, nothing to render.
    for (const { desired } of orphans) {
      expect(desired.profile.name).toBe(orphans[0]?.desired.profile.name);
      expect(desired.pack).toMatchObject({ layer: 'addon', dependsOn: [], namespace: { create: false } });
      expect(desired.pack.type === 'manifest' && desired.pack.manifests).toEqual([]);
    }
  });
});
