import { randomBytes } from 'node:crypto';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { powerOfTwoChunks } from './chunks.js';
import { createStore } from './index.js';
import { packStatus } from './testing/fixtures.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('powerOfTwoChunks', () => {
  it('covers the items in order, in power-of-two slices no larger than the limit, largest first', () => {
    const items = Array.from({ length: 100 }, (_, i) => i);
    const chunks = [...powerOfTwoChunks(items, 64)];
    expect(chunks.map((c) => c.length)).toEqual([64, 32, 4]);
    expect(chunks.flat()).toEqual(items);
    expect([...powerOfTwoChunks(items.slice(0, 7), 4)].map((c) => c.length)).toEqual([4, 2, 1]);
    expect([...powerOfTwoChunks(items, 16)].map((c) => c.length)).toEqual([16, 16, 16, 16, 16, 16, 4]);
    expect([...powerOfTwoChunks([], 8)]).toEqual([]);
  });

  it('refuses a limit that is not a power of two', () => {
    expect(() => [...powerOfTwoChunks([1], 100)]).toThrow(/100 is not a power of two/);
  });
});

describe('status writes of every batch size', () => {
  it('prepare a handful of SQL texts, not one per batch size (each is a compiled statement the store keeps)', async () => {
    const prepare = vi.spyOn(SqliteDatabase.prototype, 'prepare');
    const store = await createStore({ url: ':memory:', secretKey: randomBytes(32) });
    try {
      await store.clusters.create({ name: 'prod', kubeconfig: 'k' });
      let pack = 0;
      for (let size = 1; size <= 100; size++)
        await store.packStatus.recordMany(
          Array.from({ length: size }, () => ({
            cluster: 'prod',
            pack: `p${String(pack++)}`,
            status: packStatus('processing'),
          })),
        );
      const texts = new Set(prepare.mock.calls.map(([sql]) => sql));
      const count = (start: string) => [...texts].filter((sql) => sql.startsWith(start)).length;
      // Row counts 1, 2, 4, … 64 at most: 7 upserts; the events and the look-ups of stored phases alike.
      expect(count('insert into "pack_status"')).toBeLessThanOrEqual(7);
      expect(count('insert into "events"')).toBeLessThanOrEqual(9);
      expect(count('select "pack", "phase" from "pack_status"')).toBeLessThanOrEqual(7);
      expect(await store.packStatus.list('prod')).toHaveLength(pack);
    } finally {
      await store.close();
    }
  });
});
