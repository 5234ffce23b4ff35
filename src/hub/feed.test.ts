// The feed on its own, over a real (in-memory SQLite) store: what a listener gets, live and replayed, and that
// one failing listener neither stops the others nor reaches the store.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Redactor } from '../profile/index.js';
import { createStore, type Store } from '../store/index.js';
import { packStatus } from '../store/testing/fixtures.js';
import { Feed, type HubEvent } from './feed.js';

let store: Store;
let feed: Feed;
const logged: string[] = [];
const secret = 's3cr3t-value';

beforeEach(async () => {
  store = await createStore({ url: ':memory:', secretKey: randomBytes(32) });
  await store.clusters.create({ name: 'prod', kubeconfig: 'k' });
  logged.length = 0;
  feed = new Feed(
    store,
    (cluster, pack) => (cluster === 'prod' && pack === 'app' ? new Redactor([secret]) : undefined),
    (line) => logged.push(line),
  );
});
afterEach(async () => {
  feed.close();
  await store.close();
});

const failing = { ...packStatus('failed'), message: `image pull failed: ${secret}` };

describe('Feed', () => {
  it("redacts a stored pack event with its pack's redactor, live and on replay", async () => {
    const live: HubEvent[] = [];
    feed.subscribe((e) => live.push(e));
    await store.packStatus.record({ cluster: 'prod', pack: 'app', status: failing });
    await store.packStatus.record({ cluster: 'prod', pack: 'other', status: failing });

    const replayed = await feed.eventsSince(0, { cluster: 'prod' });
    for (const events of [live, replayed]) {
      const app = events.filter((e) => 'pack' in e && e.pack === 'app');
      expect(app.length).toBeGreaterThan(0);
      expect(JSON.stringify(app)).not.toContain(secret);
      expect(app.every((e) => typeof e.id === 'number' && e.cluster === 'prod')).toBe(true);
      // A pack the hub no longer runs has no redactor: its event passes as stored (the writer redacted it).
      expect(JSON.stringify(events.filter((e) => 'pack' in e && e.pack === 'other'))).toContain(secret);
    }
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
