// Cluster leases and fenced status writes (issue 16), on SQLite and on PostgreSQL (a real server from
// testenv/postgres). Two replicas are two holder names on one store with one clock the test moves.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectStoreError } from './cases/expect-error.js';
import { StoreErrorCode } from './errors.js';
import { backends, PostgresBackend } from './testing/backends.js';
import { packStatus } from './testing/fixtures.js';

const TTL = 10_000;

describe.each(backends())('cluster leases on $name', (env) => {
  beforeAll(() => env.setup());
  afterAll(() => env.teardown());
  afterEach(() => env.closeAll());

  let clock = new Date('2026-03-01T10:00:00.000Z');
  const now = () => clock;
  const advance = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };

  it('gives a free lease to the first replica, refuses another until it expires, then hands it over with the next epoch', async () => {
    const { store } = await env.open({ now });
    await store.clusters.create({ name: 'prod', kubeconfig: 'k' });

    const a = await store.leases.acquire('prod', 'replica-a', TTL);
    expect(a).toMatchObject({ cluster: 'prod', holder: 'replica-a', epoch: 1 });
    expect(await store.leases.acquire('prod', 'replica-b', TTL)).toBeUndefined();
    // The holder renews: same epoch, later expiry.
    advance(TTL / 2);
    const state = { reachable: true, server: 'https://prod:6443', context: 'admin@prod' };
    expect(await store.leases.renew('prod', { holder: 'replica-a', epoch: 1 }, TTL, state)).toBe(true);
    expect((await store.leases.list())[0]?.state).toEqual(state);
    advance(TTL / 2 + 1);
    expect(await store.leases.acquire('prod', 'replica-b', TTL)).toBeUndefined();

    advance(TTL);
    const b = await store.leases.acquire('prod', 'replica-b', TTL);
    expect(b).toMatchObject({ holder: 'replica-b', epoch: 2 });
    // What the old holder knew of the cluster is not the new one's.
    expect((await store.leases.list())[0]?.state).toBeUndefined();
    // The old holder cannot renew what it lost, nor release it from under the new one.
    expect(await store.leases.renew('prod', { holder: 'replica-a', epoch: 1 }, TTL)).toBe(false);
    await store.leases.release('prod', { holder: 'replica-a', epoch: 1 });
    expect(await store.leases.list()).toMatchObject([{ cluster: 'prod', holder: 'replica-b', epoch: 2 }]);

    // A release lets another replica take it at once, with the next epoch.
    await store.leases.release('prod', { holder: 'replica-b', epoch: 2 });
    expect((await store.leases.list())[0]?.holder).toBeUndefined();
    expect(await store.leases.acquire('prod', 'replica-a', TTL)).toMatchObject({ epoch: 3 });
  });

  it('refuses a status write made under a stale epoch, in the transaction that would write it', async () => {
    const { store, url } = await env.open({ now });
    await store.clusters.create({ name: 'prod', kubeconfig: 'k' });
    await store.leases.acquire('prod', 'replica-a', TTL);
    const stale = { holder: 'replica-a', epoch: 1 };
    await store.packStatus.record({
      cluster: 'prod',
      pack: 'web',
      status: packStatus('processing'),
      fence: stale,
    });

    // replica-a is paused past its expiry; replica-b takes the cluster over and writes.
    advance(TTL + 1);
    await store.leases.acquire('prod', 'replica-b', TTL);
    await store.packStatus.record({
      cluster: 'prod',
      pack: 'web',
      status: packStatus('success'),
      fence: { holder: 'replica-b', epoch: 2 },
    });
    const before = await env.query(url, 'select count(*) as n from events');

    // replica-a resumes: each of its late writes is refused and leaves nothing behind.
    const error = await expectStoreError(
      store.packStatus.record({ cluster: 'prod', pack: 'web', status: packStatus('failed'), fence: stale }),
      StoreErrorCode.LeaseLost,
    );
    expect(error.message).toContain('cluster prod');
    expect(error.message).toContain('epoch 1');
    expect(error.message).toContain('held by replica replica-b');
    await expectStoreError(
      store.packStatus.recordMany([
        { cluster: 'prod', pack: 'db', status: packStatus('failed'), fence: stale },
      ]),
      StoreErrorCode.LeaseLost,
    );
    await expectStoreError(
      store.packStatus.remove('prod', 'web', { fence: stale }),
      StoreErrorCode.LeaseLost,
    );

    expect(await env.query(url, 'select count(*) as n from events')).toEqual(before);
    // Each fenced event keeps its epoch: per cluster they never go down in id order.
    const epochs = await env.query(
      url,
      "select lease_epoch from events where cluster = 'prod' and kind <> 'cluster.registered' order by id",
    );
    const list = epochs.map((e) => Number(e.lease_epoch));
    expect(new Set(list)).toEqual(new Set([1, 2]));
    expect(list).toEqual([...list].sort((a, b) => a - b));
    expect((await store.packStatus.get('prod', 'web'))?.phase).toBe('success');
    expect(await store.packStatus.get('prod', 'db')).toBeUndefined();
    // Unfenced writes (one hub, no leases) are as before.
    await store.packStatus.record({ cluster: 'prod', pack: 'web', status: packStatus('failed') });
    expect((await store.packStatus.get('prod', 'web'))?.phase).toBe('failed');
  });

  it('counts replicas alive by their heartbeat', async () => {
    const { store } = await env.open({ now });
    await store.leases.heartbeat({ id: 'replica-a', address: 'http://a' });
    advance(3000);
    await store.leases.heartbeat({ id: 'replica-b', address: 'http://b' });
    expect((await store.leases.liveReplicas(5000)).map((r) => r.id)).toEqual(['replica-a', 'replica-b']);
    advance(3000);
    expect((await store.leases.liveReplicas(5000)).map((r) => r.id)).toEqual(['replica-b']);
    await store.leases.removeReplica('replica-b');
    expect(await store.leases.liveReplicas(5000)).toEqual([]);
  });

  it('drops a cluster’s lease with the cluster', async () => {
    const { store } = await env.open({ now });
    await store.clusters.create({ name: 'gone', kubeconfig: 'k' });
    await store.leases.acquire('gone', 'replica-a', TTL);
    await store.clusters.delete('gone');
    expect(await store.leases.list()).toEqual([]);
    expect(await store.leases.renew('gone', { holder: 'replica-a', epoch: 1 }, TTL)).toBe(false);
  });
});

describe('a paused replica’s open transaction on PostgreSQL', () => {
  const env = new PostgresBackend();
  beforeAll(() => env.setup());
  afterAll(() => env.teardown());

  it('is ended by the server, so its lease row lock does not stop a takeover', async () => {
    let clock = new Date('2026-03-01T10:00:00.000Z');
    const a = await env.open({ now: () => clock, stalledTransactionTimeoutMs: 500 });
    const b = await env.open({ url: a.url, secretKey: a.key, now: () => clock });
    await a.store.clusters.create({ name: 'prod', kubeconfig: 'k' });
    await a.store.leases.acquire('prod', 'replica-a', TTL);
    // Replica a renews inside a transaction (the lease row locked) and then stops talking to the database, as
    // a SIGSTOP would leave it: here it waits for b's takeover, which needs that row.
    let takeover: Promise<unknown> = Promise.resolve();
    const stalled = a.store.transaction(async (tx) => {
      await tx.leases.renew('prod', { holder: 'replica-a', epoch: 1 }, TTL);
      clock = new Date(clock.getTime() + 2 * TTL);
      takeover = b.store.leases.acquire('prod', 'replica-b', TTL);
      await takeover;
    });
    // Without the server's timeout each would wait for the other for ever (the test's own timeout).
    await expect(stalled).rejects.toThrow();
    expect(await takeover).toMatchObject({ holder: 'replica-b', epoch: 2 });
    await env.closeAll();
  });
});
