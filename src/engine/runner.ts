import type { KubernetesObject } from '@kubernetes/client-node';
import { abortableSleep, backoffDelay, classifyError, type Backoff, type KubeClient } from '../kube/index.js';
import { formatDuration, type KubeObject } from '../profile/index.js';
import {
  PackOperation,
  PackPhase,
  ResourceState,
  evaluateResource,
  formatRef,
  initialPackStatus,
  ownersAffectedBy,
  reducePackStatus,
  refKey,
  type ObjectRef,
  type PackEvent,
  type PackStage,
  type PackStatus,
} from '../status/index.js';
import type { DesiredPack } from './desired.js';
import { EngineError, EngineErrorCode } from './errors.js';
import { DriftPolicy, type RunnerEvent } from './events.js';
import { CLUSTER_SCOPED, isCrd } from './order.js';
import { HookEvent, Label, renderPack, type HelmHook, type RenderedPack } from './render.js';
import { Waiters } from './waiters.js';
import { WatchSet, type WatchSetEvent } from './watch-set.js';
import { detectDrift, FIELD_MANAGER, ownFields } from './drift.js';

export interface RunnerOptions {
  readonly cluster: string;
  readonly kube: KubeClient;
  readonly helmBin: string;
  readonly onEvent: (event: RunnerEvent) => void;
  readonly driftPolicy?: DriftPolicy;
  /** Last known statuses (from the store) so history and start times survive a restart. */
  readonly initial?: ReadonlyMap<string, PackStatus>;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly retry?: Backoff;
}

interface PackRun {
  desired: DesiredPack;
  /** The last rendering of the desired pack, kept for drift correction. */
  rendered?: RenderedPack;
  status: PackStatus;
  /** Owned objects, in install order (hooks first and last, as they run). */
  inventory: ObjectRef[];
  inventoryKeys: ReadonlySet<string>;
  /** The revision whose objects are all applied; undefined until the first complete apply. */
  appliedRevision?: string;
  /** The desired pack's definition the current task works on; a change restarts the task. */
  startedFor?: DesiredPack;
  task?: AbortController;
  removing: boolean;
  timer?: NodeJS.Timeout;
  /** strata's managed fields per object right after our apply: a change means someone else took some over. */
  appliedFields: Map<string, string>;
  /** Objects being put back after drift, so their own events are not reported as drift again. */
  correcting: Set<string>;
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
  private reconcileQueued = false;
  private stopped = false;
  private reachable = true;
  private kubeVersion?: string;

  constructor(private readonly options: RunnerOptions) {
    this.now = options.now ?? Date.now;
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
    const names = new Set(packs.map((p) => p.pack.name));
    for (const desired of packs) {
      const run = this.runs.get(desired.pack.name);
      if (run) {
        // The same definition again (e.g. another profile of the cluster changed): leave the pack alone.
        const unchanged = sameDefinition(run.desired, desired);
        if (unchanged && run.startedFor === run.desired) run.startedFor = desired;
        run.desired = desired;
        run.removing = false;
        continue;
      }
      const initial = this.options.initial?.get(desired.pack.name);
      const created: PackRun = {
        desired,
        status: initial ?? initialPackStatus({ revision: '', stage: { type: 'Queued' } }),
        inventory: [],
        inventoryKeys: new Set(),
        removing: false,
        appliedFields: new Map(),
        correcting: new Set(),
      };
      this.runs.set(desired.pack.name, created);
      if (initial) this.emitStatus(created);
    }
    for (const [name, run] of this.runs) if (!names.has(name)) run.removing = true;
    this.scheduleReconcile();
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

  get isReachable(): boolean {
    return this.reachable;
  }

  stop(): void {
    this.stopped = true;
    for (const run of this.runs.values()) {
      run.task?.abort(new Error('runner stopped'));
      clearTimeout(run.timer);
    }
    this.watches.stop();
    this.wake();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Ordering: which pack may start, and what the others wait for.

  private scheduleReconcile(): void {
    if (this.reconcileQueued || this.stopped) return;
    this.reconcileQueued = true;
    queueMicrotask(() => {
      this.reconcileQueued = false;
      if (!this.stopped) this.reconcile();
    });
  }

  private reconcile(): void {
    const active = [...this.runs.values()]
      .filter((r) => !r.removing)
      .sort((a, b) => a.desired.order - b.desired.order);
    for (const run of active) {
      if (run.startedFor === run.desired) continue;
      const earlier = active.filter((r) => r.desired.wave < run.desired.wave);
      const failed = earlier.find((r) => r.status.phase === PackPhase.Failed);
      if (failed) {
        this.setStageIfIdle(run, { type: 'Blocked', blockedBy: packName(failed) });
        continue;
      }
      const pending = earlier.filter((r) => r.status.phase !== PackPhase.Success);
      if (pending.length > 0) {
        // Name what is nearest: the latest earlier wave that still has packs not green.
        const wave = Math.max(...pending.map((r) => r.desired.wave));
        const waitingFor = pending
          .filter((r) => r.desired.wave === wave)
          .map((r) => ({ pack: packName(r), phase: r.status.phase }));
        this.setStageIfIdle(run, { type: 'Waiting', waitingFor });
        continue;
      }
      this.startInstall(run);
    }
    this.reconcileRemovals();
  }

  /** Gray stages only apply to packs that have not started their current definition. */
  private setStageIfIdle(run: PackRun, stage: PackStage): void {
    if (run.task) return;
    this.dispatch(run, { type: 'StageChanged', time: this.iso(), stage });
  }

  private reconcileRemovals(): void {
    const removing = [...this.runs.values()]
      .filter((r) => r.removing)
      .sort((a, b) => b.desired.order - a.desired.order);
    const first = removing[0];
    // Reverse install order, one wave at a time: the last installed goes first.
    if (!first) return;
    for (const run of removing.filter((r) => r.desired.wave === first.desired.wave)) {
      if (run.status.stage.type !== 'Uninstalling' || !run.task) this.startUninstall(run);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Install and upgrade.

  private startInstall(run: PackRun): void {
    run.task?.abort(new Error('superseded by a newer definition'));
    const task = new AbortController();
    run.task = task;
    run.startedFor = run.desired;
    this.install(run, task.signal)
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

  private async install(run: PackRun, signal: AbortSignal): Promise<void> {
    const desired = run.desired;
    const pack = desired.pack;
    if (run.status.phase !== PackPhase.Success)
      this.dispatch(run, { type: 'StageChanged', time: this.iso(), stage: { type: 'Rendering' } });
    const rendered = await renderPack(pack, {
      cluster: this.options.cluster,
      profile: desired.profile.name,
      baseDir: desired.baseDir,
      helmBin: this.options.helmBin,
      ...(this.kubeVersion ? { kubeVersion: this.kubeVersion } : {}),
    });
    signal.throwIfAborted();

    run.rendered = rendered;
    const operation =
      run.appliedRevision === undefined && run.status.revision === ''
        ? PackOperation.Install
        : PackOperation.Upgrade;
    // A green pack whose rendering did not change (a restart, a resync) is re-applied quietly: server-side
    // apply leaves unchanged objects untouched, and the page should not flash blue for nothing.
    const quiet = rendered.revision === run.status.revision && run.status.phase === PackPhase.Success;
    if (!quiet) {
      this.dispatch(run, {
        type: 'RevisionStarted',
        time: this.iso(),
        revision: rendered.revision,
        operation,
        stage: { type: 'Applying' },
      });
      this.armTimeout(run);
    }

    const hooksFor = (phase: 'pre' | 'post') =>
      rendered.hooks.filter((h) =>
        h.events.some((e) =>
          operation === PackOperation.Install
            ? e === (phase === 'pre' ? HookEvent.PreInstall : HookEvent.PostInstall)
            : e === (phase === 'pre' ? HookEvent.PreUpgrade : HookEvent.PostUpgrade),
        ),
      );
    const pre = hooksFor('pre');
    const post = hooksFor('post');
    const previous = new Set(run.inventoryKeys);
    this.setInventory(run, [...pre.map((h) => h.object), ...rendered.objects, ...post.map((h) => h.object)]);

    if (pack.namespace.create) await this.applyNamespace(run, signal);
    await this.runHooks(run, pre, signal);

    // CRDs first, and Established before anything that may be one of their custom resources.
    const crds = rendered.objects.filter(isCrd);
    const rest = rendered.objects.filter((o) => !isCrd(o));
    if (crds.length > 0) {
      await this.watches.ensureKinds(crds);
      for (const crd of crds) await this.applyObject(run, crd, signal);
      await this.waitForReady(run, crds.map(refOf), signal);
      this.options.kube.invalidateDiscovery();
    }
    await this.watches.ensureKinds(rest);
    for (const object of rest) await this.applyObject(run, object, signal);
    await this.runHooks(run, post, signal);

    run.appliedRevision = rendered.revision;
    if (!quiet || run.status.stage.type !== 'Applied')
      this.dispatch(run, { type: 'StageChanged', time: this.iso(), stage: { type: 'Applied' } });
    await this.prune(run, previous, signal);
  }

  private async applyNamespace(run: PackRun, signal: AbortSignal): Promise<void> {
    const ns = run.desired.pack.namespace;
    const object: KubeObject = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ns.name,
        labels: { ...ns.labels, [Label.Cluster]: this.options.cluster },
        annotations: { ...ns.annotations },
      },
    };
    await this.withRetry(
      run,
      `Namespace ${ns.name}`,
      () => this.options.kube.apply(object, { fieldManager: FIELD_MANAGER, force: false }),
      signal,
    );
  }

  /** Applies one object with server-side apply, retrying what may pass later, failing on what will not. */
  private async applyObject(
    run: PackRun,
    object: KubeObject,
    signal: AbortSignal,
    options: { force?: boolean } = {},
  ): Promise<void> {
    const target = await this.withNamespace(run, object, signal);
    const applied = await this.withRetry(
      run,
      formatRef(refOf(target)),
      () =>
        this.options.kube.apply(target as KubernetesObject, {
          fieldManager: FIELD_MANAGER,
          force: options.force ?? false,
        }),
      signal,
    );
    run.appliedFields.set(refKey(refOf(target)), ownFields(applied));
  }

  /** Namespaced objects without a namespace go to the pack's namespace, as `helm install` would put them. */
  private async withNamespace(run: PackRun, object: KubeObject, signal: AbortSignal): Promise<KubeObject> {
    if (object.metadata.namespace) return object;
    const info = await this.withRetry(
      run,
      `${object.kind} ${object.metadata.name}`,
      () => this.options.kube.resourceFor(object.apiVersion, object.kind),
      signal,
    );
    return info.namespaced
      ? { ...object, metadata: { ...object.metadata, namespace: run.desired.pack.namespace.name } }
      : object;
  }

  private async withRetry<T>(
    run: PackRun,
    what: string,
    action: () => Promise<T>,
    signal: AbortSignal,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      signal.throwIfAborted();
      try {
        const result = await action();
        if (run.status.stage.type === 'Retrying')
          this.dispatch(run, { type: 'StageChanged', time: this.iso(), stage: { type: 'Applying' } });
        return result;
      } catch (error) {
        if (error instanceof EngineError) throw error;
        const kubeError = classifyError(error);
        // Kube errors about an object already name it; others (discovery, network) get the object in front.
        const message = kubeError.message.includes(what)
          ? kubeError.message
          : `${what}: ${kubeError.message}`;
        if (!kubeError.retryable)
          throw new EngineError(EngineErrorCode.ApplyFailed, message, { cause: error });
        this.dispatch(run, {
          type: 'StageChanged',
          time: this.iso(),
          stage: { type: 'Retrying', attempt, cause: message },
        });
        await abortableSleep(backoffDelay(attempt, this.retry, this.random), signal);
      }
    }
  }

  /** Helm hooks of one phase, by weight; each weight group must be ready (a Job: complete) before the next. */
  private async runHooks(run: PackRun, hooks: readonly HelmHook[], signal: AbortSignal): Promise<void> {
    const weights = [...new Set(hooks.map((h) => h.weight))].sort((a, b) => a - b);
    for (const weight of weights) {
      const group = hooks.filter((h) => h.weight === weight);
      await this.watches.ensureKinds(group.map((h) => h.object));
      for (const hook of group) {
        if (hook.deletePolicies.includes('before-hook-creation')) {
          const ref = refOf(await this.withNamespace(run, hook.object, signal));
          await this.options.kube.delete(ref, { propagationPolicy: 'Background' });
          await this.waiters.until(signal, () => this.watches.get(ref) === undefined);
        }
      }
      for (const hook of group) await this.applyObject(run, hook.object, signal);
      const refs = await Promise.all(
        group.map(async (h) => refOf(await this.withNamespace(run, h.object, signal))),
      );
      await this.waitForReady(run, refs, signal);
      for (const [index, hook] of group.entries()) {
        const ref = refs[index];
        if (ref && hook.deletePolicies.includes('hook-succeeded')) {
          await this.options.kube.delete(ref, { propagationPolicy: 'Background' });
          this.setInventory(
            run,
            run.inventory.filter((r) => refKey(r) !== refKey(ref)),
          );
        }
      }
    }
  }

  /** Resolves when every ref is Ready; throws (the pack turns red) when one fails. */
  private async waitForReady(run: PackRun, refs: readonly ObjectRef[], signal: AbortSignal): Promise<void> {
    const keys = new Set(refs.map(refKey));
    await this.waiters.until(signal, () => {
      const resources = run.status.resources.filter((r) => keys.has(refKey(r.ref)));
      const failed = resources.find((r) => r.evaluation.state === ResourceState.Failed);
      if (failed) throw new EngineError(EngineErrorCode.ApplyFailed, failed.evaluation.message);
      return (
        resources.length === keys.size && resources.every((r) => r.evaluation.state === ResourceState.Ready)
      );
    });
  }

  /** Deletes what this pack owned before and no longer renders, including what an earlier process applied. */
  private async prune(run: PackRun, previous: ReadonlySet<string>, signal: AbortSignal): Promise<void> {
    const name = run.desired.pack.name;
    const stale: ObjectRef[] = [];
    for (const { ref, object } of this.watches.ownedObjects()) {
      if (object.metadata?.labels?.[Label.Pack] === name && !run.inventoryKeys.has(refKey(ref)))
        stale.push(ref);
    }
    for (const key of previous) if (!run.inventoryKeys.has(key)) this.forgetFields(run, key);
    for (const ref of stale.reverse()) {
      signal.throwIfAborted();
      await this.withRetry(
        run,
        `prune ${formatRef(ref)}`,
        () => this.options.kube.delete(ref, { propagationPolicy: 'Background' }),
        signal,
      );
    }
  }

  private forgetFields(run: PackRun, key: string): void {
    run.appliedFields.delete(key);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Uninstall.

  private startUninstall(run: PackRun): void {
    run.task?.abort(new Error('pack removed'));
    clearTimeout(run.timer);
    const task = new AbortController();
    run.task = task;
    this.uninstall(run, task.signal)
      .catch((error: unknown) => {
        if (task.signal.aborted || this.stopped) return;
        const message = error instanceof Error ? error.message : String(error);
        this.dispatch(run, {
          type: 'StageChanged',
          time: this.iso(),
          stage: { type: 'ApplyFailed', error: `uninstall: ${message}` },
        });
      })
      .finally(() => {
        if (run.task === task) run.task = undefined;
        this.scheduleReconcile();
      });
  }

  private async uninstall(run: PackRun, signal: AbortSignal): Promise<void> {
    this.dispatch(run, {
      type: 'RevisionStarted',
      time: this.iso(),
      revision: run.status.revision,
      operation: PackOperation.Uninstall,
      stage: { type: 'Uninstalling' },
    });
    // Everything labelled as this pack's, not only the inventory: a restarted hub has no inventory in memory.
    const refs = new Map(run.inventory.map((r) => [refKey(r), r]));
    for (const { ref, object } of this.watches.ownedObjects()) {
      if (object.metadata?.labels?.[Label.Pack] === run.desired.pack.name) refs.set(refKey(ref), ref);
    }
    for (const ref of [...refs.values()].reverse()) {
      await this.withRetry(
        run,
        `delete ${formatRef(ref)}`,
        () => this.options.kube.delete(ref, { propagationPolicy: 'Foreground' }),
        signal,
      );
    }
    await this.waiters.until(signal, () =>
      [...refs.values()].every((ref) => this.watches.get(ref) === undefined),
    );
    this.runs.delete(run.desired.pack.name);
    this.unindex(run);
    this.options.onEvent({
      type: 'PackRemoved',
      cluster: this.options.cluster,
      pack: run.desired.pack.name,
      time: this.iso(),
    });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Watch events → resource evaluations → pack status.

  private onWatchEvent(event: WatchSetEvent): void {
    if (this.stopped) return;
    if (event.type === 'Owned') {
      for (const run of this.packsByKey.get(refKey(event.ref))?.keys() ?? []) {
        this.evaluate(run, event.ref);
        this.checkDrift(run, event.ref, event.event.type, event.event.object);
      }
    } else {
      const owners = ownersAffectedBy(event.event.object, (uid) => this.watches.replicaSet(uid));
      for (const uid of owners) {
        const key = this.watches.keyOfUid(uid);
        if (!key) continue;
        for (const [run, ref] of this.packsByKey.get(key) ?? []) this.evaluate(run, ref);
      }
    }
    this.wake();
  }

  private evaluate(run: PackRun, ref: ObjectRef): void {
    const evaluation = evaluateResource(ref, this.watches.get(ref), { related: this.watches });
    this.dispatch(run, { type: 'ResourceEvaluated', time: this.iso(), ref, evaluation });
  }

  private setInventory(run: PackRun, objects: readonly KubeObject[] | readonly ObjectRef[]): void {
    const refs = objects
      .map((o) => ('metadata' in o ? refOf(o) : o))
      .map((r) => this.defaultNamespace(run, r));
    this.unindex(run);
    run.inventory = refs;
    run.inventoryKeys = new Set(refs.map(refKey));
    for (const ref of refs) {
      const key = refKey(ref);
      const packs = this.packsByKey.get(key) ?? new Map<PackRun, ObjectRef>();
      packs.set(run, ref);
      this.packsByKey.set(key, packs);
    }
    this.dispatch(run, { type: 'InventoryChanged', time: this.iso(), resources: refs });
    // Objects the watches have not seen stay "not yet observed"; evaluating them now would only emit a
    // Missing/NotFound status for each, one full status event per object for nothing.
    for (const ref of refs) if (this.watches.get(ref)) this.evaluate(run, ref);
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
    this.options.onEvent({
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
    this.applyObject(run, object, task.signal, { force: true }).catch((error: unknown) => {
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
    const phaseChanged = next.phase !== run.status.phase;
    run.status = next;
    if (next.phase === PackPhase.Success) clearTimeout(run.timer);
    this.emitStatus(run);
    if (phaseChanged) this.scheduleReconcile();
  }

  private emitStatus(run: PackRun): void {
    this.options.onEvent({
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
    this.options.onEvent({
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

  private iso(): string {
    return new Date(this.now()).toISOString();
  }
}

function packName(run: PackRun): string {
  return `${run.desired.pack.layer}/${run.desired.pack.name}`;
}

function refOf(object: KubeObject): ObjectRef {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name,
    ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
  };
}

/** Same pack definition and source folder: nothing to re-render. */
function sameDefinition(a: DesiredPack, b: DesiredPack): boolean {
  return (
    a.baseDir === b.baseDir &&
    a.profile.name === b.profile.name &&
    JSON.stringify(a.pack) === JSON.stringify(b.pack)
  );
}
