// The feed on its own, over a real (in-memory SQLite) store: what a listener gets, live and replayed, and that
// one failing listener neither stops the others nor reaches the store.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DesiredPack } from '../engine/index.js';
import { desiredOrThrow, loadExamples } from '../engine/testing/runner.js';
import { createStore, type Store } from '../store/index.js';
import { packStatus } from '../store/testing/fixtures.js';
import { Feed, type HubEvent } from './feed.js';

let store: Store;
let feed: Feed;
let app: DesiredPack;
const logged: string[] = [];
const summarized: string[] = [];
const secret = 's3cr3t-value-long';

beforeEach(async () => {
  store = await createStore({ url: ':memory:', secretKey: randomBytes(32) });
  await store.clusters.create({ name: 'prod', kubeconfig: 'k' });
  logged.length = 0;
  summarized.length = 0;
  // A pack whose profile has a sensitive variable set to `secret`: its redactor masks it.
  const desired = desiredOrThrow(await loadExamples(['monitoring.yaml']), {
    cluster: 'prod',
    values: { monitoring: { adminPassword: secret } },
  });
  app = desired[0] as DesiredPack;
  feed = new Feed(store, {
    packContext: (cluster, pack) =>
      cluster === 'prod' && pack === app.pack.name ? { desired: app, stale: false } : undefined,
    summarize: (cluster) => summarized.push(cluster),
    log: (line) => logged.push(line),
  });
});
afterEach(async () => {
  feed.close();
  await store.close();
});

const failing = { ...packStatus('failed'), message: `image pull failed: ${secret}` };

describe('Feed', () => {
  it("sends a stored pack status as the pack's view, redacted, live and on replay, then the cluster's summary", async () => {
    const live: HubEvent[] = [];
    feed.subscribe((e) => live.push(e));
    await store.packStatus.record({ cluster: 'prod', pack: app.pack.name, status: failing });
    await store.packStatus.record({ cluster: 'prod', pack: 'other', status: failing });

    const replayed = await feed.eventsSince(0, { cluster: 'prod' });
    for (const events of [live, replayed]) {
      const mine = events.filter((e) => e.pack === app.pack.name);
      expect(mine.length).toBeGreaterThan(0);
      expect(JSON.stringify(mine)).not.toContain(secret);
      expect(mine.every((e) => typeof e.id === 'number' && e.cluster === 'prod')).toBe(true);
      expect(mine.find((e) => e.kind === 'pack.status')?.data).toMatchObject({
        name: app.pack.name,
        profile: 'monitoring',
        order: app.order,
        phase: 'failed',
        color: 'red',
      });
      // A pack the hub no longer runs has no redactor: its event passes as stored (the writer redacted it),
      // with no place in the install order.
      const other = events.filter((e) => e.pack === 'other');
      expect(JSON.stringify(other)).toContain(secret);
      expect(other.find((e) => e.kind === 'pack.status')?.data).toMatchObject({ order: -1, phase: 'failed' });
    }
    // Each write changed the cluster's packs: its summary follows (the fleet builds it).
    expect(summarized).toEqual(['prod', 'prod']);
  });

  it('delivers to every listener when one throws, logs the failure, and stops after unsubscribe', () => {
    const got: string[] = [];
    feed.subscribe(() => {
      throw new Error('listener broke');
    });
    const unsubscribe = feed.subscribe((e) => got.push(e.kind));
    const event: HubEvent = {
      kind: 'cluster.connection',
      cluster: 'prod',
      time: '2026-01-01T00:00:00.000Z',
      data: { reachable: false, error: 'connection refused' },
    };
    feed.emit(event);
    unsubscribe();
    feed.emit(event);
    expect(got).toEqual(['cluster.connection']);
    expect(logged).toEqual([
      'strata: an event listener failed: listener broke',
      'strata: an event listener failed: listener broke',
    ]);
  });
});
