// The replica coordinator's rounds over a real (in-memory SQLite) store, with a fake fleet that records which
// replica runs each cluster and flags a second runner, and clocks the test moves: no timers, no sleeps.
import { afterEach, describe, expect, it } from 'vitest';
import { createStore, type ClusterRecord, type Store } from '../store/index.js';
import { newKey } from '../store/testing/fixtures.js';
import type { ClusterRuntime, DrivingLease } from './fleet.js';
import { DEFAULT_LEASE_TIMING, LeaseExpiredError, rendezvousOwner } from './leases.js';
import { ReplicaCoordinator, type ReplicaFleet } from './replica.js';

/** Which replica runs each cluster, across all fake fleets; a second start on a running cluster is a violation. */
class World {
  readonly running = new Map<string, string>();
  readonly violations: string[] = [];
}

class FakeFleet implements ReplicaFleet {
  readonly guards = new Map<string, () => void>();
  readonly epochs = new Map<string, number>();
  /** What the fake runners say of their clusters' connection. */
  reachable = true;

  constructor(
    private readonly id: string,
    private readonly world: World,
  ) {}

  start(record: ClusterRecord, lease?: DrivingLease): Promise<void> {
    const other = this.world.running.get(record.name);
    if (other !== undefined)
      this.world.violations.push(`${record.name}: ${this.id} started while ${other} runs`);
    this.world.running.set(record.name, this.id);
    if (lease) {
      this.guards.set(record.name, lease.guard);
      this.epochs.set(record.name, lease.fence.epoch);
    }
    return Promise.resolve();
  }

  stop(cluster: string): Promise<void> {
    if (this.world.running.get(cluster) === this.id) this.world.running.delete(cluster);
    this.guards.delete(cluster);
    return Promise.resolve();
  }

  has(cluster: string): boolean {
    return this.world.running.get(cluster) === this.id;
  }

  runtime(): ClusterRuntime {
    return {
      reachable: this.reachable,
      kube: { server: 'https://x:6443', context: 'x' },
    } as unknown as ClusterRuntime;
  }
}

let wall = Date.parse('2026-03-01T10:00:00.000Z');
let mono = 1_000_000;
const advance = (ms: number) => {
  wall += ms;
  mono += ms;
};
const stores: Store[] = [];

async function setup(clusters: readonly string[]) {
  const store = await createStore({ url: ':memory:', secretKey: newKey(), now: () => new Date(wall) });
  stores.push(store);
  for (const name of clusters) await store.clusters.create({ name, kubeconfig: 'k' });
  const world = new World();
  const replica = (id: string) => {
    const fleet = new FakeFleet(id, world);
    const changes: string[] = [];
    const coordinator = new ReplicaCoordinator(
      store,
      fleet,
      { id, address: `http://${id}`, monotonic: () => mono },
      () => undefined,
      (cluster, lease) => changes.push(`${cluster} ${lease.holder ?? '-'} ${String(lease.state?.reachable)}`),
    );
    return { id, fleet, coordinator, changes };
  };
  return { store, world, replica };
}

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

const CLUSTERS = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8'];

describe('hub replicas', () => {
  it('spread clusters over the live replicas, one runner each, and move them when one joins and when one leaves', async () => {
    const { world, replica } = await setup(CLUSTERS);
    const a = replica('replica-a');
    const b = replica('replica-b');
    await a.coordinator.round();
    expect([...world.running.values()]).toEqual(CLUSTERS.map(() => 'replica-a'));

    // b joins: its clusters stay with a until a hands them over (runner stopped, then released).
    await b.coordinator.round();
    expect([...world.running.values()].every((id) => id === 'replica-a')).toBe(true);
    await a.coordinator.round();
    await b.coordinator.round();
    for (const name of CLUSTERS) {
      expect(world.running.get(name), name).toBe(rendezvousOwner(name, ['replica-a', 'replica-b']));
    }
    expect(new Set(world.running.values())).toEqual(new Set(['replica-a', 'replica-b']));
    // A cluster that moved was taken with the next epoch.
    const moved = CLUSTERS.find((name) => world.running.get(name) === 'replica-b') as string;
    expect(b.fleet.epochs.get(moved)).toBe(2);
    // A request about it reaching a before its next round still finds the driver (read from the database).
    expect(a.coordinator.driverOf(moved)).toBeUndefined();
    expect(await a.coordinator.locate(moved)).toMatchObject({ id: 'replica-b', address: 'http://replica-b' });
    // What a replica says of a cluster driven elsewhere is as of its last round, after the driver renewed.
    await b.coordinator.round();
    await a.coordinator.round();
    expect(a.coordinator.report().clusters.find((c) => c.cluster === moved)?.driver).toBe('replica-b');
    expect(a.coordinator.elsewhere(moved)).toMatchObject({ driver: 'replica-b', reachable: true });
    // ... and a was told, so its streams get the cluster's new summary and connection state.
    expect(a.changes).toContain(`${moved} replica-b true`);

    // b leaves cleanly: its leases are released at once and a takes everything on its next round.
    await b.coordinator.close();
    await a.coordinator.round();
    expect([...world.running.values()]).toEqual(CLUSTERS.map(() => 'replica-a'));
    expect(world.violations).toEqual([]);
  });

  it('stop writing to a cluster before the lease can expire when it is not renewed; the other replica takes it after expiry', async () => {
    const { world, replica, store } = await setup(['x']);
    const paused = replica('replica-a');
    const other = replica('replica-b');
    await paused.coordinator.round();
    await other.coordinator.round();
    // Whoever the hashing prefers, the first replica holds x until its lease moves.
    expect(world.running.get('x')).toBe('replica-a');
    const guard = paused.fleet.guards.get('x') as () => void;
    const { ttlMs, marginMs } = DEFAULT_LEASE_TIMING;

    // replica-a stops renewing (paused): just before its local deadline it may still write, just after not.
    advance(ttlMs - marginMs - 1);
    expect(guard).not.toThrow();
    advance(2);
    expect(guard).toThrow(LeaseExpiredError);
    // Not yet expired by the database's count: nobody may take it.
    await other.coordinator.round();
    expect(world.running.get('x')).toBe('replica-a');
    // The watchdog stops the runner (before the expiry).
    paused.coordinator.checkDeadlines();
    await Promise.resolve();
    expect(world.running.has('x')).toBe(false);

    advance(marginMs);
    await other.coordinator.round();
    expect(world.running.get('x')).toBe('replica-b');
    expect(other.fleet.epochs.get('x')).toBe(2);

    // replica-a resumes: it holds nothing, may want x back by the hashing, but must wait for a hand-over.
    await paused.coordinator.round();
    expect(world.running.get('x')).toBe('replica-b');
    expect((await store.leases.list())[0]).toMatchObject({ holder: 'replica-b', epoch: 2 });
    expect(world.violations).toEqual([]);
  });

  it('refresh puts what the driver knows of its clusters in their leases now, for the others to read at once', async () => {
    const { store, replica } = await setup(['x']);
    const a = replica('replica-a');
    const b = replica('replica-b');
    await a.coordinator.round();
    await b.coordinator.round();
    // The state is the holder's from its first renewal on.
    await a.coordinator.round();
    await b.coordinator.round();
    expect(b.changes).toEqual(['x replica-a undefined', 'x replica-a true']);
    // The driver's runner finds the cluster unreachable: without waiting for its next round (no timers here).
    a.fleet.reachable = false;
    await a.coordinator.refresh();
    expect((await store.leases.list())[0]?.state?.reachable).toBe(false);
    // Told so (leasesChanged), the other replica reads the leases and re-sends the cluster's connection.
    await b.coordinator.refresh();
    expect(b.changes).toEqual(['x replica-a undefined', 'x replica-a true', 'x replica-a false']);
  });
});
