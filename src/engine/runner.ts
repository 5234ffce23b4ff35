import type { KubernetesObject } from '@kubernetes/client-node';
import { backoffDelay, type Backoff, type KubeApi } from '../kube/index.js';
import { formatDuration, type KubeObject, type OrderedPack } from '../profile/index.js';
import { nextSteps, sharedPredecessors, type PackSnapshot } from './scheduler.js';
import {
  PackPhase,
  WAITING_LIST_LIMIT,
  apiGroup,
  assertNever,
  evaluateResource,
  formatRef,
  initialPackStatus,
  ownersAffectedBy,
  reducePackStatus,
  refKey,
  type HealthRuleSpec,
  type ObjectRef,
  type PackEvent,
  type PackStage,
  type PackStatus,
} from '../status/index.js';
import type { DesiredPack } from './desired.js';
import { EngineError, EngineErrorCode } from './errors.js';
import { DriftPolicy, type RunnerEvent } from './events.js';
import { CLUSTER_SCOPED } from './order.js';
import { Waiters } from './waiters.js';
import { WatchSet, type WatchSetEvent } from './watch-set.js';
import { PackOperations } from './pack-operations.js';
import { refOf } from '../shared/refs.js';
import type { PackRun } from './pack-run.js';
import { detectDrift } from './drift.js';
import { RevisionGate, awaitingKeys } from './revision-gate.js';
import { HealthContext } from './health-context.js';
import { recentWarnings, type RecentWarning } from './recent-warnings.js';
import { MemoryRenderCache, type RenderCache } from './render-cache.js';
import { orphanedPacks } from './orphans.js';

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
}

/**
 * Runs one cluster: installs its desired packs wave by wave, watches everything they own and keeps each pack's
 * status true (src/status decides colours; this class feeds it facts and events). No HTTP or database code, so
 * the same runner can later run inside the workload cluster as an agent.
 */
export class ClusterRunner {
  private readonly runs = new Map<string, PackRun>();
  /** Owned object key → the packs whose inventory holds it (normally one): O(1) routing of watch events. */
  private readonly packsByKey = new Map<string, Map<PackRun, ObjectRef>>();
  private readonly watches: WatchSet;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly driftPolicy: DriftPolicy;
  private readonly retry: Backoff;
  private readonly waiters = new Waiters();
  private readonly ops: PackOperations;
  /** Tasks that are uninstalls, so reconcile does not restart one that is under way. */
  private readonly uninstallTasks = new WeakSet<AbortController>();
  /** Packs whose uninstall failed: the attempts so far and the timer of the next one. */
  private readonly uninstallRetries = new Map<PackRun, UninstallRetry>();
  private readonly health: HealthContext;
  /** Re-evaluations due when a custom resource's wait for its controller's first status ends. */
  private readonly graceTimers = new Map<string, NodeJS.Timeout>();
  private reconcileQueued = false;
  /** See `changes`. */
  private changeCount = 0;
  /** The last predecessors() of the active packs, with what it was computed from. */
  private ordering?: { readonly key: string; readonly predecessors: ReadonlyMap<string, readonly string[]> };
  /** Whether the stored packs nobody wants any more were taken over for removal (first setDesired). */
  private orphansAdopted = false;
  /**
   * The stored statuses not taken yet: each is taken once. A pack removed and then added again in this process
   * starts a new life, as on a running hub; taking its stored status again would repeat its old transitions.
   */
  private readonly stored: Map<string, PackStatus>;
  private stopped = false;
  private reachable = true;

  constructor(private readonly options: RunnerOptions) {
    this.now = options.now ?? Date.now;
    this.stored = new Map(options.initial);
    this.random = options.random ?? Math.random;
    this.driftPolicy = options.driftPolicy ?? DriftPolicy.Correct;
    this.retry = options.retry ?? { initialMs: 500, maxMs: 30_000 };
    this.watches = new WatchSet({
      kube: options.kube,
      cluster: options.cluster,
      onEvent: (event) => {
        this.onWatchEvent(event);
      },
      onConnection: (state) => {
        this.onConnection(state.connected, state.connected ? undefined : state.error.message);
      },
    });
    this.health = new HealthContext({
      kube: options.kube,
      now: this.now,
      onKindLearned: (group, kind) => {
        this.evaluateKind(group, kind);
      },
    });
    this.ops = new PackOperations({
      cluster: options.cluster,
      kube: options.kube,
      helmBin: options.helmBin,
      watches: this.watches,
      waiters: this.waiters,
      retry: this.retry,
      random: this.random,
      renderCache: options.renderCache ?? new MemoryRenderCache(),
      iso: () => this.iso(),
      sink: {
        report: (run, event) => {
          if (!this.quietDuringRetry(run, event)) this.dispatch(run, event);
        },
        inventory: (run, objects) => {
          this.setInventory(run, objects);
        },
        revisionStarted: (run) => {
          this.armTimeout(run);
        },
        applied: (run, ref, answer) => {
          if (run.gate.applied(refKey(ref), answer, this.watches.get(ref))) this.evaluate(run, ref);
        },
      },
    });
  }

  /** Starts the Pod and ReplicaSet watches. Call once before setDesired. */
  async start(): Promise<void> {
    await this.watches.start();
  }

  /**
   * The packs the cluster should have, in install order. New packs install, changed packs upgrade, removed
   * packs uninstall in reverse install order, unchanged packs are left alone.
   */
  setDesired(packs: readonly DesiredPack[]): void {
    this.changeCount++;
    const names = new Set(packs.map((p) => p.pack.name));
    for (const desired of packs) {
      const run = this.runs.get(desired.pack.name);
      if (run) {
        // The same definition again (e.g. another profile of the cluster changed): leave the pack alone.
        const unchanged = sameDefinition(run.desired, desired);
        if (unchanged && run.startedFor === run.desired) run.startedFor = desired;
        const rulesChanged =
          JSON.stringify(run.desired.healthChecks) !== JSON.stringify(desired.healthChecks);
        run.desired = desired;
        if (rulesChanged) this.evaluateInventory(run);
        if (run.removing) this.forgetUninstallRetry(run);
        run.removing = false;
        continue;
      }
      const initial = this.takeStored(desired.pack.name);
      const created: PackRun = {
        desired,
        status: initial ?? initialPackStatus({ revision: '', stage: { type: 'Queued' } }),
        inventory: [],
        inventoryKeys: new Set(),
        removing: false,
        appliedFields: new Map(),
        correcting: new Set(),
        gate: new RevisionGate(),
      };
      this.runs.set(desired.pack.name, created);
      if (initial) this.emitStatus(created);
    }
    for (const [name, run] of this.runs) if (!names.has(name)) run.removing = true;
    this.adoptOrphans(names, packs.length);
    this.scheduleReconcile();
  }

  private takeStored(pack: string): PackStatus | undefined {
    const status = this.stored.get(pack);
    this.stored.delete(pack);
    return status;
  }

  /**
   * A hub killed while removing a pack restarts without it in the desired set, though its objects and stored
   * status remain: such packs are removed as dropped packs are, from what the store remembers of them.
   */
  private adoptOrphans(desired: ReadonlySet<string>, firstOrder: number): void {
    if (this.orphansAdopted) return;
    this.orphansAdopted = true;
    const orphans = orphanedPacks(this.stored, desired, firstOrder);
    this.stored.clear();
    for (const orphan of orphans) {
      this.runs.set(orphan.desired.pack.name, {
        desired: orphan.desired,
        status: orphan.status,
        inventory: [...orphan.inventory],
        inventoryKeys: new Set(orphan.inventory.map(refKey)),
        removing: true,
        appliedFields: new Map(),
        correcting: new Set(),
        gate: new RevisionGate(),
      });
    }
  }

  /** Runs a pack's install again (after a failure, or to re-apply it). */
  retryPack(name: string): boolean {
    const run = this.runs.get(name);
    if (!run || run.removing) return false;
    run.task?.abort(new Error('retry requested'));
    run.task = undefined;
    run.startedFor = undefined;
    this.scheduleReconcile();
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
    return [...this.runs.values()]
      .sort((a, b) => a.desired.order - b.desired.order)
      .map((r) => ({
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
      clearTimeout(run.timer);
      this.forgetUninstallRetry(run);
    }
    for (const timer of this.graceTimers.values()) clearTimeout(timer);
    this.graceTimers.clear();
    this.watches.stop();
    this.wake();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Ordering: which pack may start, and what the others wait for.

  private scheduleReconcile(): void {
    if (this.reconcileQueued || this.stopped) return;
    this.reconcileQueued = true;
    // After the I/O callbacks of this turn: the phase changes of many watch events are decided in one pass.
    setImmediate(() => {
      this.reconcileQueued = false;
      if (!this.stopped) this.reconcile();
    });
  }

  /** Carries out what the scheduler (scheduler.ts) decides from a snapshot of every pack. */
  private reconcile(): void {
    const snapshots = [...this.runs.values()].map((run) => this.snapshot(run));
    const waiting = new Map<readonly string[], PackStage>();
    // One timestamp per reconcile: formatting one per gray pack on each phase change was its largest cost.
    const time = this.iso();
    for (const step of nextSteps(snapshots, { predecessors: this.predecessors(snapshots) })) {
      const run = this.runs.get(step.pack);
      if (!run) continue;
      switch (step.type) {
        case 'start':
          this.startInstall(run);
          break;
        case 'wait':
          // Packs waiting for the same packs share the list, and so the stage: built once per reconcile.
          this.setStage(run, waiting.get(step.for) ?? this.waitingStage(step.for, waiting), time);
          break;
        case 'block':
          this.setStage(run, { type: 'Blocked', blockedBy: this.packLabel(step.by) }, time);
          break;
        case 'uninstall':
          this.startUninstall(run);
          break;
        default:
          assertNever(step);
      }
    }
  }

  private snapshot(run: PackRun): PackSnapshot {
    return {
      ...orderedPack(run),
      order: run.desired.order,
      phase: run.status.phase,
      removing: run.removing,
      started: run.startedFor === run.desired,
      busy: run.task !== undefined,
      uninstalling:
        (run.task !== undefined && this.uninstallTasks.has(run.task)) ||
        this.uninstallRetries.get(run)?.timer !== undefined,
    };
  }

  /**
   * A few packs waited for are named each with its phase; more are summed up as their wave and the phases
   * among them, so the gray packs behind a large wave change when its phases do, not each time one of its
   * packs does (issue 15: that made the events of an install grow with the square of a wave's size).
   */
  private waitingStage(packs: readonly string[], built: Map<readonly string[], PackStage>): PackStage {
    const stage = this.buildWaitingStage(packs);
    built.set(packs, stage);
    return stage;
  }

  /**
   * The order between the active packs (predecessors(), shared lists) changes only when the set of packs or
   * their definitions do: kept between reconciles, which run on every phase change.
   */
  private predecessors(snapshots: readonly PackSnapshot[]): ReadonlyMap<string, readonly string[]> {
    const active = snapshots.filter((s) => !s.removing).sort((a, b) => a.wave - b.wave || a.order - b.order);
    const key = active
      .map((s) => `${s.name}\t${s.layer}\t${s.profile}\t${String(s.wave)}\t${s.dependsOn.join(',')}`)
      .join('\n');
    if (this.ordering?.key !== key) this.ordering = { key, predecessors: sharedPredecessors(active) };
    return this.ordering.predecessors;
  }

  private buildWaitingStage(packs: readonly string[]): PackStage {
    const phaseOf = (name: string) => this.runs.get(name)?.status.phase ?? PackPhase.Onboarding;
    const wave = packs.length > 0 ? this.runs.get(packs[0] ?? '')?.desired.wave : undefined;
    if (packs.length <= WAITING_LIST_LIMIT || wave === undefined) {
      return {
        type: 'Waiting',
        waitingFor: packs.map((name) => ({ pack: this.packLabel(name), phase: phaseOf(name) })),
      };
    }
    const present = new Set(packs.map(phaseOf));
    const phases = Object.values(PackPhase).filter((phase) => present.has(phase));
    return { type: 'Waiting', waitingFor: [], wave: { wave, phases } };
  }

  private setStage(run: PackRun, stage: PackStage, time: string): void {
    this.dispatch(run, { type: 'StageChanged', time, stage });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Install and upgrade.

  private startInstall(run: PackRun): void {
    run.task?.abort(new Error('superseded by a newer definition'));
    const task = new AbortController();
    run.task = task;
    run.startedFor = run.desired;
    this.ops
      .install(run, task.signal)
      .catch((error: unknown) => {
        if (task.signal.aborted || this.stopped) return;
        const message = error instanceof Error ? error.message : String(error);
        const stage: PackStage =
          error instanceof EngineError && error.code === EngineErrorCode.RenderFailed
            ? { type: 'RenderFailed', error: message }
            : { type: 'ApplyFailed', error: message };
        this.dispatch(run, { type: 'StageChanged', time: this.iso(), stage });
      })
      .finally(() => {
        if (run.task === task) run.task = undefined;
        this.scheduleReconcile();
      });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Uninstall.

  private startUninstall(run: PackRun): void {
    run.task?.abort(new Error('pack removed'));
    clearTimeout(run.timer);
    const task = new AbortController();
    run.task = task;
    this.uninstallTasks.add(task);
    // Attached again while (or after) being removed: its objects may be gone, so it installs anew.
    run.startedFor = undefined;
    this.ops
      .uninstall(run, task.signal)
      .then(() => {
        // Attached again as it finished (an install took over, or is about to): the pack stays and installs anew.
        if (task.signal.aborted || !run.removing) return;
        this.forgetUninstallRetry(run);
        this.runs.delete(run.desired.pack.name);
        this.unindex(run);
        this.report({
          type: 'PackRemoved',
          cluster: this.options.cluster,
          pack: run.desired.pack.name,
          time: this.iso(),
        });
      })
      .catch((error: unknown) => {
        if (task.signal.aborted || this.stopped) return;
        this.scheduleUninstallRetry(run, error);
      })
      .finally(() => {
        if (run.task === task) run.task = undefined;
        this.scheduleReconcile();
      });
  }

  /**
   * A failed uninstall is tried again after a capped, jittered backoff (never at once: an object that cannot
   * be deleted once will not be deleted a millisecond later either). The pack stays red with the cause; while
   * it retries, its attempts are quiet (see quietDuringRetry), so an unchanged failure adds no transition.
   */
  private scheduleUninstallRetry(run: PackRun, error: unknown): void {
    const attempt = (this.uninstallRetries.get(run)?.attempt ?? 0) + 1;
    const cause = error instanceof Error ? error.message : String(error);
    this.dispatch(run, {
      type: 'StageChanged',
      time: this.iso(),
      stage: {
        type: 'ApplyFailed',
        error: `uninstall: ${cause} (retrying, at most every ${formatDuration(this.retry.maxMs)})`,
      },
    });
    // Full jitter can draw 0: keep at least the initial delay so a failing uninstall never spins.
    const delay = Math.max(this.retry.initialMs, backoffDelay(attempt, this.retry, this.random));
    const retry: UninstallRetry = { attempt };
    retry.timer = setTimeout(() => {
      retry.timer = undefined;
      this.scheduleReconcile();
    }, delay);
    retry.timer.unref();
    this.uninstallRetries.set(run, retry);
  }

  private forgetUninstallRetry(run: PackRun): void {
    clearTimeout(this.uninstallRetries.get(run)?.timer);
    this.uninstallRetries.delete(run);
  }

  /**
   * After an uninstall failed, the next attempts do not announce themselves (Uninstalling, Retrying): the
   * pack would flip red → blue → red on every attempt. Their outcome still shows: gone, or red with the
   * (possibly new) cause.
   */
  private quietDuringRetry(run: PackRun, event: PackEvent): boolean {
    if (!run.removing || !this.uninstallRetries.has(run)) return false;
    return event.type === 'RevisionStarted' || event.type === 'StageChanged';
  }

  // ---------------------------------------------------------------------------------------------------------
  // Watch events → resource evaluations → pack status.

  private onWatchEvent(event: WatchSetEvent): void {
    if (this.stopped) return;
    this.changeCount++;
    if (event.type === 'Owned') {
      for (const run of this.packsByKey.get(refKey(event.ref))?.keys() ?? []) {
        this.evaluate(run, event.ref);
        this.checkDrift(run, event.ref, event.event.type, event.event.object);
      }
    } else {
      const owners =
        event.type === 'Warning'
          ? event.uids
          : ownersAffectedBy(event.event.object, (uid) => this.watches.replicaSet(uid));
      for (const uid of owners) {
        const key = this.watches.keyOfUid(uid);
        if (!key) continue;
        for (const [run, ref] of this.packsByKey.get(key) ?? []) this.evaluate(run, ref);
      }
    }
    this.wake();
  }

  private evaluate(run: PackRun, ref: ObjectRef): void {
    const object = this.watches.get(ref);
    if (!run.gate.admits(refKey(ref), object)) return;
    const health = this.health.evaluateOptions(
      {
        ...(run.desired.healthChecks === undefined ? {} : { healthChecks: run.desired.healthChecks }),
        ...(run.desired.pack.healthGraceMs === undefined ? {} : { graceMs: run.desired.pack.healthGraceMs }),
      },
      ref,
    );
    const evaluation = evaluateResource(ref, object, { related: this.watches, ...health });
    this.scheduleGraceRecheck(run, ref, this.health.recheckIn(evaluation, object, ref, health));
    this.dispatch(run, { type: 'ResourceEvaluated', time: this.iso(), ref, evaluation });
  }

  /** A custom resource waiting for its controller's first status is looked at again when its grace ends. */
  private scheduleGraceRecheck(run: PackRun, ref: ObjectRef, inMs: number | undefined): void {
    const key = `${run.desired.pack.name}\0${refKey(ref)}`;
    clearTimeout(this.graceTimers.get(key));
    this.graceTimers.delete(key);
    if (inMs === undefined || this.stopped) return;
    const timer = setTimeout(() => {
      this.graceTimers.delete(key);
      if (this.stopped || this.runs.get(run.desired.pack.name) !== run) return;
      if (!run.inventoryKeys.has(refKey(ref))) return;
      this.evaluate(run, ref);
      this.wake();
    }, inMs);
    timer.unref();
    this.graceTimers.set(key, timer);
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
    this.health.setClusterRules(specs);
    for (const run of this.runs.values()) this.evaluateInventory(run);
    this.wake();
  }

  private evaluateInventory(run: PackRun): void {
    if (this.stopped) return;
    for (const ref of run.inventory) if (this.watches.get(ref)) this.evaluate(run, ref);
  }

  /** Discovery told whether a kind has a status subresource: its objects may be judged differently now. */
  private evaluateKind(group: string, kind: string): void {
    if (this.stopped) return;
    for (const run of this.runs.values()) {
      for (const ref of run.inventory) {
        if (ref.kind === kind && apiGroup(ref.apiVersion) === group && this.watches.get(ref)) {
          this.evaluate(run, ref);
        }
      }
    }
    this.wake();
  }

  private setInventory(run: PackRun, objects: readonly KubeObject[] | readonly ObjectRef[]): void {
    const refs = objects
      .map((o) => ('metadata' in o ? refOf(o) : o))
      .map((r) => this.defaultNamespace(run, r));
    this.unindex(run);
    run.inventory = refs;
    run.inventoryKeys = new Set(refs.map(refKey));
    run.gate.retain(run.inventoryKeys);
    for (const ref of refs) {
      const key = refKey(ref);
      const packs = this.packsByKey.get(key) ?? new Map<PackRun, ObjectRef>();
      packs.set(run, ref);
      this.packsByKey.set(key, packs);
    }
    this.watchWarnings(refs);
    this.dispatch(run, { type: 'InventoryChanged', time: this.iso(), resources: refs });
    // Objects the watches have not seen stay "not yet observed"; evaluating them now would only emit a
    // Missing/NotFound status for each, one full status event per object for nothing.
    for (const ref of refs) if (this.watches.get(ref)) this.evaluate(run, ref);
  }

  /** Warning events of the pack's namespaces name the causes statuses do not (src/status/root-cause.ts). */
  private watchWarnings(refs: readonly ObjectRef[]): void {
    const namespaces = refs.flatMap((r) => (r.namespace === undefined ? [] : [r.namespace]));
    // Best effort: a failed start is retried by the next inventory change; the status rules work without it.
    this.watches.ensureWarningNamespaces(namespaces).catch(() => undefined);
  }

  private unindex(run: PackRun): void {
    for (const key of run.inventoryKeys) {
      const packs = this.packsByKey.get(key);
      packs?.delete(run);
      if (packs?.size === 0) this.packsByKey.delete(key);
    }
  }

  /**
   * The inventory is keyed before objects are applied, so a namespaced object without a namespace is keyed
   * under the pack's namespace; cluster-scoped kinds are known by name (discovery confirms on apply).
   */
  private defaultNamespace(run: PackRun, ref: ObjectRef): ObjectRef {
    if (ref.namespace || CLUSTER_SCOPED.has(ref.kind)) return ref;
    return { ...ref, namespace: run.desired.pack.namespace.name };
  }

  private checkDrift(
    run: PackRun,
    ref: ObjectRef,
    type: 'ADDED' | 'MODIFIED' | 'DELETED',
    live: KubernetesObject,
  ): void {
    if (run.removing || run.task || run.appliedRevision === undefined) return;
    const key = refKey(ref);
    if (run.correcting.has(key)) {
      if (type !== 'DELETED') run.correcting.delete(key);
      return;
    }
    const message = detectDrift({ ref, type, live, appliedFields: run.appliedFields.get(key) });
    if (!message) return;
    const correcting = this.driftPolicy === DriftPolicy.Correct;
    this.report({
      type: 'DriftDetected',
      cluster: this.options.cluster,
      pack: run.desired.pack.name,
      ref,
      message,
      correcting,
      time: this.iso(),
    });
    if (!correcting) return;
    const object = this.renderedObject(run, ref);
    if (!object) return;
    run.correcting.add(key);
    const task = new AbortController();
    // Put it back as rendered; force takes back the fields another manager took over.
    this.ops.applyObject(run, object, task.signal, { force: true }).catch((error: unknown) => {
      run.correcting.delete(key);
      this.dispatch(run, {
        type: 'StageChanged',
        time: this.iso(),
        stage: {
          type: 'ApplyFailed',
          error: `correcting drift of ${formatRef(ref)}: ${error instanceof Error ? error.message : String(error)}`,
        },
      });
    });
  }

  /** The last rendered version of an owned object, kept for drift correction. */
  private renderedObject(run: PackRun, ref: ObjectRef): KubeObject | undefined {
    return run.rendered?.objects.find((o) => refKey(this.defaultNamespace(run, refOf(o))) === refKey(ref));
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
    if (next.phase === PackPhase.Success) clearTimeout(run.timer);
    this.emitStatus(run);
    if (phaseChanged) this.scheduleReconcile();
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

  private armTimeout(run: PackRun): void {
    clearTimeout(run.timer);
    const ms = run.desired.pack.timeoutMs;
    const deadline = new Date(this.now() + ms).toISOString();
    run.timer = setTimeout(() => {
      this.dispatch(run, {
        type: 'TimedOut',
        time: this.iso(),
        timeout: { deadline, after: formatDuration(ms) },
      });
      this.wake();
    }, ms);
    run.timer.unref();
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

  /** `monitoring/metrics-store`: a gray pack names the profile and pack it waits on or is blocked by. */
  private packLabel(name: string): string {
    const run = this.runs.get(name);
    return run ? `${run.desired.profile.name}/${name}` : name;
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }
}

function orderedPack(run: PackRun): OrderedPack {
  const { pack, profile, wave } = run.desired;
  return { name: pack.name, layer: pack.layer, profile: profile.name, wave, dependsOn: pack.dependsOn };
}

interface UninstallRetry {
  readonly attempt: number;
  timer?: NodeJS.Timeout;
}

/** Same pack definition and source folder: nothing to re-render. */
function sameDefinition(a: DesiredPack, b: DesiredPack): boolean {
  return (
    a.chartFile === b.chartFile &&
    a.profile.name === b.profile.name &&
    JSON.stringify(a.pack) === JSON.stringify(b.pack)
  );
}
