// The hub's side of an agent cluster (issue 16): in the fleet it stands where a ClusterRunner stands for a
// cluster the hub drives itself, so the page, the history and the stream are built the same way. It runs
// nothing: it keeps the desired state for the agent to pull, hands what the agent pushes to the same `onEvent`
// a ClusterRunner reports through (the fleet's status writer), and says when the agent has gone silent.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import type { ClusterRunner, DesiredPack, RecentWarning, RunnerEvent } from '../engine/index.js';
import {
  initialPackStatus,
  refKey,
  type HealthRuleSpec,
  type ObjectRef,
  type PackStatus,
} from '../status/index.js';
import type { DriftPolicy } from '../store/index.js';
import { keptDeep } from '../shared/kept-text.js';
import { AGENT_DETAIL_LIMITS, detailsBytes, type PackDetailsEvent } from './agents-details.js';
import type { AgentDesired, AgentEvent, AgentPack } from './agents-protocol.js';

/** What the fleet needs of a runner: a ClusterRunner for a cluster it drives, an AgentRunner for an agent's. */
export type HubRunner = Pick<
  ClusterRunner,
  | 'start'
  | 'stop'
  | 'setDesired'
  | 'statuses'
  | 'recentWarnings'
  | 'notes'
  | 'retryPack'
  | 'resync'
  | 'setClusterHealthRules'
  | 'changes'
>;

/** How often an agent is asked to poll; it counts as silent after SILENT_POLLS of them without a word. */
export const DEFAULT_AGENT_POLL_SECONDS = 5;
const SILENT_POLLS = 3;
/**
 * "Last seen" on a kept page (kept-reads.ts) is at most this old while the agent stays connected: as often as
 * it is stored (agents.ts SEEN_PERSIST_MS), so every replica shows much the same time.
 */
const SEEN_SHOWN_EVERY_MS = 10_000;

/**
 * How many bytes of events (as JSON) an agent may push (security review 10, item 3): a burst, then a steady
 * rate. Each status push is stored (a row per status and per transition), so without it a stolen agent token
 * could write as fast as the database takes it. An honest agent's statuses are a few KiB each; after a restart
 * it sends every pack's once, well within the burst. Past it the push is refused with 429 and a Retry-After, and
 * the agent sends it again then. Counted per hub replica (the one the agent's cluster runs on).
 */
export const AGENT_PUSH_LIMITS = { burstBytes: 8 * 1024 * 1024, bytesPerSecond: 512 * 1024 } as const;

export interface AgentRunnerOptions {
  readonly cluster: string;
  readonly driftPolicy: DriftPolicy;
  /** The statuses stored for the cluster, shown until the agent reports. */
  readonly initial: ReadonlyMap<string, PackStatus>;
  readonly onEvent: (event: RunnerEvent) => void;
  /** When the agent was last heard from, as stored. */
  readonly lastSeenAt?: string;
  readonly pollSeconds?: number;
  readonly now?: () => number;
  /** Default AGENT_PUSH_LIMITS. */
  readonly pushLimits?: { readonly burstBytes: number; readonly bytesPerSecond: number };
}

interface Reported {
  readonly profile: string;
  readonly status: PackStatus;
}

/** A pack's last PackDetails (agents-details.ts), as the page reads them. */
interface Details {
  readonly notes?: string;
  /** By refKey. */
  readonly warnings: ReadonlyMap<string, RecentWarning[]>;
  readonly bytes: number;
}

export interface AgentConnection {
  readonly connected: boolean;
  readonly lastSeenAt?: string;
}

export class AgentRunner implements HubRunner {
  private desired: readonly DesiredPack[] = [];
  private healthRules: readonly HealthRuleSpec[] = [];
  private readonly reported = new Map<string, Reported>();
  private resyncs = 0;
  private readonly retries = new Map<string, number>();
  private readonly now: () => number;
  private readonly pollSeconds: number;
  private readonly startedAt: number;
  private lastSeen: number | undefined;
  /** False once the agent has been silent too long (announced once), true again when it is heard. */
  private connected = true;
  /** What the agent last said of its own API server. */
  private clusterReachable = true;
  private clusterError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly digests = new Map<string, Promise<string>>();
  private changeCount = 0;
  /** When "last seen" last counted as a change. */
  private seenChanged = Number.NEGATIVE_INFINITY;
  private readonly details = new Map<string, Details>();
  /** Every pack desired since this runner started: the packs the agent may still report on. */
  private readonly everDesired = new Set<string>();
  private detailBytes = 0;
  /** Tells the agent this is a new record of it, with none of its pack details (AgentDesired.session). */
  private readonly session = randomUUID();
  /** The agent's push allowance (AGENT_PUSH_LIMITS): bytes left, and when it was last counted. */
  private allowance: { bytes: number; at: number } | undefined;

  constructor(private readonly options: AgentRunnerOptions) {
    this.now = options.now ?? Date.now;
    this.pollSeconds = options.pollSeconds ?? DEFAULT_AGENT_POLL_SECONDS;
    this.startedAt = this.now();
    const seen = options.lastSeenAt === undefined ? Number.NaN : Date.parse(options.lastSeenAt);
    if (Number.isFinite(seen)) this.lastSeen = seen;
    for (const [pack, status] of options.initial) this.reported.set(pack, { profile: '', status });
  }

  start(): Promise<void> {
    const every = Math.max(250, Math.min(1000, this.silentAfterMs() / 4));
    this.timer = setInterval(() => {
      this.checkSilence();
    }, every);
    this.timer.unref();
    this.checkSilence();
    return Promise.resolve();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  setDesired(packs: readonly DesiredPack[]): void {
    this.desired = packs;
    for (const d of packs) this.everDesired.add(d.pack.name);
    const wanted = new Set(packs.map((d) => d.pack.name));
    for (const pack of this.details.keys()) if (!wanted.has(pack)) this.dropDetails(pack);
    this.changeCount++;
  }

  /**
   * Grows with everything that changes what the page shows (kept-reads.ts): each event the agent pushes, new
   * desired packs, its connection, and its "last seen" (at most every SEEN_SHOWN_EVERY_MS, not every poll).
   */
  get changes(): number {
    return this.changeCount;
  }

  setClusterHealthRules(specs: readonly HealthRuleSpec[]): void {
    this.healthRules = specs;
  }

  statuses(): ReturnType<ClusterRunner['statuses']> {
    const stale = !this.reachable();
    const wanted = new Set(this.desired.map((d) => d.pack.name));
    const rows = this.desired.map((d) => ({
      pack: d.pack.name,
      profile: d.profile.name,
      order: d.order,
      status:
        this.reported.get(d.pack.name)?.status ??
        initialPackStatus({ revision: '', stage: { type: 'Queued' } }),
      stale,
    }));
    // Packs the agent still reports on though no longer wanted: being removed, shown until it says they are gone.
    let order = this.desired.length;
    for (const [pack, reported] of this.reported) {
      if (!wanted.has(pack))
        rows.push({ pack, profile: reported.profile, order: order++, status: reported.status, stale });
    }
    return rows;
  }

  /** The recent Warning events of an object, as the agent last reported them for its pack. */
  recentWarnings(ref: ObjectRef): ReturnType<ClusterRunner['recentWarnings']> {
    const key = refKey(ref);
    for (const details of this.details.values()) {
      const found = details.warnings.get(key);
      if (found) return found;
    }
    return [];
  }

  /** The pack's NOTES as the agent's last rendering of it printed them. */
  notes(pack: string): string | undefined {
    return this.details.get(pack)?.notes;
  }

  /** Asks the agent to run the pack's install again (it sees the counter grow at its next poll). */
  retryPack(name: string): boolean {
    if (!this.desired.some((d) => d.pack.name === name)) return false;
    this.retries.set(name, (this.retries.get(name) ?? 0) + 1);
    return true;
  }

  resync(): void {
    this.resyncs += 1;
  }

  /** The agent spoke (a poll or a push): it is connected, and says so on the page if it had gone silent. */
  heard(): void {
    this.lastSeen = this.now();
    if (this.lastSeen - this.seenChanged >= SEEN_SHOWN_EVERY_MS) {
      this.seenChanged = this.lastSeen;
      this.changeCount++;
    }
    if (this.connected) return;
    this.connected = true;
    this.announce();
  }

  /**
   * One event the agent's runner reported, in order: handled exactly as a local runner's, its text cleaned of
   * control characters and cut to KEPT_TEXT_MAX as a direct cluster's is (shared/kept-text.ts). An event about
   * a pack this cluster never wanted here (not desired since this runner started, nor stored) is dropped: an
   * agent writes the status of its own cluster's packs only. It is not refused: an honest agent's batch must
   * never be stuck on a pack detached while it worked.
   */
  receive(raw: AgentEvent): void {
    const cluster = this.options.cluster;
    if (raw.type !== 'ConnectionChanged' && !this.mayReport(raw.pack)) return;
    const event = keptDeep(raw);
    this.changeCount++;
    switch (event.type) {
      case 'PackStatusChanged':
        this.reported.set(event.pack, { profile: event.profile, status: event.status });
        this.options.onEvent({ ...event, cluster });
        return;
      case 'PackRemoved':
        this.reported.delete(event.pack);
        this.dropDetails(event.pack);
        this.options.onEvent({ ...event, cluster });
        return;
      case 'PackDetails':
        this.keepDetails(event);
        return;
      case 'DriftDetected':
        this.options.onEvent({ ...event, cluster });
        return;
      case 'ConnectionChanged':
        this.clusterReachable = event.reachable;
        this.clusterError = event.error;
        if (this.connected) this.announce(event.time);
        return;
    }
  }

  /**
   * Takes `bytes` of the agent's push allowance (AGENT_PUSH_LIMITS); when it has not that many, takes nothing
   * and returns the seconds until it will have.
   */
  admitPush(bytes: number): number | undefined {
    const { burstBytes, bytesPerSecond } = this.options.pushLimits ?? AGENT_PUSH_LIMITS;
    const now = this.now();
    const last = this.allowance ?? { bytes: burstBytes, at: now };
    const left = Math.min(burstBytes, last.bytes + ((now - last.at) / 1000) * bytesPerSecond);
    const cost = Math.min(bytes, burstBytes);
    if (cost > left) {
      this.allowance = { bytes: left, at: now };
      return Math.max(1, Math.ceil((cost - left) / bytesPerSecond));
    }
    this.allowance = { bytes: left - cost, at: now };
    return undefined;
  }

  /** Connected while not judged silent (checkSilence): a stored "last seen" counts, and so does a grace period. */
  connection(): AgentConnection {
    return {
      connected: this.connected && this.lastSeen !== undefined,
      ...(this.lastSeen === undefined ? {} : { lastSeenAt: new Date(this.lastSeen).toISOString() }),
    };
  }

  /** The document the agent pulls: everything its runner needs, the same answer while nothing changes. */
  async document(): Promise<AgentDesired> {
    const packs: AgentPack[] = [];
    for (const d of this.desired) {
      const digest = d.chartFile === undefined ? undefined : await this.digestOf(d.chartFile);
      packs.push({
        pack: d.pack,
        profile: d.profile,
        wave: d.wave,
        order: d.order,
        explanation: d.explanation,
        ...(d.healthChecks === undefined ? {} : { healthChecks: [...d.healthChecks] }),
        ...(d.redactor.sensitiveValues.length === 0 ? {} : { sensitive: [...d.redactor.sensitiveValues] }),
        ...(digest === undefined ? {} : { chart: { digest } }),
      });
    }
    return {
      cluster: this.options.cluster,
      driftPolicy: this.options.driftPolicy,
      packs,
      healthRules: [...this.healthRules],
      actions: { resync: this.resyncs, retry: Object.fromEntries(this.retries) },
      pollSeconds: this.pollSeconds,
      session: this.session,
    };
  }

  /** Whether a chart archive is one the agent's desired packs render from (nothing else is served to it). */
  async wantsChart(digest: string): Promise<boolean> {
    for (const d of this.desired) {
      if (d.chartFile !== undefined && (await this.digestOf(d.chartFile)) === digest) return true;
    }
    return false;
  }

  private mayReport(pack: string): boolean {
    return this.everDesired.has(pack) || this.reported.has(pack);
  }

  /**
   * Keeps a pack's details (validated and bounded by the schema already): only for a pack the cluster wants,
   * and only while the cluster's details stay under AGENT_DETAIL_LIMITS.clusterBytes, so an agent cannot make
   * the hub hold more than that whatever it sends. Past it the pack's details are dropped, not kept in part.
   */
  private keepDetails(event: PackDetailsEvent): void {
    this.dropDetails(event.pack);
    if (!this.desired.some((d) => d.pack.name === event.pack)) return;
    const bytes = detailsBytes(event);
    if (this.detailBytes + bytes > AGENT_DETAIL_LIMITS.clusterBytes) return;
    this.details.set(event.pack, {
      ...(event.notes === undefined ? {} : { notes: event.notes }),
      warnings: new Map(event.warnings.map((w) => [refKey(w.ref), w.events])),
      bytes,
    });
    this.detailBytes += bytes;
  }

  private dropDetails(pack: string): void {
    const kept = this.details.get(pack);
    if (!kept) return;
    this.details.delete(pack);
    this.detailBytes -= kept.bytes;
  }

  private silentAfterMs(): number {
    return this.pollSeconds * SILENT_POLLS * 1000;
  }

  private reachable(): boolean {
    return this.connected && this.clusterReachable;
  }

  /**
   * Silent once neither the agent was heard nor this runner started within the window: a runner just started
   * (a hub restart, or a replica that took the cluster over) has had no chance to hear a poll yet, and the
   * stored "last seen" it starts from can be SEEN_PERSIST_MS old. It gives the agent the window from its start.
   */
  private checkSilence(): void {
    if (!this.connected) return;
    const since = Math.max(this.lastSeen ?? Number.NEGATIVE_INFINITY, this.startedAt);
    if (this.now() - since <= this.silentAfterMs()) return;
    this.connected = false;
    this.announce();
  }

  private announce(time = new Date(this.now()).toISOString()): void {
    this.changeCount++;
    const seen =
      this.lastSeen === undefined
        ? 'never heard from'
        : `silent since ${new Date(this.lastSeen).toISOString()}`;
    const error = !this.connected
      ? `the agent is ${seen}`
      : this.clusterReachable
        ? undefined
        : this.clusterError;
    this.options.onEvent({
      type: 'ConnectionChanged',
      cluster: this.options.cluster,
      reachable: this.reachable(),
      ...(error === undefined ? {} : { error }),
      time,
    });
  }

  /** The planner's chart files are `<sha256>.tgz` in the hub's chart cache; anything else is hashed once. */
  private digestOf(file: string): Promise<string> {
    const named = /^([0-9a-f]{64})\.tgz$/.exec(basename(file))?.[1];
    if (named !== undefined) return Promise.resolve(named);
    let found = this.digests.get(file);
    if (!found) {
      found = readFile(file).then((content) => createHash('sha256').update(content).digest('hex'));
      this.digests.set(file, found);
    }
    return found;
  }
}
