// The hub: clusters, profiles, attachments, pack status and the live stream, over the store, with one cluster
// runner per registered cluster. Everything the HTTP API does goes through here; nothing here speaks HTTP.
// This class only wires the services (one file each) and delegates to them; dependencies run one way:
//   Hub → Clusters, Profiles, Attachments, Packs → Fleet → Planner, ClusterAccess → store, engine, kube
// and every service publishes through the feed's `emit`, which it is given, never the feed itself.
import type { ProfileIssue } from '../profile/index.js';
import type { PackPhase } from '../status/index.js';
import type { Store } from '../store/index.js';
import { shownKubeText } from '../kube/shown-url.js';
import { defaultWatchBudgetBytes, WatchBudget } from '../kube/index.js';
import { ClusterAccess } from './access.js';
import { Agents, type RegisteredAgentCluster } from './agents.js';
import type { AgentAck, AgentBatch, AgentDesired } from './agents-protocol.js';
import { Attachments, type AttachInput } from './attachments.js';
import { Clusters, type RegisterClusterInput } from './clusters.js';
import type { Actor, HubConfig } from './config.js';
import { message } from './errors.js';
import { Feed, type Emit, type HubEvent } from './feed.js';
import { Fleet } from './fleet.js';
import { HealthRuleService } from './health-rules.js';
import { ReadVersions } from './kept-reads.js';
import { liveObjectReader } from './live-objects.js';
import { DEFAULT_RETENTION, Retention } from './retention.js';
import {
  Packs,
  type ClusterTransitionsPage,
  type HistoryPageQuery,
  type PackHistoryPage,
  type PackRunsPage,
} from './packs.js';
import { Planner } from './planner.js';
import type { OutdatedChart } from './outdated.js';
import { Profiles, type ProfileUpload, type ValidateOptions } from './profiles.js';
import type { WaitingOwner } from './fair-waiting.js';
import { ReplicaCoordinator, type ReplicaReport } from './replica.js';
import { EventTail } from './replica-events.js';
import { EventRelay } from './replica-relay.js';
import { RemotePlans } from './replica-views.js';
import { ChartSources } from './sources.js';
import { Tokens } from './tokens.js';
import type {
  AttachmentView,
  ClusterPage,
  ClusterView,
  PackDiff,
  PackValuesView,
  ProfileSummaryView,
  ProfileVersionView,
  ProfileWithSource,
} from './views.js';

export type { Actor, HubConfig } from './config.js';
export type { AttachInput } from './attachments.js';
export type { HubEvent } from './feed.js';
export type { ProfileUpload } from './profiles.js';

export class Hub {
  private readonly feed: Feed;
  private readonly fleet: Fleet;
  private readonly clusters: Clusters;
  private readonly profiles: Profiles;
  private readonly attachments: Attachments;
  private readonly packs: Packs;
  /** Cluster-wide health rules and `strata health test` (health-rules.ts). */
  readonly healthRules: HealthRuleService;
  /** API tokens: verified on every request, created, listed and revoked with an audit entry. */
  readonly tokens: Tokens;
  /** Chart sources (repositories and registries) with their sealed credentials. */
  readonly sources: ChartSources;
  /** What agent clusters' agents ask of the hub (agents.ts). */
  private readonly agents: Agents;
  private readonly store: Store;
  private readonly log: (message: string) => void;
  private readonly retention: Retention;
  /** Hub replicas (config.replica): the leases, and the tail of every replica's events. */
  private readonly replica: ReplicaCoordinator | undefined;
  private readonly tail: EventTail | undefined;
  /** Hub replicas: the ephemeral events this replica emits, sent to the others' streams (replica-relay.ts). */
  private readonly relay: EventRelay | undefined;

  private constructor(config: HubConfig) {
    const log = config.log ?? ((text) => process.stderr.write(`${text}\n`));
    this.log = log;
    const { store } = config;
    this.store = store;
    this.retention = new Retention(store, config.retention ?? DEFAULT_RETENTION, log);
    const access = new ClusterAccess(config);
    const planner = new Planner(store, config.chartCacheDir);
    // Replicas: packs of clusters driven elsewhere get their views from a plan of the stored state.
    const remote = config.replica && new RemotePlans(planner, (cluster) => this.fleet.has(cluster));
    const prepare = remote && ((events: Parameters<RemotePlans['prepare']>[0]) => remote.prepare(events));
    this.tail = prepare && new EventTail(store, { before: prepare, log });
    // The feed builds pack views with what the fleet knows and the fleet publishes through the feed's emit: the
    // feed gets lookup functions, not the fleet (they are called only once events flow, after both exist).
    this.feed = new Feed(store, {
      packContext: (cluster, pack) => this.fleet.packContext(cluster, pack) ?? remote?.context(cluster, pack),
      summarize: (cluster) => {
        this.fleet.publishSummary(cluster);
      },
      log,
      ...(this.tail && prepare ? { events: this.tail.subscribe, prepare } : {}),
    });
    const tail = this.tail;
    this.relay =
      config.replica &&
      tail &&
      new EventRelay(store, {
        id: config.replica.id,
        position: () => tail.position,
        deliver: this.feed.emit,
        onLeasesChanged: () => {
          this.replica?.kick();
        },
        log,
      });
    const relay = this.relay;
    // After the feed's: a relayed event waiting for stored events goes out once the feed has sent them.
    if (relay) tail?.subscribe(relay.caughtUp);
    const emit: Emit = relay
      ? (event) => {
          this.feed.emit(event);
          relay.publish(event);
          // This replica's runner found its cluster (un)reachable: into the lease now, and the others read it.
          if (event.kind === 'cluster.connection' && this.fleet.has(event.cluster)) {
            void this.replica?.refresh().then(relay.leasesChanged);
          }
        }
      : this.feed.emit;
    const fleet = new Fleet({
      store,
      helmBin: config.helmBin,
      access,
      planner,
      emit,
      log,
      ...(config.replica ? { elsewhere: (cluster: string) => this.replica?.elsewhere(cluster) } : {}),
      watchBudget: new WatchBudget({
        totalBytes: config.watchBudgetBytes ?? defaultWatchBudgetBytes(),
        setting: '--watch-cache-mib',
      }),
    });
    this.fleet = fleet;
    this.replica =
      config.replica &&
      new ReplicaCoordinator(store, fleet, config.replica, log, (cluster, lease) => {
        if (lease.state) {
          const { reachable, error } = lease.state;
          emit({
            kind: 'cluster.connection',
            cluster,
            time: new Date().toISOString(),
            // As the driving replica showed it; cleaned again, as it may run an older version.
            data: { reachable, ...(error === undefined ? {} : { error: shownKubeText(error) }) },
          });
        }
        fleet.publishSummary(cluster);
      });
    const replica = this.replica;
    // Before any service publishes: the kept page and cluster list hear every event (kept-reads.ts).
    const versions = new ReadVersions((listener) => this.feed.subscribe(listener));
    this.clusters = new Clusters(
      store,
      access,
      fleet,
      versions,
      replica && ((record) => replica.admit(record)),
    );
    this.profiles = new Profiles(store, access, config.helmBin, emit);
    this.attachments = new Attachments(store, planner, fleet, emit);
    this.packs = new Packs(store, fleet, this.attachments, versions);
    this.healthRules = new HealthRuleService({
      store,
      onChange: (specs) => {
        fleet.setClusterHealthRules(specs);
      },
      liveObject: liveObjectReader({ store, fleet, replicated: config.replica !== undefined }),
    });
    this.tokens = new Tokens(store, config.tokenClock === undefined ? {} : { now: config.tokenClock });
    this.sources = new ChartSources(store);
    this.agents = new Agents(store, fleet, replica && ((record) => replica.admit(record)));
  }

  /** Opens the hub and starts a runner for every registered cluster (an unreachable one does not block). */
  static async open(config: HubConfig): Promise<Hub> {
    const hub = new Hub(config);
    await hub.healthRules.load();
    hub.retention.start();
    if (hub.replica && hub.tail) {
      const { replica } = hub;
      await hub.relay?.start();
      await hub.tail.start();
      // A cluster registered or removed through any replica: the leases are looked at again at once.
      hub.feed.subscribe((event) => {
        if (event.kind === 'cluster.registered' || event.kind === 'cluster.removed') replica.kick();
      });
      await replica.start();
      return hub;
    }
    const records = await config.store.clusters.list();
    // Every cluster's share of the watch budget is set before the first one lists (review 20, HIGH-1).
    await hub.fleet.openWatchAccounts(records);
    for (const record of records) {
      try {
        await hub.fleet.start(record);
      } catch (error) {
        hub.log(`strata: cluster ${record.name} could not start: ${message(error)}`);
      }
    }
    hub.fleet.closeUnstartedAccounts();
    return hub;
  }

  async close(): Promise<void> {
    // Hands every driven cluster over (runner stopped, lease released) so the other replicas take them at once.
    await this.retention.close();
    await this.replica?.close();
    await this.fleet.close();
    await this.relay?.close();
    await this.tail?.close();
    this.feed.close();
    await this.profiles.close();
    await this.healthRules.close();
  }

  // Clusters
  registerCluster(input: RegisterClusterInput, actor: Actor): Promise<ClusterView> {
    return this.clusters.register(input, actor);
  }
  /** Registers a cluster run by `strata agent`, with its agent token (shown once); the hub never connects to it. */
  async registerAgentCluster(
    input: { name: string; driftPolicy?: 'correct' | 'report' },
    actor: Actor,
  ): Promise<RegisteredAgentCluster> {
    const { record, token } = await this.agents.register(input, actor);
    return { cluster: await this.clusters.get(record.name), token };
  }
  /** A new agent token for an agent cluster (shown once); the old one stops working at once. */
  rotateAgentToken(cluster: string, actor: Actor): Promise<string> {
    return this.agents.rotateToken(cluster, actor);
  }
  /** The desired state of the agent's cluster (the actor is its agent token's). */
  agentDesired(actor: Actor): Promise<AgentDesired> {
    return this.agents.desired(actor);
  }
  agentChart(actor: Actor, digest: string): ReturnType<Agents['chart']> {
    return this.agents.chart(actor, digest);
  }
  agentStatuses(actor: Actor): ReturnType<Agents['statuses']> {
    return this.agents.statuses(actor);
  }
  agentPush(actor: Actor, batch: AgentBatch): Promise<AgentAck> {
    return this.agents.ingest(actor, batch);
  }
  listClusters(): Promise<ClusterView[]> {
    return this.clusters.list();
  }
  getCluster(name: string): Promise<ClusterView> {
    return this.clusters.get(name);
  }
  /** Stops managing the cluster and forgets it. What was installed stays in the cluster. */
  removeCluster(name: string, actor: Actor): Promise<void> {
    return this.clusters.remove(name, actor);
  }

  // Profiles
  /** Every positioned issue of an upload; [] when it is valid. A malformed bundle is a HubError. */
  validateProfile(input: ProfileUpload, options?: ValidateOptions): Promise<ProfileIssue[]> {
    return this.profiles.validate(input, options);
  }
  async importProfile(
    input: ProfileUpload & { readonly draft?: boolean },
    actor: Actor,
  ): Promise<ProfileVersionView[]> {
    const versions = await this.profiles.import(input, actor);
    // "Update available" reaches every open page of a cluster the profile is attached to.
    if (!input.draft) await this.attachments.announce(versions.map((v) => v.name));
    return versions;
  }
  listProfiles(): Promise<ProfileSummaryView[]> {
    return this.profiles.list();
  }
  profileVersions(name: string): Promise<ProfileVersionView[]> {
    return this.profiles.versions(name);
  }
  getProfile(name: string, version?: string): Promise<ProfileWithSource> {
    return this.profiles.get(name, version);
  }
  /** A stored version as a bundle: its source and every local chart and file it was published with. */
  outdatedCharts(name: string, version: string): Promise<OutdatedChart[]> {
    return this.profiles.outdated(name, version);
  }

  profileBundle(name: string, version: string): Promise<Buffer> {
    return this.profiles.bundle(name, version);
  }

  // Attachments
  attach(input: AttachInput, actor: Actor): Promise<AttachmentView> {
    return this.attachments.attach(input, actor);
  }
  /** What changing an attachment would do to each pack ("Updates available"), without doing it. */
  previewAttachment(input: AttachInput): Promise<PackDiff[]> {
    return this.attachments.preview(input);
  }
  updateAttachment(input: AttachInput, actor: Actor): Promise<AttachmentView> {
    return this.attachments.update(input, actor);
  }
  /** Detaches a profile: its packs are uninstalled in reverse install order. */
  detach(cluster: string, profile: string, actor: Actor): Promise<void> {
    return this.attachments.detach(cluster, profile, actor);
  }
  listAttachments(cluster: string): Promise<AttachmentView[]> {
    return this.attachments.list(cluster);
  }

  // Status and actions
  clusterPage(cluster: string): Promise<ClusterPage> {
    return this.packs.clusterPage(cluster);
  }
  /** The page, without a promise, while it is kept unchanged; undefined: ask clusterPage(). */
  keptClusterPage(cluster: string): ClusterPage | undefined {
    return this.packs.keptClusterPage(cluster);
  }
  /** A page of a pack's transitions, oldest first (`next`: pass as `before` for older ones). */
  packHistory(cluster: string, pack: string, query: HistoryPageQuery = {}): Promise<PackHistoryPage> {
    return this.packs.history(cluster, pack, query);
  }
  /** A page of a pack's runs, oldest first (`next`: pass as `before` for older ones). */
  packRuns(cluster: string, pack: string, query: HistoryPageQuery = {}): PackRunsPage {
    return this.packs.runs(cluster, pack, query);
  }
  /** A page of every pack's transitions, packs in install order, oldest first: the install timeline. */
  clusterTransitions(cluster: string, query: HistoryPageQuery = {}): Promise<ClusterTransitionsPage> {
    return this.packs.clusterTransitions(cluster, query);
  }
  /** What the pack deploys with, resolved for this cluster, sensitive values masked. */
  packValues(
    cluster: string,
    pack: string,
    owner?: WaitingOwner,
    signal?: AbortSignal,
  ): Promise<PackValuesView> {
    return this.packs.values(cluster, pack, owner, signal);
  }
  retryPack(cluster: string, pack: string, actor: Actor): Promise<void> {
    return this.packs.retry(cluster, pack, actor);
  }
  resync(cluster: string, actor: Actor): Promise<void> {
    return this.packs.resync(cluster, actor);
  }

  // Live stream
  subscribe(listener: (event: HubEvent) => void): () => void {
    return this.feed.subscribe(listener);
  }
  eventsSince(afterId: number, options: { cluster?: string; limit?: number } = {}): Promise<HubEvent[]> {
    return this.feed.eventsSince(afterId, options);
  }
  /** The highest event id retention deleted, 0 when none: a stream resuming from below it is told so. */
  eventsPrunedThrough(cluster?: string): Promise<number> {
    return this.feed.prunedThrough(cluster);
  }
  /** Resolves once every status change so far is stored (tests, shutdown). */
  flush(): Promise<void> {
    return this.fleet.flush();
  }

  // Health
  /** Hub replicas: this replica, the live ones and which drives each cluster (for /readyz); undefined alone. */
  replicas(): ReplicaReport | undefined {
    return this.replica?.report();
  }

  /**
   * Where a request about the cluster is served: 'here' when this hub drives it (or runs alone), the replica
   * that drives it, or undefined while none does (a failover).
   */
  async driverOf(
    cluster: string,
  ): Promise<'here' | { readonly id: string; readonly address: string } | undefined> {
    if (!this.replica || this.fleet.has(cluster)) return 'here';
    return this.replica.locate(cluster);
  }

  /** Throws when the database does not answer (for /readyz). */
  ping(): Promise<void> {
    return this.store.ping();
  }
  /** Per cluster, how many packs are in each phase, as stored (for /metrics). */
  phaseCounts(): Promise<Map<string, Readonly<Record<PackPhase, number>>>> {
    return this.store.packStatus.phaseCounts();
  }
}
