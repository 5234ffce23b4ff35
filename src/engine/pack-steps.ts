import type { KubernetesObject } from '@kubernetes/client-node';
import {
  abortableSleep,
  backoffDelay,
  classifyError,
  KubeErrorCode,
  type Backoff,
  type KubeApi,
} from '../kube/index.js';
import type { KubeObject } from '../profile/index.js';
import {
  ResourceState,
  formatRef,
  refKey,
  type ObjectRef,
  type PackEvent,
  type PackStage,
} from '../status/index.js';
import { FIELD_MANAGER } from './drift.js';
import { EngineError, EngineErrorCode } from './errors.js';
import type { HookSteps } from './hooks.js';
import type { KindScopes } from './kind-scopes.js';
import type { PackView } from './pack-run.js';
import { KeepReason, keepReason } from './removal.js';
import type { HelmHook, RenderedPack } from './render.js';
import type { RenderCache } from './render-cache.js';
import { refOf } from '../shared/refs.js';
import type { PackObjects } from './pack-objects.js';
import type { Waiters } from './waiters.js';
import type { WatchSet } from './watch-set.js';

/**
 * Where the steps of one pack's install, removal or drift correction report what happens: facts for its status
 * and what the runner keeps of the pack, never the runner's own state. The runner binds one to each of its
 * packs and records what it learns on the pack's PackRun; a test can implement it with a list.
 */
export interface PackSink {
  /** A fact for the pack's status (src/status reduces it). */
  report(event: PackEvent): void;
  /**
   * The objects the pack owns from now on, in install order (hooks first and last, as they run). The steps read
   * them back (`inventory`, `inventoryKeys` of the pack: prune, uninstall).
   */
  inventory(objects: readonly KubeObject[] | readonly ObjectRef[]): void;
  /** The pack's rendering of the revision being applied (kept for drift correction, notes and removal). */
  rendered(rendering: RenderedPack): void;
  /** A new revision is being applied: its timeout runs from now. */
  revisionStarted(): void;
  /** The API server's answer to our apply of the object at `ref`. */
  applied(ref: ObjectRef, answer: KubernetesObject): void;
  /** A chart CRD that exists was left as it is (Helm never upgrades those): the live object stands as applied. */
  kept(ref: ObjectRef, live: KubernetesObject): void;
  /** Every object of `revision` is applied. */
  revisionApplied(revision: string): void;
}

/** What the install steps work with. */
export interface OperationsContext {
  readonly cluster: string;
  readonly kube: KubeApi;
  readonly helmBin: string;
  readonly watches: WatchSet;
  /** The objects of `watches` by the pack their label names (fed the same events). */
  readonly packObjects: PackObjects;
  /** Which kinds live outside namespaces, learnt before an inventory is keyed. */
  readonly scopes: KindScopes;
  readonly waiters: Waiters;
  readonly retry: Backoff;
  readonly random: () => number;
  /** Each Helm pack's rendering of its current revision (ADR 0007). */
  readonly renderCache: RenderCache;
  /** The current time, ISO 8601, for the facts reported. */
  iso(): string;
}

/**
 * The stages every install reports, one object each for all packs: a status holds its stage until the next
 * one, and a wave's installs hold theirs side by side (issue 15: what one holds across a wave is promoted).
 */
export const RENDERING: PackStage = Object.freeze({ type: 'Rendering' });
export const APPLYING: PackStage = Object.freeze({ type: 'Applying' });
export const APPLIED: PackStage = Object.freeze({ type: 'Applied' });

/**
 * What every step of an install or removal is made of: server-side apply, delete and namespace placement, each
 * retried with backoff while the failure may pass (showing each attempt as the pack's stage) and failing with
 * the object named when it will not; hooks; waiting for objects to be Ready.
 */
export class PackSteps {
  constructor(
    readonly ctx: OperationsContext,
    readonly sink: PackSink,
  ) {}

  /**
   * `retryAll`: every failure may pass later (the render cache: a database that does not answer yet). `what`
   * names the object in an error, and may be given as a function: it is only needed when an attempt fails.
   *
   * The first attempt runs without a frame of its own, and the retry loop only starts after it failed: nearly
   * every call succeeds at once, and a wave's installs hold their calls in flight side by side, so a frame
   * per call outlived several scavenges and was promoted (issue 15).
   */
  withRetry<T>(
    run: PackView,
    what: string | (() => string),
    action: () => Promise<T>,
    signal: AbortSignal,
    options: { retryAll?: boolean } = {},
  ): Promise<T> {
    if (signal.aborted) return rejected(signal.reason);
    let first: Promise<T>;
    try {
      first = action();
    } catch (error) {
      first = rejected(error);
    }
    return first.then(
      (result) => {
        this.recovered(run);
        return result;
      },
      (error: unknown) => this.retry(run, what, action, signal, options, error),
    );
  }

  /** withRetry() after its first attempt failed with `error`. */
  private async retry<T>(
    run: PackView,
    what: string | (() => string),
    action: () => Promise<T>,
    signal: AbortSignal,
    options: { retryAll?: boolean },
    error: unknown,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (error instanceof EngineError) throw error;
      const kubeError = classifyError(error);
      const name = typeof what === 'string' ? what : what();
      // Kube errors about an object already name it; others (discovery, network) get the object in front.
      const message = kubeError.message.includes(name) ? kubeError.message : `${name}: ${kubeError.message}`;
      if (!kubeError.retryable && options.retryAll !== true)
        throw new EngineError(EngineErrorCode.ApplyFailed, message, { cause: error });
      this.sink.report({
        type: 'StageChanged',
        time: this.ctx.iso(),
        stage: { type: 'Retrying', attempt, cause: message },
      });
      await abortableSleep(backoffDelay(attempt, this.ctx.retry, this.ctx.random), signal);
      signal.throwIfAborted();
      try {
        const result = await action();
        this.recovered(run);
        return result;
      } catch (failed) {
        error = failed;
      }
    }
  }

  /** An attempt succeeded: a pack shown retrying is applying again. */
  private recovered(run: PackView): void {
    if (run.status.stage.type === 'Retrying')
      this.sink.report({ type: 'StageChanged', time: this.ctx.iso(), stage: APPLYING });
  }

  /** Namespaced objects without a namespace go to the pack's namespace, as `helm install` would put them. */
  async withNamespace(run: PackView, object: KubeObject, signal: AbortSignal): Promise<KubeObject> {
    const known = this.placedNow(run, object);
    if (known) return known;
    const info = await this.withRetry(
      run,
      `${object.kind} ${object.metadata.name}`,
      () => this.ctx.kube.resourceFor(object.apiVersion, object.kind),
      signal,
    );
    return inNamespace(run, object, info.namespaced);
  }

  /**
   * withNamespace() without asking discovery, when it need not: the object names its namespace, or its kind's
   * scope was discovered already (installPack learns it for every object before applying them). Undefined
   * otherwise. Each object of a wave's installs awaited a discovery answer for it, and the frames and promises
   * of that wait were held across the whole wave (issue 15: promoted to the old generation).
   */
  placedNow(run: PackView, object: KubeObject): KubeObject | undefined {
    if (object.metadata.namespace) return object;
    const clusterScoped = this.ctx.scopes.discoveredClusterScoped(object.apiVersion, object.kind);
    return clusterScoped === undefined ? undefined : inNamespace(run, object, !clusterScoped);
  }

  /** Applies one object with server-side apply, retrying what may pass later, failing on what will not. */
  applyObject(
    run: PackView,
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
      this.sink.kept(refOf(object), liveChartCrd);
      return Promise.resolve(liveChartCrd);
    }
    // Not async, like withRetry(): no frame of its own held across the apply.
    const force = options.force ?? false;
    const target = this.placedNow(run, object);
    if (target) return this.applyPlaced(run, target, signal, force);
    return this.withNamespace(run, object, signal).then((placed) =>
      this.applyPlaced(run, placed, signal, force),
    );
  }

  private applyPlaced(
    run: PackView,
    target: KubeObject,
    signal: AbortSignal,
    force: boolean,
  ): Promise<KubernetesObject> {
    const ref = refOf(target);
    return this.withRetry(
      run,
      () => formatRef(ref),
      () => this.ctx.kube.apply(target as KubernetesObject, force ? FORCED : NOT_FORCED),
      signal,
    ).then((applied) => {
      this.sink.applied(ref, applied);
      return applied;
    });
  }

  /**
   * Deletes one object, retrying what may pass later. An object whose kind the server no longer serves
   * (its CRD or API version is gone) is gone too: there is nothing left to delete, and retrying would fail for
   * ever (issue 11: every uninstall attempt failed and restarted at once).
   */
  async deleteObject(
    run: PackView,
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

  /** Marks the pack's resources that are these hooks (and only those) as hooks, for the page and history. */
  async markHooks(run: PackView, hooks: readonly HelmHook[], signal: AbortSignal): Promise<void> {
    const refs = await Promise.all(
      hooks.map(async (h) => refOf(await this.withNamespace(run, h.object, signal))),
    );
    this.sink.report({ type: 'HooksMarked', time: this.ctx.iso(), hooks: refs });
  }

  /** The steps hooks are run with (hooks.ts). */
  hookSteps(): HookSteps {
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
        this.sink.inventory(run.inventory.filter((r) => !keys.has(refKey(r))));
      },
    };
  }

  /** Resolves when every ref is Ready; throws (the pack turns red) when one fails. */
  async waitForReady(run: PackView, refs: readonly ObjectRef[], signal: AbortSignal): Promise<void> {
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
}

function inNamespace(run: PackView, object: KubeObject, namespaced: boolean): KubeObject {
  return namespaced
    ? { ...object, metadata: { ...object.metadata, namespace: run.desired.pack.namespace.name } }
    : object;
}

const NOT_FORCED = { fieldManager: FIELD_MANAGER, force: false } as const;
const FORCED = { fieldManager: FIELD_MANAGER, force: true } as const;

/** A rejected promise for what was thrown, as an async function would have given. */
function rejected<T>(error: unknown): Promise<T> {
  return Promise.reject(error instanceof Error ? error : new Error(String(error)));
}
