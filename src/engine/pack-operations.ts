import type { KubernetesObject } from '@kubernetes/client-node';
import {
  abortableSleep,
  backoffDelay,
  classifyError,
  KubeError,
  KubeErrorCode,
  type Backoff,
  type KubeApi,
} from '../kube/index.js';
import { PackType, type KubeObject } from '../profile/index.js';
import {
  PackOperation,
  PackPhase,
  ResourceState,
  formatRef,
  refKey,
  type ObjectRef,
  type PackEvent,
} from '../status/index.js';
import { FIELD_MANAGER, ownFields } from './drift.js';
import { EngineError, EngineErrorCode } from './errors.js';
import { isCrd } from './order.js';
import { refOf } from '../shared/refs.js';
import type { PackRun } from './pack-run.js';
import { runHookEvent, type HookSteps } from './hooks.js';
import { aggregatesRoles, KeepReason, keepReason, servedKind } from './removal.js';
import { HookEvent, Label, renderPack, type HelmHook, type RenderedPack } from './render.js';
import { templateOnce, type RenderCache } from './render-cache.js';
import type { Waiters } from './waiters.js';
import type { WatchSet } from './watch-set.js';

const kindKey = (ref: Pick<ObjectRef, 'apiVersion' | 'kind'>) => `${ref.apiVersion}/${ref.kind}`;

/**
 * Where PackOperations reports what happens to a pack: facts for its status, never the runner's own state. The
 * runner implements it (reducing the facts into the pack's status, indexing its inventory for watch events,
 * arming its timeout); a test can implement it with a list.
 */
export interface PackSink {
  /** A fact for the pack's status (src/status reduces it). */
  report(run: PackRun, event: PackEvent): void;
  /**
   * The objects the pack owns from now on, in install order (hooks first and last, as they run). The sink
   * records them on the run (`inventory`, `inventoryKeys`): the steps read them back (prune, uninstall).
   */
  inventory(run: PackRun, objects: readonly KubeObject[] | readonly ObjectRef[]): void;
  /** A new revision is being applied: its timeout runs from now. */
  revisionStarted(run: PackRun): void;
  /** The API server's answer to our apply of the object at `ref`. */
  applied(run: PackRun, ref: ObjectRef, answer: KubernetesObject): void;
}

/** What the install steps work with. */
export interface OperationsContext {
  readonly cluster: string;
  readonly kube: KubeApi;
  readonly helmBin: string;
  readonly watches: WatchSet;
  readonly waiters: Waiters;
  readonly retry: Backoff;
  readonly random: () => number;
  /** Each Helm pack's rendering of its current revision (ADR 0007). */
  readonly renderCache: RenderCache;
  /** The current time, ISO 8601, for the facts reported. */
  iso(): string;
  readonly sink: PackSink;
}

/**
 * The steps of installing, upgrading and uninstalling one pack: render, namespace, hooks, CRDs until
 * Established, server-side apply with retries, prune, delete. The runner decides when they run and turns
 * their facts into the pack's colour.
 */
export class PackOperations {
  constructor(private readonly ctx: OperationsContext) {}

  async install(run: PackRun, signal: AbortSignal): Promise<void> {
    const desired = run.desired;
    const pack = desired.pack;
    if (run.status.phase !== PackPhase.Success)
      this.ctx.sink.report(run, { type: 'StageChanged', time: this.ctx.iso(), stage: { type: 'Rendering' } });
    // Rendered for this cluster as `helm install` would (its version, its served APIs); manifest packs need
    // none of it.
    const capabilities =
      pack.type === PackType.Helm
        ? await this.withRetry(
            run,
            'discovery of the cluster version and APIs',
            () => this.ctx.kube.capabilities(),
            signal,
          )
        : undefined;
    const rendered = await renderPack(pack, {
      cluster: this.ctx.cluster,
      profile: desired.profile.name,
      ...(desired.chartFile === undefined ? {} : { chartFile: desired.chartFile }),
      helmBin: this.ctx.helmBin,
      capabilities,
      // Once per revision (ADR 0007); a store that does not answer yet is retried, never rendered around.
      template: (helmPack, options) =>
        templateOnce(helmPack, options, {
          cache: this.ctx.renderCache,
          retry: (what, action) => this.withRetry(run, what, action, signal, { retryAll: true }),
          signal,
        }),
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
      this.ctx.sink.report(run, {
        type: 'RevisionStarted',
        time: this.ctx.iso(),
        revision: rendered.revision,
        operation,
        stage: { type: 'Applying' },
      });
      this.ctx.sink.revisionStarted(run);
    }

    const [preEvent, postEvent] =
      operation === PackOperation.Install
        ? [HookEvent.PreInstall, HookEvent.PostInstall]
        : [HookEvent.PreUpgrade, HookEvent.PostUpgrade];
    // Hooks belong to a Helm operation. Re-applying the revision a green pack already has (a resync, a restart,
    // drift correction) is none: like helm, which runs nothing then, it runs no hook and does not re-create the
    // hooks their delete policy removed (they would otherwise run again at every resync).
    const hooks = quiet
      ? []
      : rendered.hooks.filter((h) => h.events.includes(preEvent) || h.events.includes(postEvent));
    const preHooks = hooks.filter((h) => h.events.includes(preEvent));
    const postOnly = hooks.filter((h) => !h.events.includes(preEvent));

    // A CRD from the chart's crds/ folder is applied only when missing (Helm never upgrades those; see
    // applyObject). One that exists without our labels (installed by someone else, or by Helm) is not ours to
    // watch: left out of the inventory.
    const crds = rendered.objects.filter(isCrd);
    await this.ctx.watches.ensureKinds(crds);
    const foreign = new Set<string>();
    for (const crd of crds) {
      const ref = refOf(crd);
      if (keepReason(crd) !== KeepReason.ChartCrd || this.ctx.watches.get(ref)) continue;
      if (await this.withRetry(run, `get ${formatRef(ref)}`, () => this.ctx.kube.get(ref), signal))
        foreign.add(refKey(ref));
    }
    const objects = rendered.objects.filter((o) => !foreign.has(refKey(refOf(o))));

    // Each hook once, pre-event hooks first and post-event hooks last, as they run.
    const previous = new Set(run.inventoryKeys);
    this.ctx.sink.inventory(run, [
      ...preHooks.map((h) => h.object),
      ...objects,
      ...postOnly.map((h) => h.object),
    ]);

    if (pack.namespace.create) await this.applyNamespace(run, signal);
    await this.markHooks(run, hooks, signal);

    // CRDs first, and Established before anything that may be one of their custom resources (hooks included).
    const ownCrds = objects.filter(isCrd);
    const rest = objects.filter((o) => !isCrd(o));
    if (ownCrds.length > 0) {
      for (const crd of ownCrds) await this.applyObject(run, crd, signal);
      await this.waitForReady(
        run,
        ownCrds.map((crd) => refOf(crd)),
        signal,
      );
      this.ctx.kube.invalidateDiscovery();
      await this.waitUntilServed(run, ownCrds, [...rest, ...hooks.map((h) => h.object)], signal);
    }
    const steps = this.hookSteps();
    const runAgain = new Set(preHooks.filter((h) => h.events.includes(postEvent)));
    await runHookEvent(steps, run, preEvent, hooks, signal, runAgain);

    await this.ctx.watches.ensureKinds(rest);
    for (const object of rest) await this.applyObject(run, object, signal);
    await runHookEvent(steps, run, postEvent, hooks, signal);

    run.appliedRevision = rendered.revision;
    if (!quiet || run.status.stage.type !== 'Applied')
      this.ctx.sink.report(run, { type: 'StageChanged', time: this.ctx.iso(), stage: { type: 'Applied' } });
    await this.prune(run, previous, signal);
  }

  /** Marks the pack's resources that are these hooks (and only those) as hooks, for the page and history. */
  private async markHooks(run: PackRun, hooks: readonly HelmHook[], signal: AbortSignal): Promise<void> {
    const refs = await Promise.all(
      hooks.map(async (h) => refOf(await this.withNamespace(run, h.object, signal))),
    );
    this.ctx.sink.report(run, { type: 'HooksMarked', time: this.ctx.iso(), hooks: refs });
  }

  /** The steps hooks are run with (hooks.ts). */
  private hookSteps(): HookSteps {
    return {
      watches: this.ctx.watches,
      waiters: this.ctx.waiters,
      placed: (run, object, signal) => this.withNamespace(run, object, signal),
      apply: (run, object, signal) => this.applyObject(run, object, signal),
      deleteAndWait: async (run, ref, signal) => {
        await this.deleteObject(run, ref, signal, 'Background');
        await this.ctx.waiters.until(signal, () => this.ctx.watches.get(ref) === undefined);
      },
      forget: (run, refs) => {
        if (refs.length === 0) return;
        const keys = new Set(refs.map(refKey));
        this.ctx.sink.inventory(
          run,
          run.inventory.filter((r) => !keys.has(refKey(r))),
        );
      },
    };
  }

  /**
   * Deletes one object, retrying what may pass later. An object whose kind the server no longer serves
   * (its CRD or API version is gone) is gone too: there is nothing left to delete, and retrying would fail for
   * ever (issue 11: every uninstall attempt failed and restarted at once).
   */
  private async deleteObject(
    run: PackRun,
    ref: ObjectRef,
    signal: AbortSignal,
    propagationPolicy: 'Background' | 'Foreground',
  ): Promise<{ served: boolean }> {
    return await this.withRetry(
      run,
      `delete ${formatRef(ref)}`,
      async () => {
        try {
          await this.ctx.kube.delete(ref, { propagationPolicy });
          return { served: true };
        } catch (error) {
          if (classifyError(error).code === KubeErrorCode.UnknownKind) return { served: false };
          throw error;
        }
      },
      signal,
    );
  }

  private deletesCrds(run: PackRun): boolean {
    const pack = run.desired.pack;
    return pack.type === PackType.Helm && pack.deleteCrds === true;
  }

  /** The crds/ CRDs of the pack, live, when its profile opted in to deleting them on removal. */
  private chartCrdsToDelete(run: PackRun): { ref: ObjectRef; object: KubernetesObject }[] {
    if (!this.deletesCrds(run)) return [];
    const out = new Map<string, { ref: ObjectRef; object: KubernetesObject }>();
    const name = run.desired.pack.name;
    for (const { ref, object } of this.ctx.watches.ownedObjects())
      if (object.metadata?.labels?.[Label.Pack] === name && keepReason(object) === KeepReason.ChartCrd)
        out.set(refKey(ref), { ref, object });
    for (const ref of run.inventory) {
      const object = this.ctx.watches.get(ref);
      if (object && keepReason(object) === KeepReason.ChartCrd) out.set(refKey(ref), { ref, object });
    }
    return [...out.values()];
  }

  /** How many custom resources of a CRD exist in the cluster (0 when its kind is not served). */
  private async countCustomResources(crd: KubernetesObject): Promise<number> {
    const kind = servedKind(crd);
    if (!kind) return 0;
    try {
      return (await this.ctx.kube.list(kind)).items.length;
    } catch (error) {
      if (classifyError(error).code === KubeErrorCode.UnknownKind) return 0;
      throw error;
    }
  }

  private async applyNamespace(run: PackRun, signal: AbortSignal): Promise<void> {
    const ns = run.desired.pack.namespace;
    const object: KubeObject = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ns.name,
        labels: { ...ns.labels, [Label.Cluster]: this.ctx.cluster },
        annotations: { ...ns.annotations },
      },
    };
    await this.withRetry(
      run,
      `Namespace ${ns.name}`,
      () => this.ctx.kube.apply(object, { fieldManager: FIELD_MANAGER, force: false }),
      signal,
    );
  }

  /**
   * Watches the kinds of these objects, so they (and whatever else carries the pack's label) are seen: a pack
   * removed after a restart had none of its kinds watched by this process. Returns the kinds (`kindKey`)
   * discovery no longer serves: those have no objects left to delete (as in deleteObject), so they are neither
   * watched (a list of an unserved kind fails, or retries, for ever) nor waited for.
   */
  private async watchKinds(
    run: PackRun,
    refs: readonly ObjectRef[],
    signal: AbortSignal,
  ): Promise<Set<string>> {
    const kinds = new Map(refs.map((r) => [kindKey(r), r] as const));
    const unserved = new Set<string>();
    for (const [key, ref] of kinds) {
      const served = await this.withRetry(
        run,
        `watch ${ref.kind} (${ref.apiVersion})`,
        async () => {
          try {
            await this.ctx.kube.resourceFor(ref.apiVersion, ref.kind);
            await this.ctx.watches.ensureKinds([ref]);
            return true;
          } catch (error) {
            // NotFound: discovery still listed it as its CRD went, the list no longer finds it.
            const code = classifyError(error).code;
            if (code === KubeErrorCode.UnknownKind || code === KubeErrorCode.NotFound) return false;
            throw error;
          }
        },
        signal,
      );
      if (!served) unserved.add(key);
    }
    return unserved;
  }

  /** Applies one object with server-side apply, retrying what may pass later, failing on what will not. */
  async applyObject(
    run: PackRun,
    object: KubeObject,
    signal: AbortSignal,
    options: { force?: boolean } = {},
  ): Promise<KubernetesObject> {
    // A CRD of a chart's crds/ folder is installed when missing and then never changed, as Helm does: not on
    // upgrade, and not by drift correction either (users upgrade those CRDs themselves, e.g. cert-manager's).
    const liveChartCrd =
      keepReason(object) === KeepReason.ChartCrd ? this.ctx.watches.get(refOf(object)) : undefined;
    if (liveChartCrd) {
      // Left as it is: the live object is the applied one, so the revision gate may evaluate it at once.
      this.ctx.sink.applied(run, refOf(object), liveChartCrd);
      return liveChartCrd;
    }
    const target = await this.withNamespace(run, object, signal);
    const applied = await this.withRetry(
      run,
      formatRef(refOf(target)),
      () =>
        this.ctx.kube.apply(target as KubernetesObject, {
          fieldManager: FIELD_MANAGER,
          force: options.force ?? false,
        }),
      signal,
    );
    run.appliedFields.set(refKey(refOf(target)), ownFields(applied));
    this.ctx.sink.applied(run, refOf(target), applied);
    return applied;
  }

  /** Namespaced objects without a namespace go to the pack's namespace, as `helm install` would put them. */
  private async withNamespace(run: PackRun, object: KubeObject, signal: AbortSignal): Promise<KubeObject> {
    if (object.metadata.namespace) return object;
    const info = await this.withRetry(
      run,
      `${object.kind} ${object.metadata.name}`,
      () => this.ctx.kube.resourceFor(object.apiVersion, object.kind),
      signal,
    );
    return info.namespaced
      ? { ...object, metadata: { ...object.metadata, namespace: run.desired.pack.namespace.name } }
      : object;
  }

  /**
   * An Established CRD is not always in discovery yet (the API server publishes the new group a moment later),
   * so the pack's own custom resources wait until their kind is served, retrying as a transient error; any
   * other unknown kind stays a permanent error.
   */
  private async waitUntilServed(
    run: PackRun,
    crds: readonly KubeObject[],
    objects: readonly KubeObject[],
    signal: AbortSignal,
  ): Promise<void> {
    const groups = new Set(crds.map((crd) => (crd.spec as { group?: unknown } | undefined)?.group));
    const kinds = new Map(
      objects
        .filter((o) => groups.has(o.apiVersion.split('/')[0]))
        .map((o) => [`${o.apiVersion}/${o.kind}`, o] as const),
    );
    for (const object of kinds.values()) {
      await this.withRetry(
        run,
        `${object.kind} (${object.apiVersion})`,
        async () => {
          try {
            return await this.ctx.kube.resourceFor(object.apiVersion, object.kind);
          } catch (error) {
            const e = classifyError(error);
            throw e.code === KubeErrorCode.UnknownKind
              ? new KubeError(e.code, e.message, { retryable: true })
              : e;
          }
        },
        signal,
      );
    }
  }

  /** `retryAll`: every failure may pass later (the render cache: a database that does not answer yet). */
  private async withRetry<T>(
    run: PackRun,
    what: string,
    action: () => Promise<T>,
    signal: AbortSignal,
    options: { retryAll?: boolean } = {},
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      signal.throwIfAborted();
      try {
        const result = await action();
        if (run.status.stage.type === 'Retrying')
          this.ctx.sink.report(run, {
            type: 'StageChanged',
            time: this.ctx.iso(),
            stage: { type: 'Applying' },
          });
        return result;
      } catch (error) {
        if (error instanceof EngineError) throw error;
        const kubeError = classifyError(error);
        // Kube errors about an object already name it; others (discovery, network) get the object in front.
        const message = kubeError.message.includes(what)
          ? kubeError.message
          : `${what}: ${kubeError.message}`;
        if (!kubeError.retryable && options.retryAll !== true)
          throw new EngineError(EngineErrorCode.ApplyFailed, message, { cause: error });
        this.ctx.sink.report(run, {
          type: 'StageChanged',
          time: this.ctx.iso(),
          stage: { type: 'Retrying', attempt, cause: message },
        });
        await abortableSleep(backoffDelay(attempt, this.ctx.retry, this.ctx.random), signal);
      }
    }
  }

  /** Resolves when every ref is Ready; throws (the pack turns red) when one fails. */
  private async waitForReady(run: PackRun, refs: readonly ObjectRef[], signal: AbortSignal): Promise<void> {
    const keys = new Set(refs.map(refKey));
    await this.ctx.waiters.until(signal, () => {
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
    for (const { ref, object } of this.ctx.watches.ownedObjects()) {
      // What Helm keeps on uninstall it keeps when a chart stops rendering it, too.
      if (
        object.metadata?.labels?.[Label.Pack] === name &&
        !run.inventoryKeys.has(refKey(ref)) &&
        keepReason(object) === undefined
      )
        stale.push(ref);
    }
    for (const key of previous) if (!run.inventoryKeys.has(key)) this.forgetFields(run, key);
    for (const ref of stale.reverse()) {
      signal.throwIfAborted();
      await this.withRetry(
        run,
        `prune ${formatRef(ref)}`,
        () => this.ctx.kube.delete(ref, { propagationPolicy: 'Background' }),
        signal,
      );
    }
  }

  private forgetFields(run: PackRun, key: string): void {
    run.appliedFields.delete(key);
  }

  /**
   * Removes the pack as `helm uninstall` does: pre-delete hooks, then everything the pack owns, last installed
   * first, except what Helm keeps (resource-policy keep, CRDs of a chart's crds/ folder: reported as kept), then
   * post-delete hooks. Resolves once what it deleted is gone. Unlike Helm, hooks left by earlier events (a
   * before-hook-creation Job) are deleted too: they carry the pack's labels, and nothing else would remove them.
   */
  async uninstall(run: PackRun, signal: AbortSignal): Promise<void> {
    // The profile opted in to deleting crds/ CRDs: the removal says from its start (and so in the pack's
    // history) how many custom resources go with them.
    const deletingCrds = await Promise.all(
      this.chartCrdsToDelete(run).map(async ({ ref, object }) => ({
        ref,
        customResources: await this.withRetry(
          run,
          `count the custom resources of ${formatRef(ref)}`,
          () => this.countCustomResources(object),
          signal,
        ),
      })),
    );
    // A restarted hub has no rendering in memory: its delete hooks are not known, so none run (said on the
    // page, unless the pack never started and so had nothing to run them for).
    const hooksSkipped = run.rendered === undefined && run.status.revision !== '';
    const stage = {
      type: 'Uninstalling' as const,
      ...(hooksSkipped ? { hooksSkipped } : {}),
      ...(deletingCrds.length > 0 ? { deletingCrds } : {}),
    };
    this.ctx.sink.report(run, {
      type: 'RevisionStarted',
      time: this.ctx.iso(),
      revision: run.status.revision,
      operation: PackOperation.Uninstall,
      stage,
    });
    // A restarted hub that removes a pack before installing it again has no rendering in memory: the stored
    // one tells its delete hooks and what it keeps (ADR 0007).
    const last = run.rendered ?? (await this.storedRendering(run, signal));
    const hooks = last?.hooks ?? [];
    const steps = this.hookSteps();
    const preDelete = hooks.filter((h) => h.events.includes(HookEvent.PreDelete));
    if (preDelete.length > 0) {
      // Hooks are resources of the pack while they run: that is how their state is followed.
      const hookRefs = (
        await Promise.all(preDelete.map((h) => this.withNamespace(run, h.object, signal)))
      ).map((object) => refOf(object));
      const keys = new Set(hookRefs.map(refKey));
      this.ctx.sink.inventory(run, [...hookRefs, ...run.inventory.filter((r) => !keys.has(refKey(r)))]);
      await this.markHooks(run, preDelete, signal);
      await runHookEvent(steps, run, HookEvent.PreDelete, hooks, signal);
    }

    // Everything labelled as this pack's, not only the inventory: a restarted hub has no inventory in memory
    // until the pack renders again, only its status's resources (as last stored), whose kinds this process may
    // not watch yet. Removed before that, a pack left objects of those kinds behind.
    const owned = [...run.status.resources.map((r) => r.ref), ...run.inventory];
    const unserved = await this.watchKinds(run, owned, signal);
    const refs = new Map(owned.map((r) => [refKey(r), r]));
    for (const { ref, object } of this.ctx.watches.ownedObjects()) {
      if (object.metadata?.labels?.[Label.Pack] === run.desired.pack.name) refs.set(refKey(ref), ref);
    }
    const rendered = new Map((last?.objects ?? []).map((o) => [refKey(refOf(o)), o]));
    const deleteCrds = this.deletesCrds(run);
    const kept: ObjectRef[] = [];
    const deleting: ObjectRef[] = [];
    const aggregating = new Set<string>();
    for (const ref of [...refs.values()].reverse()) {
      const object = this.ctx.watches.get(ref) ?? rendered.get(refKey(ref));
      if (aggregatesRoles(object)) aggregating.add(refKey(ref));
      const reason = keepReason(object);
      if (reason === undefined || (reason === KeepReason.ChartCrd && deleteCrds)) deleting.push(ref);
      else kept.push(ref);
    }
    this.ctx.sink.inventory(run, [...deleting].reverse());
    const keptStage = { ...stage, ...(kept.length > 0 ? { kept: kept.reverse() } : {}) };
    if (kept.length > 0)
      this.ctx.sink.report(run, { type: 'StageChanged', time: this.ctx.iso(), stage: keptStage });
    // An object of a kind no longer served is gone, though a watch cut off before its deletion may still hold it.
    const gone = (refs: readonly ObjectRef[]) =>
      refs.every((ref) => unserved.has(kindKey(ref)) || this.ctx.watches.get(ref) === undefined);
    // Aggregated ClusterRoles go first, and are gone before the roles they aggregate: deleting those makes the
    // aggregation controller update the aggregated role with server-side apply, which creates it again when
    // it was deleted in between (kyverno's kyverno:cleanup-controller, left empty and unlabelled).
    const first = deleting.filter((ref) => aggregating.has(refKey(ref)));
    const then = deleting.filter((ref) => !aggregating.has(refKey(ref)));
    for (const ref of first)
      if (!(await this.deleteObject(run, ref, signal, 'Foreground')).served) unserved.add(kindKey(ref));
    await this.ctx.waiters.until(signal, () => gone(first));
    for (const ref of then)
      if (!(await this.deleteObject(run, ref, signal, 'Foreground')).served) unserved.add(kindKey(ref));
    await this.ctx.waiters.until(signal, () => gone(then));
    // Done only when nothing deleted came back: one the controller re-created anyway is deleted again, and said.
    const deletedAgain: ObjectRef[] = [];
    for (const ref of first) {
      if (unserved.has(kindKey(ref))) continue;
      const back = await this.withRetry(run, `read ${formatRef(ref)}`, () => this.ctx.kube.get(ref), signal);
      if (back === undefined) continue;
      await this.deleteObject(run, ref, signal, 'Background');
      deletedAgain.push(ref);
    }
    if (deletedAgain.length > 0)
      this.ctx.sink.report(run, {
        type: 'StageChanged',
        time: this.ctx.iso(),
        stage: { ...keptStage, deletedAgain },
      });

    await this.runPostDelete(run, hooks, signal);
    // Uninstalled: a later install renders anew, as `helm install` after `helm uninstall` would.
    const pack = run.desired.pack.name;
    await this.withRetry(
      run,
      `forgetting the rendering of pack ${pack}`,
      () => this.ctx.renderCache.forget(pack),
      signal,
      { retryAll: true },
    );
  }

  /**
   * The pack's last rendering when this process has none: a Helm pack's stored one (the newest revision, stored
   * before it was applied), or a manifest pack's objects. Undefined when nothing was stored.
   */
  private async storedRendering(run: PackRun, signal: AbortSignal): Promise<RenderedPack | undefined> {
    const { pack, profile, chartFile } = run.desired;
    const context = {
      cluster: this.ctx.cluster,
      profile: profile.name,
      helmBin: this.ctx.helmBin,
      ...(chartFile === undefined ? {} : { chartFile }),
    };
    if (pack.type !== PackType.Helm) return this.renderedOrNone(renderPack(pack, context));
    const entry = await this.withRetry(
      run,
      `reading the stored rendering of pack ${pack.name}`,
      () => this.ctx.renderCache.get(pack.name),
      signal,
      { retryAll: true },
    );
    if (!entry) return undefined;
    return this.renderedOrNone(
      renderPack(pack, { ...context, template: () => Promise.resolve(entry.manifest) }),
    );
  }

  /** A rendering that fails (the pack was red with it) applied nothing of itself: the uninstall goes on without. */
  private async renderedOrNone(rendering: Promise<RenderedPack>): Promise<RenderedPack | undefined> {
    try {
      return await rendering;
    } catch (error) {
      if (error instanceof EngineError && error.code === EngineErrorCode.RenderFailed) return undefined;
      throw error;
    }
  }

  private async runPostDelete(run: PackRun, hooks: readonly HelmHook[], signal: AbortSignal): Promise<void> {
    const steps = this.hookSteps();
    const postDelete = hooks.filter((h) => h.events.includes(HookEvent.PostDelete));
    if (postDelete.length === 0) return;
    this.ctx.sink.inventory(
      run,
      postDelete.map((h) => h.object),
    );
    await this.markHooks(run, postDelete, signal);
    await runHookEvent(steps, run, HookEvent.PostDelete, hooks, signal);
    const left = await Promise.all(
      postDelete
        .filter((h) => keepReason(h.object) === undefined)
        .map(async (h) => refOf(await this.withNamespace(run, h.object, signal))),
    );
    for (const ref of left) await this.deleteObject(run, ref, signal, 'Background');
    await this.ctx.waiters.until(signal, () => left.every((ref) => this.ctx.watches.get(ref) === undefined));
  }
}
