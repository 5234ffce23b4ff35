import type { KubernetesObject } from '@kubernetes/client-node';
import type { Backoff, KubeApi, WatchCharge } from '../kube/index.js';
import {
  PackPhase,
  reducePackStatus,
  refKey,
  type HealthRuleSpec,
  type ObjectRef,
  type PackEvent,
  type PackStatus,
} from '../status/index.js';
import type { DesiredPack } from './desired.js';
import { DriftCorrection } from './drift-correction.js';
import { Installs } from './installs.js';
import { KindScopes } from './kind-scopes.js';
import { PackEvaluations } from './evaluations.js';
import { DriftPolicy, type RunnerEvent } from './events.js';
import { Waiters } from './waiters.js';
import { WatchSet, type WatchSetEvent } from './watch-set.js';
import { PackOperations, type PackSink } from './pack-operations.js';
import { ownFields } from './drift.js';
import type { PackRun, RunnerCore } from './pack-run.js';
import { Removals } from './removals.js';
import { awaitingKeys } from './revision-gate.js';
import { PackObjects } from './pack-objects.js';
import { PackSet } from './pack-set.js';
import { RunSink, type RunRecorder } from './run-sink.js';
import { recentWarnings, type RecentWarning } from './recent-warnings.js';
import { MemoryRenderCache, type RenderCache } from './render-cache.js';
import { Reconciler } from './reconciler.js';

export interface RunnerOptions {
  readonly cluster: string;
  readonly kube: KubeApi;
  readonly helmBin: string;
  readonly onEvent: (event: RunnerEvent) => void;
  readonly driftPolicy?: DriftPolicy;
  /** Last known statuses (from the store) so history and start times survive a restart. */
  readonly initial?: ReadonlyMap<string, PackStatus>;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly retry?: Backoff;
  /** Where Helm packs' renderings are kept between resyncs and restarts (ADR 0007); default in memory. */
  readonly renderCache?: RenderCache;
  /** The cluster's part of the hub's watch budget (WatchSetOptions.budget); default unbounded but per kind. */
  readonly watchBudget?: WatchCharge;
  /** Where what the runner cannot watch is said (WatchSetOptions.log); default nowhere. */
  readonly log?: (line: string) => void;
  /** How long after a refusal the reachability watch is asked for again (WatchSetOptions); default 1 min. */
  readonly reachabilityRetryMs?: number;
}

/**
 * Runs one cluster: installs its desired packs wave by wave, watches everything they own and keeps each pack's
 * status true (src/status decides colours; this class feeds it facts and events). No HTTP or database code, so
 * the same runner can later run inside the workload cluster as an agent.
 *
 * Its parts: which packs it holds is pack-set.ts; which pack starts, waits or is removed, scheduler.ts and
 * schedule.ts, carried out by reconciler.ts; the steps of an install or a removal, PackOperations (install.ts,
 * uninstall.ts); the install task with its timeout clock, installs.ts; the removal task with its retry clock,
 * removals.ts; watch events into evaluations, evaluations.ts; drift, drift-correction.ts. This class wires them
 * and turns facts into statuses (`dispatch`).
 */
export class ClusterRunner {
  private readonly packs: PackSet;
  private readonly runs: ReadonlyMap<string, PackRun>;
  private readonly watches: WatchSet;
  private readonly packObjects = new PackObjects();
  private readonly scopes = new KindScopes();
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly driftPolicy: DriftPolicy;
  private readonly retry: Backoff;
  private readonly waiters = new Waiters();
  private readonly ops: PackOperations;
  private readonly installs: Installs;
  private readonly removals: Removals;
  private readonly evaluations: PackEvaluations;
  private readonly drift: DriftCorrection;
  private readonly reconciler: Reconciler;
  private stopped = false;
  private reachable = true;
  /** See `changes`. */
  private changeCount = 0;
  /** The millisecond `isoText` was made for (iso()). */
  private isoAt = Number.NaN;
  private isoText = '';

  constructor(private readonly options: RunnerOptions) {
    this.now = options.now ?? Date.now;
    this.packs = new PackSet(options.initial);
    this.runs = this.packs.runs;
    this.random = options.random ?? Math.random;
    this.driftPolicy = options.driftPolicy ?? DriftPolicy.Correct;
    this.retry = options.retry ?? { initialMs: 500, maxMs: 30_000 };
    this.watches = new WatchSet({
      kube: options.kube,
      cluster: options.cluster,
      ...(options.watchBudget ? { budget: options.watchBudget } : {}),
      ...(options.log ? { log: options.log } : {}),
      ...(options.reachabilityRetryMs === undefined
        ? {}
        : { reachabilityRetryMs: options.reachabilityRetryMs }),
      onEvent: (event) => {
        this.packObjects.record(event);
        this.onWatchEvent(event);
      },
      onConnection: (state) => {
        this.onConnection(state.connected, state.connected ? undefined : state.error.message);
      },
    });
    const core = this.core();
    this.evaluations = new PackEvaluations(core, this.watches, {
      kube: options.kube,
      now: this.now,
      scopes: this.scopes,
    });
    this.ops = new PackOperations({
      cluster: options.cluster,
      kube: options.kube,
      helmBin: options.helmBin,
      watches: this.watches,
      packObjects: this.packObjects,
      scopes: this.scopes,
      waiters: this.waiters,
      retry: this.retry,
      random: this.random,
      renderCache: options.renderCache ?? new MemoryRenderCache(),
      iso: () => this.iso(),
    });
    this.installs = new Installs(core, { ops: this.ops, now: this.now });
    this.removals = new Removals(core, {
      ops: this.ops,
      deadlines: this.installs.deadlines,
      retry: this.retry,
      random: this.random,
      removed: (run) => {
        this.packs.remove(run.desired.pack.name);
        this.evaluations.unindex(run);
      },
    });
    this.reconciler = new Reconciler(core, {
      packs: this.packs,
      installs: this.installs,
      removals: this.removals,
    });
    this.drift = new DriftCorrection(core, {
      policy: this.driftPolicy,
      ops: this.ops,
      scopes: this.scopes,
      appliedFields: (run, key) => this.evaluations.appliedFields(run, key),
    });
  }

  /** What the runner's parts share of it (pack-run.ts). */
  private core(): RunnerCore {
    return {
      cluster: this.options.cluster,
      runs: this.runs,
      stopped: () => this.stopped,
      dispatch: (run, event) => {
        this.dispatch(run, event);
      },
      emit: (event) => {
        this.report(event);
      },
      scheduleReconcile: (run) => {
        this.reconciler.schedule(run);
      },
      wake: () => {
        this.wake();
      },
      iso: () => this.iso(),
      sink: (run) => this.sinkFor(run),
    };
  }

  /** Where the steps of `run`'s tasks report: the runner records what they learn on the run (run-sink.ts). */
  private sinkFor(run: PackRun): PackSink {
    return new RunSink(this.recorder, run);
  }

  private readonly recorder: RunRecorder = {
    report: (run, event) => {
      if (!this.removals.quiet(run, event)) this.dispatch(run, event);
    },
    // What is no longer the pack's is no longer checked for drift: its applied fields go with its ownership.
    inventory: (run, objects) => {
      this.evaluations.setInventory(run, objects);
    },
    rendered: (run, rendering) => {
      run.rendered = rendering;
    },
    revisionStarted: (run) => {
      this.installs.armTimeout(run);
    },
    applied: (run, ref, answer) => {
      this.evaluations.setAppliedFields(run, refKey(ref), ownFields(answer));
      this.admit(run, ref, answer);
    },
    kept: (run, ref, live) => {
      this.admit(run, ref, live);
    },
    revisionApplied: (run, revision) => {
      run.appliedRevision = revision;
    },
  };

  /** The revision gate may evaluate an object once the answer to our apply (or the object kept) is seen. */
  private admit(run: PackRun, ref: ObjectRef, answer: KubernetesObject): void {
    if (run.gate.applied(refKey(ref), answer, this.watches.get(ref))) this.evaluations.evaluate(run, ref);
  }

  /**
   * Starts the watch that tells whether the cluster answers (WatchSet.start); Pods, ReplicaSets and Warning
   * events are watched per namespace as packs write there. Call once before setDesired.
   */
  async start(): Promise<void> {
    await this.watches.start();
  }

  /**
   * The packs the cluster should have, in install order. New packs install, changed packs upgrade, removed
   * packs uninstall in reverse install order, unchanged packs are left alone.
   */
  setDesired(packs: readonly DesiredPack[]): void {
    this.changeCount++;
    const changes = this.packs.setDesired(packs);
    for (const run of changes.restored) this.emitStatus(run);
    for (const run of changes.rulesChanged) this.evaluations.evaluateInventory(run);
    for (const run of changes.reattached) this.removals.forget(run);
    this.reconciler.schedule();
  }

  /** Runs a pack's install again (after a failure, or to re-apply it). */
  retryPack(name: string): boolean {
    const run = this.runs.get(name);
    if (!run || run.removing) return false;
    run.task?.abort(new Error('retry requested'));
    run.task = undefined;
    run.startedFor = undefined;
    this.reconciler.schedule(run);
    return true;
  }

  /** Re-applies every pack (idempotent: unchanged objects are not modified). */
  resync(): void {
    for (const name of this.runs.keys()) this.retryPack(name);
  }

  /** A pack's NOTES.txt as its last rendering printed it (local Helm charts that have one), else undefined. */
  notes(name: string): string | undefined {
    return this.runs.get(name)?.rendered?.notes;
  }

  /** Status of every pack, in install order. */
  statuses(): { pack: string; profile: string; order: number; status: PackStatus; stale: boolean }[] {
    return this.packs.inOrder().map((r) => ({
      pack: r.desired.pack.name,
      profile: r.desired.profile.name,
      order: r.desired.order,
      status: r.status,
      // While the API server is unreachable the colours are the last known ones, not statements about now.
      stale: !this.reachable,
    }));
  }

  /**
   * A count that grows whenever something a page of this cluster shows may have changed: a report (status,
   * removal, drift, connection), new desired packs, or any watch event (a Warning event or a pod changes the
   * recent warnings without changing a status). The hub serves a kept page while it stays the same.
   */
  get changes(): number {
    return this.changeCount;
  }

  get isReachable(): boolean {
    return this.reachable;
  }

  stop(): void {
    this.stopped = true;
    for (const run of this.runs.values()) {
      run.task?.abort(new Error('runner stopped'));
      this.removals.forget(run);
    }
    this.installs.deadlines.stop();
    this.evaluations.stop();
    this.watches.stop();
    this.wake();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Watch events → resource evaluations (evaluations.ts) → pack status.

  private onWatchEvent(event: WatchSetEvent): void {
    if (this.stopped) return;
    this.changeCount++;
    this.evaluations.route(event, (run, ref, change) => {
      this.drift.check(run, ref, change.type, change.object);
    });
    this.wake();
  }

  /** Recent Warning events of an owned object and what it controls, for the pack detail page. */
  recentWarnings(ref: ObjectRef): RecentWarning[] {
    return recentWarnings(this.watches.get(ref), this.watches);
  }

  /**
   * The cluster-wide health rules an admin applied (`strata health apply`); every owned object is judged
   * again by them. Pack rules still win over them.
   */
  setClusterHealthRules(specs: readonly HealthRuleSpec[]): void {
    this.evaluations.setClusterHealthRules(specs);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Plumbing.

  private dispatch(run: PackRun, event: PackEvent): void {
    const next = reducePackStatus(run.status, event);
    if (next === run.status) return;
    if (event.type === 'RevisionStarted' && next.revision !== run.status.revision) {
      run.gate.hold(awaitingKeys(next.resources));
    }
    const phaseChanged = next.phase !== run.status.phase;
    run.status = next;
    if (next.phase === PackPhase.Success) this.installs.deadlines.clear(run);
    this.emitStatus(run);
    if (phaseChanged) this.reconciler.schedule(run);
  }

  private report(event: RunnerEvent): void {
    this.changeCount++;
    this.options.onEvent(event);
  }

  private emitStatus(run: PackRun): void {
    this.report({
      type: 'PackStatusChanged',
      cluster: this.options.cluster,
      pack: run.desired.pack.name,
      profile: run.desired.profile.name,
      status: run.status,
    });
  }

  private onConnection(connected: boolean, error?: string): void {
    if (connected === this.reachable) return;
    this.reachable = connected;
    this.report({
      type: 'ConnectionChanged',
      cluster: this.options.cluster,
      reachable: connected,
      ...(error ? { error } : {}),
      time: this.iso(),
    });
  }

  private wake(): void {
    this.waiters.wake();
  }

  /**
   * The current time, ISO 8601. Many facts of one turn share a millisecond: the string is made once for it,
   * not a Date and a string per status change (issue 15: allocation per event).
   */
  private iso(): string {
    const now = this.now();
    if (now !== this.isoAt) {
      this.isoAt = now;
      this.isoText = new Date(now).toISOString();
    }
    return this.isoText;
  }
}
