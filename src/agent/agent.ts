// `strata agent`: one cluster's runner, run beside or inside the cluster, fed by the hub over HTTPS (issue 16).
// It pulls the desired state (charts by digest into its state dir), runs the same ClusterRunner the hub runs for
// clusters it drives itself, and pushes every event the runner reports through a durable outbox: while the hub
// is away they wait on disk and go in order, once, when it is back. Its state dir keeps what a restart needs to
// converge without touching unchanged objects: the last desired state, each pack's last status (the runner's
// history goes on from it) and each Helm pack's rendering.
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClusterRunner, type DesiredPack, type RunnerEvent } from '../engine/index.js';
import { abortableSleep, backoffDelay, type KubeApi } from '../kube/index.js';
import { noRedaction, Redactor } from '../profile/index.js';
import type { PackStatus } from '../status/index.js';
import { fileRenderCache } from './file-render-cache.js';
import { HubFailure, HubRequestError, type HubClient } from './hub-client.js';

/** What the agent asks of the hub (HubClient over HTTP; a fake in tests). */
export type HubApi = Pick<HubClient, 'desired' | 'chart' | 'statuses' | 'push'>;
import { Outbox, readJson, writeAtomically } from './outbox.js';
import {
  eventOverBounds,
  MAX_AGENT_BATCH,
  packDetails,
  type AgentDesired,
  type AgentEvent,
} from './protocol.js';

export interface AgentOptions {
  readonly client: HubApi;
  readonly kube: KubeApi;
  readonly helmBin: string;
  /** Where the agent keeps its outbox, statuses, renderings and charts (created 0700). */
  readonly stateDir: string;
  readonly log: (line: string) => void;
  /** Overrides the hub's poll interval (tests). */
  readonly pollMs?: number;
}

/** How often the agent looks whether its packs' warnings or notes changed (a change is sent at most this often). */
const DETAILS_EVERY_MS = 1_000;

/** A batch stays well under the hub's 2 MiB body limit. */
const MAX_BATCH_BYTES = 1024 * 1024;
const RETRY = { initialMs: 250, maxMs: 5_000 };

export class Agent {
  private runner: ClusterRunner | undefined;
  private outbox!: Outbox;
  private statuses = new Map<string, PackStatus>();
  private statusesDirty = false;
  private desired: AgentDesired | undefined;
  private actionsSeen: AgentDesired['actions'] | undefined;
  private readonly controller = new AbortController();
  private wakeSender: (() => void) | undefined;
  private loops: Promise<void>[] = [];
  private hubAway = false;
  /** Per pack, the redactor of its sensitive values (AgentPack.sensitive). */
  private redactors = new Map<string, Redactor>();
  /** Per pack, the details last put in the outbox (as JSON), and the runner's change count they were read at. */
  private readonly detailsSent = new Map<string, string>();
  private detailsReadAt = -1;
  /** The hub's record of this agent (AgentDesired.session): a new one has none of the details sent before. */
  private hubSession: string | undefined;

  constructor(private readonly options: AgentOptions) {}

  private get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** A method, not a property read: the loops check it again after each await. */
  private stopped(): boolean {
    return this.controller.signal.aborted;
  }

  /** Opens the state dir, gets a desired state (the hub's, else the last one kept), starts the runner. */
  async start(): Promise<void> {
    const { stateDir } = this.options;
    await mkdir(join(stateDir, 'charts'), { recursive: true, mode: 0o700 });
    this.outbox = await Outbox.open(stateDir);
    this.statuses = new Map(
      Object.entries((await readJson<Record<string, PackStatus>>(this.file('statuses.json'))) ?? {}),
    );
    this.foldOutbox();
    const desired = await this.firstDesired();
    await this.adoptHubStatuses();
    this.runner = new ClusterRunner({
      cluster: desired.cluster,
      kube: this.options.kube,
      helmBin: this.options.helmBin,
      driftPolicy: desired.driftPolicy,
      initial: this.statuses,
      renderCache: fileRenderCache(join(stateDir, 'renders')),
      log: (line) => {
        this.options.log(`strata agent: ${line}`);
      },
      onEvent: (event) => {
        this.record(event);
      },
    });
    await this.runner.start();
    await this.apply(desired, { first: true });
    this.options.log(
      `strata agent: running cluster "${desired.cluster}" (${desired.packs.length} packs); ${this.outbox.size} events waiting for the hub`,
    );
    this.loops = [this.pollLoop(desired.pollSeconds), this.sendLoop(), this.saveLoop(), this.detailsLoop()];
  }

  /** Stops the runner and the loops; what is in the outbox stays on disk for the next start. */
  async stop(): Promise<void> {
    this.controller.abort();
    this.wakeSender?.();
    this.runner?.stop();
    await Promise.allSettled(this.loops);
    await this.saveStatuses();
    await this.outbox.flushed();
  }

  /**
   * statuses.json is saved at most twice a second, the outbox with every event: after a crash the outbox may
   * know a pack's later status. The runner must go on from that one, or its next transition would take the
   * place in the history of one the hub is still to receive.
   */
  private foldOutbox(): void {
    for (const { event } of this.outbox.peek(Number.MAX_SAFE_INTEGER, Number.POSITIVE_INFINITY)) {
      if (event.type === 'PackStatusChanged') this.statuses.set(event.pack, event.status);
      else if (event.type === 'PackRemoved') this.statuses.delete(event.pack);
    }
  }

  /** The hub's desired state, waiting for it when there is none kept; else the kept one while the hub is away. */
  private async firstDesired(): Promise<AgentDesired> {
    const kept = await readJson<AgentDesired>(this.file('desired.json'));
    let said: string | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        const desired = await this.options.client.desired();
        if (desired) return desired;
      } catch (error) {
        if (kept) {
          this.options.log(
            `strata agent: ${describe(error)}; starting from the desired state kept in the state dir`,
          );
          this.hubAway = true;
          return kept;
        }
        if (error instanceof HubRequestError && error.kind === HubFailure.Rejected) throw error;
        // Said once per cause, not at every try: a hub that first did not answer and now redirects says so.
        const why = describe(error);
        if (why !== said) this.options.log(`strata agent: ${why}; waiting for the hub`);
        said = why;
      }
      await abortableSleep(backoffDelay(attempt, RETRY), this.signal);
    }
  }

  /**
   * A new state dir has no record of the packs: the hub's stored statuses are where their history goes on from
   * (else the runner would start each history again, and the hub would take the new transitions as old ones).
   * A pack's kept status wins when it knows as much or more.
   */
  private async adoptHubStatuses(): Promise<void> {
    if (this.hubAway) return;
    try {
      const stored = await this.options.client.statuses();
      for (const { pack, status } of stored.packs) {
        const kept = this.statuses.get(pack);
        if (!kept || kept.transitions.length < status.transitions.length) this.statuses.set(pack, status);
      }
    } catch (error) {
      this.options.log(`strata agent: could not read the hub's stored statuses: ${describe(error)}`);
    }
  }

  /** Hands a desired state to the runner: charts fetched first, actions asked for since the last one carried out. */
  private async apply(desired: AgentDesired, options: { first?: boolean } = {}): Promise<void> {
    const packs: DesiredPack[] = [];
    for (const p of desired.packs) {
      const chartFile = p.chart === undefined ? undefined : await this.chartFile(p.chart.digest);
      packs.push({
        pack: p.pack,
        profile: p.profile,
        wave: p.wave,
        order: p.order,
        explanation: p.explanation,
        // The hub redacts every status before it stores it, with the profile's sensitive values it alone keeps.
        redactor: noRedaction,
        ...(chartFile === undefined ? {} : { chartFile }),
        ...(p.healthChecks === undefined ? {} : { healthChecks: p.healthChecks }),
      });
    }
    this.redactors = new Map(desired.packs.map((p) => [p.pack.name, new Redactor(p.sensitive ?? [])]));
    if (desired.session !== this.hubSession) {
      this.hubSession = desired.session;
      this.detailsSent.clear();
      this.detailsReadAt = -1;
    }
    const runner = this.runner;
    if (!runner) return;
    runner.setClusterHealthRules(desired.healthRules);
    runner.setDesired(packs);
    // A restart re-runs every pack anyway: actions asked for before it are done by it.
    const seen = options.first === true ? undefined : this.actionsSeen;
    if (seen) {
      if (desired.actions.resync > seen.resync) runner.resync();
      else {
        for (const [pack, count] of Object.entries(desired.actions.retry)) {
          if (count > (seen.retry[pack] ?? 0)) runner.retryPack(pack);
        }
      }
    }
    this.actionsSeen = desired.actions;
    this.desired = desired;
    await writeAtomically(this.file('desired.json'), JSON.stringify(desired));
  }

  /** The chart archive in the state dir, fetched from the hub when it is not there yet. */
  private async chartFile(digest: string): Promise<string> {
    const file = join(this.options.stateDir, 'charts', `${digest}.tgz`);
    const found = await stat(file).catch(() => undefined);
    if (found?.isFile() === true) return file;
    // Checked against its digest by the client; written under another name first, so a half-written archive
    // is never taken for the chart.
    const content = await this.options.client.chart(digest);
    const partial = `${file}.${process.pid}.partial`;
    await writeFile(partial, content, { mode: 0o600 });
    await rename(partial, file);
    return file;
  }

  private record(event: RunnerEvent): void {
    const { cluster: _cluster, ...rest } = event;
    if (event.type === 'PackStatusChanged') this.statuses.set(event.pack, event.status);
    if (event.type === 'PackRemoved') {
      this.statuses.delete(event.pack);
      this.detailsSent.delete(event.pack);
    }
    if (event.type === 'PackStatusChanged' || event.type === 'PackRemoved') this.statusesDirty = true;
    // A status goes after the pack's details as they stand: the hub builds the status's stream event with
    // the warnings it knows, as it does for a cluster it drives (whose status follows the Warning it saw).
    if (event.type === 'PackStatusChanged' && this.runner) {
      this.sendDetails(this.runner, event.pack, event.status);
    }
    this.send(rest);
  }

  private send(wire: AgentEvent): void {
    // The hub refuses the whole batch of an event past its bounds: sending it would hold every later event back.
    const over = eventOverBounds(wire);
    if (over !== undefined) {
      const about = 'pack' in wire ? ` of pack "${wire.pack}"` : '';
      this.options.log(`strata agent: not sending the ${wire.type} event${about}: it ${over}`);
      return;
    }
    this.outbox.push(wire).catch((error: unknown) => {
      this.options.log(`strata agent: could not write event to the outbox: ${describe(error)}`);
    });
    this.wakeSender?.();
  }

  private async pollLoop(pollSeconds: number): Promise<void> {
    let interval = this.options.pollMs ?? pollSeconds * 1000;
    let failures = 0;
    while (!this.stopped()) {
      await abortableSleep(
        failures === 0 ? interval : Math.min(interval, backoffDelay(failures, RETRY)),
        this.signal,
      ).catch(() => undefined);
      if (this.stopped()) return;
      try {
        const desired = await this.options.client.desired();
        this.back();
        failures = 0;
        if (desired) {
          await this.apply(desired);
          interval = this.options.pollMs ?? desired.pollSeconds * 1000;
        }
      } catch (error) {
        failures += 1;
        this.away(error);
      }
    }
  }

  private async sendLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopped()) {
      await this.outbox.flushed();
      const batch = this.outbox.peek(MAX_AGENT_BATCH, MAX_BATCH_BYTES);
      if (batch.length === 0) {
        await new Promise<void>((resolve) => {
          this.wakeSender = resolve;
        });
        this.wakeSender = undefined;
        continue;
      }
      try {
        const { acked } = await this.options.client.push({ stream: this.outbox.streamId, events: batch });
        await this.outbox.ack(acked);
        this.back();
        failures = 0;
      } catch (error) {
        if (error instanceof HubRequestError && error.kind === HubFailure.SequenceGap) {
          this.options.log(
            `strata agent: ${error.message}; sending the waiting events again as a new stream`,
          );
          await this.outbox.restart();
          continue;
        }
        failures += 1;
        this.away(error);
        await abortableSleep(backoffDelay(failures, RETRY), this.signal).catch(() => undefined);
      }
    }
  }

  /**
   * Sends a pack's recent Warning events and NOTES when they changed (agents-details.ts): what the hub's page
   * of a cluster it drives reads from its own watches. They are the latest state, not history: this loop sends
   * nothing while the hub is away (once it answers again, the latest ones go), and a status the runner reports
   * is preceded by its pack's details when they changed (record).
   */
  private async detailsLoop(): Promise<void> {
    while (!this.stopped()) {
      await abortableSleep(DETAILS_EVERY_MS, this.signal).catch(() => undefined);
      const runner = this.runner;
      if (this.stopped() || this.hubAway || !runner || runner.changes === this.detailsReadAt) continue;
      this.detailsReadAt = runner.changes;
      for (const { pack, status } of runner.statuses()) this.sendDetails(runner, pack, status);
    }
  }

  /** The pack's details, when they differ from the ones last sent. */
  private sendDetails(runner: ClusterRunner, pack: string, status: PackStatus): void {
    const notes = runner.notes(pack);
    const event = packDetails(
      pack,
      {
        ...(notes === undefined ? {} : { notes }),
        warnings: status.resources.map((r) => ({ ref: r.ref, events: runner.recentWarnings(r.ref) })),
      },
      this.redactors.get(pack) ?? noRedaction,
    );
    const json = JSON.stringify(event);
    // A pack the hub has no details of shows none: nothing to send until there are some.
    const sent =
      this.detailsSent.get(pack) ?? JSON.stringify(packDetails(pack, { warnings: [] }, noRedaction));
    if (json === sent) return;
    this.detailsSent.set(pack, json);
    this.send(event);
  }

  /** Each pack's last status goes to disk at most twice a second (a burst of events is one write). */
  private async saveLoop(): Promise<void> {
    while (!this.stopped()) {
      await abortableSleep(500, this.signal).catch(() => undefined);
      await this.saveStatuses();
    }
  }

  private async saveStatuses(): Promise<void> {
    if (!this.statusesDirty) return;
    this.statusesDirty = false;
    await writeAtomically(
      this.file('statuses.json'),
      JSON.stringify(Object.fromEntries(this.statuses)),
    ).catch((error: unknown) => {
      this.statusesDirty = true;
      this.options.log(`strata agent: could not save pack statuses: ${describe(error)}`);
    });
  }

  private away(error: unknown): void {
    if (this.hubAway) return;
    this.hubAway = true;
    this.options.log(`strata agent: ${describe(error)}; keeping events on disk until the hub answers`);
  }

  private back(): void {
    if (!this.hubAway) return;
    this.hubAway = false;
    this.options.log(`strata agent: the hub answers again; ${this.outbox.size} events to send`);
  }

  private file(name: string): string {
    return join(this.options.stateDir, name);
  }

  /** For tests: the cluster the agent runs and how many events wait for the hub. */
  get pending(): number {
    return this.outbox.size;
  }

  get cluster(): string | undefined {
    return this.desired?.cluster;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
