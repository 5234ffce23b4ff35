// One hub replica among several on one PostgreSQL (issue 16): it heartbeats, and every `renewMs` decides which
// clusters it should drive (rendezvous hashing over the replicas with a fresh heartbeat), takes their leases,
// renews them, and hands over the ones that should move (stop the runner, then release). A runner runs only
// under a held lease; a watchdog stops it before the lease can expire when renewals fail, and every write to
// the cluster is checked against the same local deadline first (leases.ts), so a process resumed after a
// SIGSTOP past its expiry applies nothing. Its late status writes are refused by the store (the epoch).
import { performance } from 'node:perf_hooks';
import type { ClusterRecord, DriverState, LeaseFence, LeaseRecord, Store } from '../store/index.js';
import { AgentRunner } from './agents-runner.js';
import { message } from './errors.js';
import type { Fleet } from './fleet.js';
import {
  DEFAULT_LEASE_TIMING,
  LeaseExpiredError,
  rendezvousOwner,
  type DrivenElsewhere,
  type LeaseTiming,
} from './leases.js';

export interface ReplicaConfig {
  /** Unique among the replicas (serve uses host, pid and a random suffix). */
  readonly id: string;
  /** Where this replica's API listens, shown by /readyz and the UI ('' until it listens). */
  readonly address: string | (() => string);
  readonly timing?: Partial<LeaseTiming>;
  /** A monotonic clock in ms (tests); default performance.now. */
  readonly monotonic?: () => number;
}

/** What the coordinator needs of the fleet: start and stop runners, and what a runner knows of its cluster. */
export type ReplicaFleet = Pick<Fleet, 'start' | 'stop' | 'has' | 'runtime'>;

interface Held {
  readonly fence: LeaseFence;
  /** The monotonic time past which the lease is not trusted: writes are refused and the runner stops. */
  safeUntil: number;
}

/** What /readyz says of the replicas and who drives what. */
export interface ReplicaReport {
  readonly id: string;
  readonly address: string;
  readonly replicas: readonly { readonly id: string; readonly address: string }[];
  readonly clusters: readonly {
    readonly cluster: string;
    readonly driver?: string;
    readonly epoch: number;
    readonly expiresAt: string;
  }[];
}

export class ReplicaCoordinator {
  readonly id: string;
  private readonly addressOf: () => string;
  private readonly timing: LeaseTiming;
  private readonly monotonic: () => number;
  private readonly held = new Map<string, Held>();
  private leases = new Map<string, LeaseRecord>();
  private live: { id: string; address: string }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  /** Clusters whose start failed, so the log says it once, not every tick. */
  private readonly failing = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly fleet: ReplicaFleet,
    config: ReplicaConfig,
    private readonly log: (message: string) => void,
    /**
     * A cluster driven elsewhere changed driver or connection (as of this round): the hub re-sends its summary
     * and connection state, which the driving replica sent only to its own streams.
     */
    private readonly onElsewhereChanged?: (cluster: string, lease: LeaseRecord) => void,
  ) {
    this.id = config.id;
    const { address } = config;
    this.addressOf = typeof address === 'string' ? () => address : address;
    this.timing = { ...DEFAULT_LEASE_TIMING, ...config.timing };
    this.monotonic = config.monotonic ?? (() => performance.now());
  }

  /** The first round (this replica alone drives everything when it returns), then one every `renewMs`. */
  async start(): Promise<void> {
    await this.round();
    this.timer = setInterval(() => {
      this.kick();
    }, this.timing.renewMs);
    this.watchdog = setInterval(
      () => {
        this.checkDeadlines();
      },
      Math.min(250, this.timing.marginMs / 4),
    );
  }

  /** Runs a round soon (a cluster was registered or removed, by any replica). */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.round()
      .catch((error: unknown) => {
        this.log(`strata: replica ${this.id}: lease round failed: ${message(error)}`);
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /**
   * Runs a round now and resolves once it is done: what this replica knows of its clusters' connections is then
   * in their leases (renewed with it), for the others to read.
   */
  async refresh(): Promise<void> {
    this.kick();
    while (this.running) await this.running;
  }

  /** A cluster was just registered through this replica: drive it now if it is this replica's to drive. */
  async admit(_record: ClusterRecord): Promise<void> {
    this.kick();
    await this.running;
  }

  /** The lease fence of a cluster this replica drives. */
  fence(cluster: string): LeaseFence | undefined {
    return this.held.get(cluster)?.fence;
  }

  /** How a cluster this replica does not drive looks from here (as of the last round). */
  elsewhere(cluster: string): DrivenElsewhere | undefined {
    const lease = this.leases.get(cluster);
    if (!lease?.holder || lease.holder === this.id) return {};
    return { driver: lease.holder, ...lease.state };
  }

  /** The live replica holding the cluster's lease, as of the last round (undefined: none, or this one). */
  driverOf(cluster: string): { readonly id: string; readonly address: string } | undefined {
    const holder = this.leases.get(cluster)?.holder;
    if (holder === undefined || holder === this.id) return undefined;
    return this.live.find((r) => r.id === holder);
  }

  get address(): string {
    return this.addressOf();
  }

  /**
   * The replica driving the cluster, read from the database when the last round knew of none (a cluster
   * registered or taken over since): undefined only while no live replica holds its lease.
   */
  async locate(cluster: string): Promise<{ readonly id: string; readonly address: string } | undefined> {
    const known = this.driverOf(cluster);
    if (known) return known;
    const lease = (await this.store.leases.list()).find((l) => l.cluster === cluster);
    if (lease?.holder === undefined || lease.holder === this.id) return undefined;
    const live = await this.store.leases.liveReplicas(this.timing.replicaTtlMs);
    return live.find((r) => r.id === lease.holder && r.address !== '');
  }

  report(): ReplicaReport {
    return {
      id: this.id,
      address: this.address,
      replicas: this.live.map((r) => ({ id: r.id, address: r.address })),
      clusters: [...this.leases.values()].map((l) => ({
        cluster: l.cluster,
        ...(l.holder === undefined ? {} : { driver: l.holder }),
        epoch: l.epoch,
        expiresAt: l.expiresAt,
      })),
    };
  }

  /** Stops every runner, releases their leases (the others take them at once) and leaves the replica set. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.watchdog) clearInterval(this.watchdog);
    await this.running;
    for (const cluster of [...this.held.keys()])
      await this.handOver(cluster, 'this replica is shutting down');
    await this.store.leases.removeReplica(this.id).catch((error: unknown) => {
      this.log(`strata: replica ${this.id}: could not leave the replica set: ${message(error)}`);
    });
  }

  /** Read through a call: close() may run during any await of a round. */
  private isClosed(): boolean {
    return this.closed;
  }

  private guard(cluster: string): void {
    const held = this.held.get(cluster);
    const overdue = held ? this.monotonic() - held.safeUntil : Number.POSITIVE_INFINITY;
    if (overdue > 0) throw new LeaseExpiredError(cluster, held ? overdue : 0);
  }

  /** The watchdog: a lease not renewed in time stops its runner before anyone else may take the cluster. */
  checkDeadlines(): void {
    const now = this.monotonic();
    for (const [cluster, held] of this.held) {
      if (now <= held.safeUntil) continue;
      this.held.delete(cluster);
      void this.fleet.stop(cluster).then(
        () => {
          this.log(
            `strata: replica ${this.id}: cluster ${cluster}: runner stopped: lease not renewed in time`,
          );
        },
        (error: unknown) => {
          this.log(`strata: cluster ${cluster}: could not stop its runner: ${message(error)}`);
        },
      );
    }
  }

  /**
   * One round: heartbeat, then for every cluster take, renew or hand over its lease as the hashing says. Runs
   * every `renewMs` after start() (and on kick()); tests call it directly.
   */
  async round(): Promise<void> {
    if (this.closed) return;
    const { store, timing } = this;
    await store.leases.heartbeat({ id: this.id, address: this.address });
    const live = await store.leases.liveReplicas(timing.replicaTtlMs);
    if (!live.some((r) => r.id === this.id))
      live.push({ id: this.id, address: this.address, startedAt: '', heartbeatAt: '' });
    this.live = live;
    const ids = live.map((r) => r.id);
    const records = await store.clusters.list();
    const names = new Set(records.map((r) => r.name));
    for (const cluster of [...this.held.keys()]) {
      // Removed (by any replica): its lease went with it.
      if (!names.has(cluster)) await this.stopRunner(cluster, 'the cluster was removed');
    }
    for (const record of records) {
      if (this.isClosed()) return;
      const owner = rendezvousOwner(record.name, ids);
      try {
        if (this.held.has(record.name)) {
          if (owner === this.id) await this.renew(record.name);
          else await this.handOver(record.name);
        } else if (owner === this.id) {
          await this.take(record);
        }
      } catch (error) {
        this.log(`strata: replica ${this.id}: cluster ${record.name}: ${message(error)}`);
      }
    }
    const before = this.leases;
    this.leases = new Map((await store.leases.list()).map((l) => [l.cluster, l]));
    for (const [cluster, lease] of this.leases) {
      if (this.held.has(cluster)) continue;
      const old = before.get(cluster);
      if (old?.holder !== lease.holder || noticed(old?.state) !== noticed(lease.state)) {
        this.onElsewhereChanged?.(cluster, lease);
      }
    }
  }

  private async renew(cluster: string): Promise<void> {
    const held = this.held.get(cluster);
    if (!held) return;
    const sent = this.monotonic();
    const renewed = await this.store.leases.renew(
      cluster,
      held.fence,
      this.timing.ttlMs,
      this.driverState(cluster),
    );
    if (renewed) {
      held.safeUntil = sent + this.timing.ttlMs - this.timing.marginMs;
      return;
    }
    await this.stopRunner(cluster, 'its lease was taken over');
  }

  private async take(record: ClusterRecord): Promise<void> {
    const sent = this.monotonic();
    const lease = await this.store.leases.acquire(record.name, this.id, this.timing.ttlMs);
    // Still held by the replica it moves from: that one stops its runner and releases on its next round.
    if (!lease) return;
    const held: Held = {
      fence: { holder: this.id, epoch: lease.epoch },
      safeUntil: sent + this.timing.ttlMs - this.timing.marginMs,
    };
    this.held.set(record.name, held);
    // Logged before the runner starts, and "runner stopped" once it has: the lines bracket everything it does.
    this.log(
      `strata: replica ${this.id}: driving cluster ${record.name} (lease epoch ${String(lease.epoch)})`,
    );
    try {
      await this.fleet.start(record, {
        fence: held.fence,
        guard: () => {
          this.guard(record.name);
        },
      });
      this.failing.delete(record.name);
    } catch (error) {
      if (!this.failing.has(record.name)) {
        this.log(`strata: cluster ${record.name} could not start: ${message(error)}`);
        this.failing.add(record.name);
      }
      await this.handOver(record.name, 'it could not start');
    }
  }

  /** Stops the runner first (its last statuses stored), then releases: never two runners on one cluster. */
  private async handOver(cluster: string, why = 'handed over to another replica'): Promise<void> {
    const held = this.held.get(cluster);
    await this.stopRunner(cluster, why);
    if (held) await this.store.leases.release(cluster, held.fence);
  }

  private async stopRunner(cluster: string, why: string): Promise<void> {
    const held = this.held.delete(cluster);
    await this.fleet.stop(cluster);
    if (held) this.log(`strata: replica ${this.id}: cluster ${cluster}: runner stopped: ${why}`);
  }

  private driverState(cluster: string): DriverState | undefined {
    if (!this.fleet.has(cluster)) return undefined;
    const runtime = this.fleet.runtime(cluster);
    return {
      reachable: runtime.reachable,
      ...(runtime.error ? { error: runtime.error } : {}),
      server: runtime.kube?.server ?? '',
      context: runtime.kube?.context ?? '',
      ...(runtime.runner instanceof AgentRunner ? { agent: runtime.runner.connection() } : {}),
    };
  }
}

/**
 * What of a driver's state is worth telling this replica's streams about when it changes: all of it but the
 * agent's "last seen", which moves at every poll: a summary and a connection event per agent cluster per round
 * would be noise. So this replica's cluster list shows the agent's "last seen" as of the last change it heard
 * of (connected or not, driver, reachability), and the page, served by the driver, shows the current one.
 */
function noticed(state: DriverState | undefined): string {
  if (state?.agent === undefined) return JSON.stringify(state);
  return JSON.stringify({ ...state, agent: { connected: state.agent.connected } });
}
