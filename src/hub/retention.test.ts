// The history retention pass (security review 8, item 5), against a real SQLite store.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStore, type Store } from '../store/index.js';
import { advance, packStatus } from '../store/testing/fixtures.js';
import { Retention } from './retention.js';

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
});
