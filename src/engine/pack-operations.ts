import type { KubernetesObject } from '@kubernetes/client-node';
import {
  abortableSleep,
  backoffDelay,
  classifyError,
  KubeError,
  KubeErrorCode,
  type Backoff,
  type KubeClient,
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
import { refOf, type PackRun } from './pack-run.js';
import { HookEvent, Label, renderPack, type HelmHook } from './render.js';
import type { Waiters } from './waiters.js';
import type { WatchSet } from './watch-set.js';

/** What the install steps need from the runner that owns the pack's state. */
export interface OperationsContext {
  readonly cluster: string;
  readonly kube: KubeClient;
  readonly helmBin: string;
  readonly watches: WatchSet;
  readonly waiters: Waiters;
  readonly retry: Backoff;
  readonly random: () => number;
  dispatch(run: PackRun, event: PackEvent): void;
  iso(): string;
  setInventory(run: PackRun, objects: readonly KubeObject[] | readonly ObjectRef[]): void;
  armTimeout(run: PackRun): void;
  /** The API server's answer to our apply of the object at `ref`. */
  applied(run: PackRun, ref: ObjectRef, answer: KubernetesObject): void;
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
      this.ctx.dispatch(run, { type: 'StageChanged', time: this.ctx.iso(), stage: { type: 'Rendering' } });
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
      baseDir: desired.baseDir,
      helmBin: this.ctx.helmBin,
      capabilities,
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
      this.ctx.dispatch(run, {
        type: 'RevisionStarted',
        time: this.ctx.iso(),
        revision: rendered.revision,
        operation,
        stage: { type: 'Applying' },
      });
      this.ctx.armTimeout(run);
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
    this.ctx.setInventory(run, [
      ...pre.map((h) => h.object),
      ...rendered.objects,
      ...post.map((h) => h.object),
    ]);

    if (pack.namespace.create) await this.applyNamespace(run, signal);
    await this.runHooks(run, pre, signal);

    // CRDs first, and Established before anything that may be one of their custom resources.
    const crds = rendered.objects.filter(isCrd);
    const rest = rendered.objects.filter((o) => !isCrd(o));
    if (crds.length > 0) {
      await this.ctx.watches.ensureKinds(crds);
      for (const crd of crds) await this.applyObject(run, crd, signal);
      await this.waitForReady(run, crds.map(refOf), signal);
      this.ctx.kube.invalidateDiscovery();
      await this.waitUntilServed(run, crds, rest, signal);
    }
    await this.ctx.watches.ensureKinds(rest);
    for (const object of rest) await this.applyObject(run, object, signal);
    await this.runHooks(run, post, signal);

    run.appliedRevision = rendered.revision;
    if (!quiet || run.status.stage.type !== 'Applied')
      this.ctx.dispatch(run, { type: 'StageChanged', time: this.ctx.iso(), stage: { type: 'Applied' } });
    await this.prune(run, previous, signal);
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

  /** Applies one object with server-side apply, retrying what may pass later, failing on what will not. */
  async applyObject(
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
        this.ctx.kube.apply(target as KubernetesObject, {
          fieldManager: FIELD_MANAGER,
          force: options.force ?? false,
        }),
      signal,
    );
    run.appliedFields.set(refKey(refOf(target)), ownFields(applied));
    this.ctx.applied(run, refOf(target), applied);
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
          this.ctx.dispatch(run, { type: 'StageChanged', time: this.ctx.iso(), stage: { type: 'Applying' } });
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
        this.ctx.dispatch(run, {
          type: 'StageChanged',
          time: this.ctx.iso(),
          stage: { type: 'Retrying', attempt, cause: message },
        });
        await abortableSleep(backoffDelay(attempt, this.ctx.retry, this.ctx.random), signal);
      }
    }
  }

  /** Helm hooks of one phase, by weight; each weight group must be ready (a Job: complete) before the next. */
  private async runHooks(run: PackRun, hooks: readonly HelmHook[], signal: AbortSignal): Promise<void> {
    const weights = [...new Set(hooks.map((h) => h.weight))].sort((a, b) => a - b);
    for (const weight of weights) {
      const group = hooks.filter((h) => h.weight === weight);
      await this.ctx.watches.ensureKinds(group.map((h) => h.object));
      for (const hook of group) {
        if (hook.deletePolicies.includes('before-hook-creation')) {
          const ref = refOf(await this.withNamespace(run, hook.object, signal));
          await this.ctx.kube.delete(ref, { propagationPolicy: 'Background' });
          await this.ctx.waiters.until(signal, () => this.ctx.watches.get(ref) === undefined);
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
          await this.ctx.kube.delete(ref, { propagationPolicy: 'Background' });
          this.ctx.setInventory(
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
      if (object.metadata?.labels?.[Label.Pack] === name && !run.inventoryKeys.has(refKey(ref)))
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

  /** Deletes everything the pack owns, last installed first, and resolves once it is all gone. */
  async uninstall(run: PackRun, signal: AbortSignal): Promise<void> {
    this.ctx.dispatch(run, {
      type: 'RevisionStarted',
      time: this.ctx.iso(),
      revision: run.status.revision,
      operation: PackOperation.Uninstall,
      stage: { type: 'Uninstalling' },
    });
    // Everything labelled as this pack's, not only the inventory: a restarted hub has no inventory in memory.
    const refs = new Map(run.inventory.map((r) => [refKey(r), r]));
    for (const { ref, object } of this.ctx.watches.ownedObjects()) {
      if (object.metadata?.labels?.[Label.Pack] === run.desired.pack.name) refs.set(refKey(ref), ref);
    }
    for (const ref of [...refs.values()].reverse()) {
      await this.withRetry(
        run,
        `delete ${formatRef(ref)}`,
        () => this.ctx.kube.delete(ref, { propagationPolicy: 'Foreground' }),
        signal,
      );
    }
    await this.ctx.waiters.until(signal, () =>
      [...refs.values()].every((ref) => this.ctx.watches.get(ref) === undefined),
    );
  }
}
