// The history retention pass (security review 8, item 5), against a real SQLite store.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStore, EventKind, type Store } from '../store/index.js';
import { advance, packStatus } from '../store/testing/fixtures.js';
import { DEFAULT_RETENTION, Retention } from './retention.js';

let store: Store;
const logs: string[] = [];

beforeEach(async () => {
  store = await createStore({ url: ':memory:', secretKey: randomBytes(32) });
  await store.clusters.create({ name: 'prod', kubeconfig: 'k' });
  logs.length = 0;
});

afterEach(async () => {
  await store.close();
});

const record = async (count: number) => {
  let status = packStatus('onboarding');
  for (let i = 0; i < count; i++) {
    status = advance(
      status,
      i % 2 === 0 ? 'processing' : 'failed',
      `2026-01-01T00:00:${String(i).padStart(2, '0')}.000Z`,
    );
    await store.packStatus.record({ cluster: 'prod', pack: 'p', status });
  }
};

describe('Retention', () => {
  it('keeps the newest keepPerPack transitions and status events of each pack, and says what it deleted', async () => {
    await record(12);
    const retention = new Retention(store, { keepPerPack: 5, keepDays: 0 }, (line) => logs.push(line));
    expect(await retention.runOnce()).toBe(14);
    expect(await store.history.transitions('prod', 'p')).toHaveLength(5);
    expect(logs).toEqual(['strata: pruned 14 pack history rows (keeping 5 per pack)']);
    expect(await retention.runOnce()).toBe(0);
    await retention.close();
  });

  it('with keepDays, deletes what is older than that but each pack’s newest', async () => {
    await record(4);
    // The clock 91 days after the rows were written: all of them are past a 90-day retention.
    const later = Date.now() + 91 * 24 * 60 * 60_000;
    const retention = new Retention(
      store,
      { keepPerPack: 1000, keepDays: 90 },
      (line) => logs.push(line),
      () => later,
    );
    expect(await retention.runOnce()).toBe(6);
    expect((await store.history.transitions('prod', 'p')).map((t) => t.to)).toEqual(['failed']);
    await retention.close();
  });

  // Security review 10, item 3: 1000 rows per pack bounded nothing when each row could be 1 MiB.
  it('keeps only the newest keepBytesPerPack of a pack’s status events however few they are, and always the newest', async () => {
    let status = packStatus('onboarding');
    for (let i = 0; i < 6; i++) {
      status = advance(status, i % 2 === 0 ? 'processing' : 'failed', `2026-01-01T00:00:0${i}.000Z`);
      // A legitimate field made big: 100 KiB of message per status.
      status = { ...status, message: `${i}`.repeat(100 * 1024) };
      await store.packStatus.record({ cluster: 'prod', pack: 'p', status });
    }
    const statusEvents = async () =>
      (await store.history.since(0, { limit: 1000 })).filter((e) => e.kind === EventKind.PackStatus);
    expect(await statusEvents()).toHaveLength(6);
    const retention = new Retention(
      store,
      { keepPerPack: 1000, keepDays: 0, keepBytesPerPack: 250 * 1024 },
      (line) => logs.push(line),
    );
    expect(await retention.runOnce()).toBe(4);
    // The two newest fit in 250 KiB; the transitions (small) all stay.
    const kept = await statusEvents();
    expect(kept).toHaveLength(2);
    expect(await store.history.transitions('prod', 'p')).toHaveLength(6);
    // One row bigger than the whole allowance: the newest stays all the same.
    const tiny = new Retention(store, { keepPerPack: 1000, keepDays: 0, keepBytesPerPack: 1 }, () => {});
    expect(await tiny.runOnce()).toBe(1 + 5);
    expect(await statusEvents()).toHaveLength(1);
    expect(DEFAULT_RETENTION.keepBytesPerPack).toBe(16 * 1024 * 1024);
    await retention.close();
    await tiny.close();
  });
});
