import { describe, expect, it } from 'vitest';
import { PackSet } from './pack-set.js';
import { wavedPacks } from './testing/waved-packs.js';

describe('PackSet: what each active pack waits for', () => {
  it('is worked out once per change of the packs, not on every read', () => {
    const set = new PackSet(undefined);
    const desired = wavedPacks(6, 2);
    set.setDesired(desired);
    const first = set.predecessors();
    expect(first.get('pack-0003')).toEqual(['pack-0000', 'pack-0001', 'pack-0002']);
    expect(set.predecessors()).toBe(first);

    // pack-0002 dropped: marked removing, no longer waited for.
    set.setDesired(desired.filter((d) => d.pack.name !== 'pack-0002'));
    const second = set.predecessors();
    expect(second).not.toBe(first);
    expect(second.get('pack-0003')).toEqual(['pack-0000', 'pack-0001']);
    expect(second.has('pack-0002')).toBe(false);

    // Its removal done: gone, and read anew.
    set.remove('pack-0002');
    expect(set.runs.has('pack-0002')).toBe(false);
    expect(set.predecessors()).not.toBe(second);
    expect(set.predecessors().get('pack-0004')).toEqual(['pack-0000', 'pack-0001']);
  });
});
