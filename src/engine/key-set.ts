// The keys of a pack's inventory. Most packs own a few objects, and a Set is ~250 bytes however few keys it
// holds, kept per pack for as long as the runner runs (issue 15: what an install retains per pack decides
// whether a major GC falls inside it). A few keys are searched in their array instead.

/** What is asked of an inventory's keys: whether one is there, and each of them. */
export interface KeySet extends Iterable<string> {
  has(key: string): boolean;
}

/** Up to this many keys, a search of the array costs less than hashing the key. */
const SMALL = 8;

const EMPTY: KeySet = new Set<string>();

/** `keys` (distinct) as a KeySet; the array is kept, so it must not be changed after. */
export function keySet(keys: readonly string[]): KeySet {
  if (keys.length === 0) return EMPTY;
  return keys.length > SMALL ? new Set(keys) : new FewKeys(keys);
}

class FewKeys implements KeySet {
  constructor(private readonly keys: readonly string[]) {}

  has(key: string): boolean {
    return this.keys.includes(key);
  }

  [Symbol.iterator](): Iterator<string> {
    return this.keys[Symbol.iterator]();
  }
}
