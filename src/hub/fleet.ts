// The clusters the hub runs: one runtime per registered cluster (its kube client and its runner), what each
// runner reports (stored by the status writer, published through the injected `emit`), and the cluster views.
import { ClusterRunner, type DesiredPack, type RunnerEvent } from '../engine/index.js';
import type { KubeClient, WatchAccount, WatchBudget } from '../kube/index.js';
import { shownKubeText } from '../kube/shown-url.js';
import { noRedaction, type Redactor } from '../profile/index.js';
import type { HealthRuleSpec, PackStatus } from '../status/index.js';
import { toPackStatus, type ClusterRecord, type LeaseFence, type Store } from '../store/index.js';
import type { ClusterAccess } from './access.js';
import { guardedKube, type DrivenElsewhere } from './leases.js';
import { HubError, HubErrorCode, message, notFound } from './errors.js';
import type { Emit } from './feed.js';
import { clusterSummary, type PackContext } from './stream-events.js';
import type { Planner } from './planner.js';
import { countPhases, needingAttention } from './present.js';
import { storedRenderCache } from './render-cache.js';
import { StatusWriter } from './status-writer.js';
import { AgentRunner, type HubRunner } from './agents-runner.js';
import { RateWindow } from './rate-window.js';
import type { ClusterView, DriftView } from './views.js';

export interface ClusterRuntime {
  readonly record: ClusterRecord;
  /** Undefined for an agent cluster: the hub holds no credentials for it and never connects to it. */
  readonly kube: KubeClient | undefined;
  /** A ClusterRunner, or for an agent cluster the AgentRunner standing in for the agent (agents-runner.ts). */
  readonly runner: HubRunner;
  reachable: boolean;
  error?: string;
  /** Every pack the runner may still report on, including ones being removed, for the page. */
  readonly known: Map<string, DesiredPack>;
  /** The last drift seen per pack since the hub started (the audit log keeps them all). */
  readonly drift: Map<string, DriftView>;
  /** The cluster lease the runner runs under (hub replicas): its status writes carry it. */
  readonly fence?: LeaseFence;
  /** The cluster's part of the hub's watch budget while its runner runs (hub-driven clusters). */
  readonly watchAccount?: WatchAccount;
}

/** Hub replicas: the lease a runner is started under, and the check before each of its writes to the cluster. */
export interface DrivingLease {
  readonly fence: LeaseFence;
  /** Throws while the lease cannot be trusted to be held (see leases.ts): no apply or delete then. */
  readonly guard: () => void;
}

export interface FleetOptions {
  readonly store: Store;
  readonly helmBin: string;
  readonly access: ClusterAccess;
  readonly planner: Planner;
  readonly emit: Emit;
  readonly log: (message: string) => void;
  /** Hub replicas: what the replica driving a cluster this one does not run says of it. */
  readonly elsewhere?: (cluster: string) => DrivenElsewhere | undefined;
  /**
   * What every cluster's list+watch may hold in this process, all clusters together, each with its share
   * (kube/watch-budget.ts). Absent: each watched kind is bounded on its own only (tests).
   */
  readonly watchBudget?: WatchBudget;
}

/** Drift audit records a cluster may write per minute (RateWindow); the drift itself is always shown. */
export const DRIFT_AUDITS_PER_MINUTE = 60;

/** The longest drift message kept and shown: the hub's own are one line; an agent's is cut here. */
export const DRIFT_MESSAGE_MAX = 1024;

export class Fleet {
  private readonly runtimes = new Map<string, ClusterRuntime>();
  /**
   * Clusters whose stored kubeconfig the hub's rules now refuse: why, and what to do (ClusterAccess.storedRefusal),
   * by the record's id, so a cluster removed and added again under its name (on another replica) is not shown so.
   */
  private readonly refused = new Map<string, { readonly id: string; readonly why: string }>();
  /** Watch accounts openWatchAccounts opened for clusters not started yet. */
  private readonly opened = new Map<string, WatchAccount>();
  private readonly driftAudits = new RateWindow(DRIFT_AUDITS_PER_MINUTE, 60_000);
  private readonly writer: StatusWriter;
  /** The cluster-wide health rules in force (health-rules.ts), for every runner, also those started later. */
  private healthRules: readonly HealthRuleSpec[] = [];

  constructor(private readonly options: FleetOptions) {
    this.writer = new StatusWriter(options.store, (error) => {
      options.log(`strata: could not store a pack status: ${message(error)}`);
    });
  }

  /** The cluster's runtime; a NOT_FOUND HubError when the hub does not run it. */
  runtime(cluster: string): ClusterRuntime {
    const runtime = this.runtimes.get(cluster);
    if (!runtime) throw notFound('cluster', cluster);
    return runtime;
  }

  setClusterHealthRules(specs: readonly HealthRuleSpec[]): void {
    this.healthRules = specs;
    for (const runtime of this.runtimes.values()) runtime.runner.setClusterHealthRules(specs);
  }

  has(cluster: string): boolean {
    return this.runtimes.has(cluster);
  }

  /** The names of the clusters the hub runs. */
  clusters(): string[] {
    return [...this.runtimes.keys()];
  }

  /** The pack's current redactor, while the hub runs it. */
  redactor(cluster: string, pack: string): Redactor | undefined {
    return this.runtimes.get(cluster)?.known.get(pack)?.redactor;
  }

  /** What the stream builds a pack's view from: its place and redactor, the cluster's state, its drift. */
  packContext(cluster: string, pack: string): PackContext | undefined {
    const runtime = this.runtimes.get(cluster);
    const desired = runtime?.known.get(pack);
    if (!runtime || !desired) return undefined;
    const drift = runtime.drift.get(pack);
    return {
      desired,
      stale: !runtime.reachable,
      ...(drift ? { drift } : {}),
      warnings: (ref) => runtime.runner.recentWarnings(ref),
    };
  }

  /** Sends the cluster's rollup (colour, counts, reachability) after a change of its packs or its connection. */
  publishSummary(cluster: string): void {
    const runtime = this.runtimes.get(cluster);
    // Driven by another replica: its view comes from the stored statuses and what that replica says.
    if (!runtime && !this.options.elsewhere) return;
    (runtime ? Promise.resolve(runtime.record) : this.options.store.clusters.get(cluster))
      .then((record) => (record ? this.clusterView(record) : undefined))
      .then((view) => {
        if (!view) return;
        this.options.emit({
          kind: 'cluster.summary',
          cluster,
          time: new Date().toISOString(),
          data: clusterSummary(view),
        });
      })
      .catch((error: unknown) => {
        this.options.log(`strata: cluster ${cluster}: could not publish its summary: ${message(error)}`);
      });
  }

  /**
   * Opens the watch budget's account of each cluster the hub will drive (not those an agent drives), before
   * any of them starts: were they opened one start after another, the first could borrow what the later ones'
   * reserves are owed before they exist (review 20, HIGH-1). start() takes the account opened here; call
   * closeUnstartedAccounts() once the clusters started, for those that could not.
   */
  async openWatchAccounts(records: readonly ClusterRecord[]): Promise<void> {
    const budget = this.options.watchBudget;
    if (!budget) return;
    for (const record of records) {
      if (this.opened.has(record.name) || (await this.options.store.agents.get(record.name))) continue;
      this.opened.set(record.name, budget.account(record.name));
    }
  }

  /** Closes the accounts openWatchAccounts opened for clusters that did not start (their reserves go back). */
  closeUnstartedAccounts(): void {
    for (const account of this.opened.values()) account.close();
    this.opened.clear();
  }

  /** Starts the cluster's runner; under `lease` (hub replicas) its applies and status writes are fenced. */
  async start(record: ClusterRecord, lease?: DrivingLease): Promise<void> {
    const { store } = this.options;
    const agent = await store.agents.get(record.name);
    const kube = agent
      ? undefined
      : await this.kubeFor(record).catch((error: unknown) => this.refuse(record, error));
    this.refused.delete(record.name);
    const initial = new Map<string, PackStatus>();
    for (const stored of await store.packStatus.list(record.name)) {
      const status = toPackStatus(stored, await store.history.transitions(record.name, stored.pack));
      initial.set(stored.pack, status);
      this.writer.known(record.name, stored.pack, status);
    }
    const opened = this.opened.get(record.name);
    this.opened.delete(record.name);
    if (!kube) opened?.close();
    const watchAccount = kube && (opened ?? this.options.watchBudget?.account(record.name));
    const runtime: ClusterRuntime = {
      record,
      kube,
      ...(watchAccount ? { watchAccount } : {}),
      reachable: true,
      known: new Map(),
      drift: new Map(),
      ...(lease ? { fence: lease.fence } : {}),
      runner: kube
        ? new ClusterRunner({
            cluster: record.name,
            kube: lease ? guardedKube(kube, lease.guard) : kube,
            helmBin: this.options.helmBin,
            renderCache: storedRenderCache(store, record.name, this.options.log),
            driftPolicy: record.driftPolicy,
            initial,
            ...(watchAccount ? { watchBudget: watchAccount } : {}),
            log: (line) => {
              this.options.log(`strata: cluster ${record.name}: ${line}`);
            },
            onEvent: (event) => {
              this.onRunnerEvent(runtime, event);
            },
          })
        : new AgentRunner({
            cluster: record.name,
            driftPolicy: record.driftPolicy,
            initial,
            ...(agent?.lastSeenAt === undefined ? {} : { lastSeenAt: agent.lastSeenAt }),
            onEvent: (event) => {
              this.onRunnerEvent(runtime, event);
            },
          }),
    };
    this.runtimes.set(record.name, runtime);
    runtime.runner.setClusterHealthRules(this.healthRules);
    // Not awaited: an unreachable cluster keeps retrying in the background and reports it as it goes.
    runtime.runner.start().catch((error: unknown) => {
      runtime.reachable = false;
      runtime.error = shownKubeText(message(error));
      this.options.emit({
        kind: 'cluster.connection',
        cluster: record.name,
        time: new Date().toISOString(),
        data: { reachable: false, error: runtime.error },
      });
      this.publishSummary(record.name);
    });
    try {
      const plan = await this.options.planner.plan(record.name);
      this.setDesired(runtime, plan.desired);
      this.options.planner.keep(record.name, plan);
    } catch (error) {
      runtime.error = shownKubeText(message(error));
      this.options.log(`strata: cluster ${record.name}: ${runtime.error}`);
    }
  }

  /**
   * A client for the cluster's stored kubeconfig. Stored kubeconfigs are held to the same rules as new ones:
   * one stored before they existed, or before an admin withdrew a plugin or denied a range, does not start.
   */
  private async kubeFor(record: ClusterRecord): Promise<KubeClient> {
    const { store, access } = this.options;
    const credentials = await store.clusters.getCredentials(record.name);
    const kube = access.client(record.name, credentials.kubeconfig, credentials.context);
    try {
      await access.checkOutbound(kube, record.name);
    } catch (error) {
      await kube.close();
      throw error;
    }
    return kube;
  }

  /**
   * A stored kubeconfig the hub's rules now refuse (an exec argument, plugin or address allowed when it was
   * added) is the cluster's status, shown with it until it is replaced, not only a line in the hub's log; then
   * rethrown (the cluster does not start).
   */
  private refuse(record: ClusterRecord, error: unknown): never {
    const refusal = this.options.access.storedRefusal(record.name, error);
    if (refusal === undefined) throw error;
    const why = shownKubeText(refusal);
    this.refused.set(record.name, { id: record.id, why });
    this.options.emit({
      kind: 'cluster.connection',
      cluster: record.name,
      time: new Date().toISOString(),
      data: { reachable: false, error: why },
    });
    this.publishSummary(record.name);
    throw new HubError(HubErrorCode.KubeconfigInvalid, why, { cause: error });
  }

  /**
   * Reads a cluster this hub does not run (hub replicas: another replica drives it) with a client of its own,
   * from its stored credentials held to the same rules as a runner's, closed after `read`. Reading needs no
   * lease: only writes to a cluster are fenced.
   */
  async readElsewhere<T>(record: ClusterRecord, read: (kube: KubeClient) => Promise<T>): Promise<T> {
    const kube = await this.kubeFor(record);
    try {
      return await read(kube);
    } finally {
      await kube.close();
    }
  }

  /** Stops the cluster's runner and waits until every status it reported is stored. */
  async stop(cluster: string): Promise<void> {
    const runtime = this.runtimes.get(cluster);
    if (runtime) {
      runtime.runner.stop();
      runtime.watchAccount?.close();
      await runtime.kube?.close();
      this.runtimes.delete(cluster);
    }
    this.refused.delete(cluster);
    // What the planner kept of the cluster's attachments shares the stopped runner's packs: not kept past it.
    this.options.planner.forget(cluster);
    await this.writer.drain();
  }

  async close(): Promise<void> {
    for (const runtime of this.runtimes.values()) {
      runtime.runner.stop();
      runtime.watchAccount?.close();
      await runtime.kube?.close();
    }
    this.runtimes.clear();
    await this.writer.drain();
  }

  /** How many status writes of the cluster have failed so far (StatusWriter.failures): compared around a flush. */
  writeFailures(cluster: string): number {
    return this.writer.failures(cluster);
  }

  /** Resolves once every status change so far is stored or has failed (tests, shutdown). */
  flush(): Promise<void> {
    return this.writer.drain();
  }

  setDesired(runtime: ClusterRuntime, desired: readonly DesiredPack[]): void {
    for (const d of desired) runtime.known.set(d.pack.name, d);
    runtime.runner.setDesired(desired);
  }

  async clusterView(record: ClusterRecord): Promise<ClusterView> {
    const runtime = this.runtimes.get(record.name);
    const list = runtime
      ? runtime.runner.statuses().map((s) => ({ pack: s.pack, ...s.status }))
      : await this.options.store.packStatus.list(record.name);
    const { phase, counts, packs } = countPhases(list.map((s) => s.phase));
    const elsewhere = runtime ? undefined : this.options.elsewhere?.(record.name);
    const refused = this.refused.get(record.name);
    const error = runtime
      ? runtime.error
      : elsewhere?.error !== undefined
        ? shownKubeText(elsewhere.error) // another replica's, from its lease (it may run an older version)
        : refused?.id === record.id
          ? refused.why
          : undefined;
    return {
      name: record.name,
      server: runtime?.kube?.server ?? elsewhere?.server ?? '',
      context: runtime?.kube?.context ?? elsewhere?.context ?? '',
      ...(runtime?.runner instanceof AgentRunner
        ? { agent: runtime.runner.connection() }
        : elsewhere?.agent
          ? { agent: elsewhere.agent }
          : {}),
      driftPolicy: record.driftPolicy,
      createdAt: record.createdAt,
      reachable: runtime?.reachable ?? elsewhere?.reachable ?? false,
      ...(error ? { error } : {}),
      ...(runtime?.fence
        ? { driver: runtime.fence.holder }
        : elsewhere?.driver
          ? { driver: elsewhere.driver }
          : {}),
      phase,
      counts,
      packs,
      attention: needingAttention(list),
    };
  }

  private onRunnerEvent(runtime: ClusterRuntime, event: RunnerEvent): void {
    const cluster = runtime.record.name;
    switch (event.type) {
      case 'PackStatusChanged':
        this.writer.status(
          cluster,
          event.pack,
          event.status,
          runtime.known.get(event.pack)?.redactor ?? noRedaction,
          runtime.fence,
        );
        return;
      case 'PackRemoved':
        runtime.known.delete(event.pack);
        runtime.drift.delete(event.pack);
        this.writer.removed(cluster, event.pack, runtime.fence);
        return;
      case 'DriftDetected': {
        const redactor = runtime.known.get(event.pack)?.redactor;
        const drift: DriftView = {
          time: event.time,
          // Names and managers read from the cluster: shown as any cluster text is (no control characters, no
          // URL user-info), as the audit log shows it when read.
          message: shownKubeText(redactor ? redactor.redact(event.message) : event.message, {
            max: DRIFT_MESSAGE_MAX,
          }),
          correcting: event.correcting,
        };
        runtime.drift.set(event.pack, drift);
        this.options.emit({ kind: 'pack.drift', cluster, pack: event.pack, time: event.time, data: drift });
        // The audit log keeps every record: an agent (or whoever holds its token) reporting drift in a loop
        // gets DRIFT_AUDITS_PER_MINUTE records a minute per cluster, and the log says how many it left out.
        const budget = this.driftAudits.take(cluster);
        if (budget.droppedBefore > 0) {
          this.options.log(
            `strata: cluster ${cluster}: ${budget.droppedBefore} drift reports in a minute were not written to the audit log (over ${DRIFT_AUDITS_PER_MINUTE})`,
          );
        }
        if (!budget.allowed) return;
        void this.options.store.audit
          .record({
            actor: { name: 'strata' },
            action: 'pack.drift',
            target: `cluster/${cluster}/pack/${event.pack}`,
            details: { message: drift.message, correcting: drift.correcting },
          })
          .catch((error: unknown) => {
            this.options.log(`strata: could not record drift: ${message(error)}`);
          });
        return;
      }
      case 'ConnectionChanged': {
        // What the API server, a proxy or the network said (a runner's) or what an agent sent: every viewer reads it.
        const error = event.error ? shownKubeText(event.error) : undefined;
        runtime.reachable = event.reachable;
        if (error) runtime.error = error;
        else delete runtime.error;
        this.options.emit({
          kind: 'cluster.connection',
          cluster,
          time: event.time,
          data: { reachable: event.reachable, ...(error ? { error } : {}) },
        });
        this.publishSummary(cluster);
        return;
      }
    }
  }
}

/** The runner no longer reports on the pack: it is removed (or being removed). */
export function isRemoved(runtime: ClusterRuntime, desired: DesiredPack): boolean {
  return !runtime.runner.statuses().some((s) => s.pack === desired.pack.name);
}
