import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeObject } from '../profile/index.js';
import { formatRef, refKey, ResourceState, type ObjectRef } from '../status/index.js';
import { EngineError, EngineErrorCode } from './errors.js';
import { isCrd } from './order.js';
import { refOf } from '../shared/refs.js';
import type { PackView } from './pack-run.js';
import { HookDeletePolicy, type HelmHook, type HookEvent } from './render.js';
import type { Waiters } from './waiters.js';
import type { WatchSet } from './watch-set.js';

/** What running hooks needs from the pack's operations. */
export interface HookSteps {
  readonly watches: WatchSet;
  readonly waiters: Waiters;
  /** The object with the pack's namespace filled in, as it will be applied. */
  placed(run: PackView, object: KubeObject, signal: AbortSignal): Promise<KubeObject>;
  /** Server-side apply with retries; the API server's answer. */
  apply(run: PackView, object: KubeObject, signal: AbortSignal): Promise<KubernetesObject>;
  /** Deletes (retrying what may pass later) and resolves once the watches no longer see it. */
  deleteAndWait(run: PackView, ref: ObjectRef, signal: AbortSignal): Promise<void>;
  /** Drops refs from the pack's inventory (hooks deleted by their policy are no longer the pack's). */
  forget(run: PackView, refs: readonly ObjectRef[]): void;
}

/**
 * Runs the hooks of one event as Helm does (helm/helm pkg/action/hooks.go, execHook): one at a time in
 * hookByWeight order, each created after its `before-hook-creation` predecessor is gone and waited for before
 * the next (a Job until it completes, a Pod until it succeeds, anything else until it exists). Only after the
 * whole event do `hook-succeeded` hooks go, last first, so a hook Job can use a ServiceAccount that an earlier,
 * lower-weight hook created. When a hook fails, it goes if it says `hook-failed`, the hooks that succeeded
 * before it go if they say `hook-succeeded`, and the pack fails naming the hook and why. CRDs are never
 * deleted by a hook policy, as in Helm.
 *
 * `later`: hooks that run again at a later event of the same operation (a pre- and post-install hook), kept in
 * the inventory when their policy deletes them in between.
 */
export async function runHookEvent(
  steps: HookSteps,
  run: PackView,
  event: HookEvent,
  hooks: readonly HelmHook[],
  signal: AbortSignal,
  later: ReadonlySet<HelmHook> = new Set(),
): Promise<void> {
  const executing = hooks.filter((h) => h.events.includes(event));
  if (executing.length === 0) return;
  await steps.watches.ensureKinds(executing.map((h) => h.object));
  const refs: ObjectRef[] = [];
  const deleteByPolicy = async (hook: HelmHook, ref: ObjectRef, policy: HookDeletePolicy) => {
    if (isCrd(hook.object) || !hook.deletePolicies.includes(policy)) return false;
    await steps.deleteAndWait(run, ref, signal);
    return true;
  };

  for (const [index, hook] of executing.entries()) {
    const ref = refOf(await steps.placed(run, hook.object, signal));
    refs.push(ref);
    await deleteByPolicy(hook, ref, HookDeletePolicy.BeforeHookCreation);
    const applied = await steps.apply(run, hook.object, signal);
    try {
      await waitForHook(steps, run, ref, applied.metadata?.uid, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      const gone: ObjectRef[] = [];
      if (await deleteByPolicy(hook, ref, HookDeletePolicy.HookFailed)) gone.push(ref);
      for (const [i, earlier] of executing.slice(0, index).entries()) {
        const earlierRef = refs[i];
        if (earlierRef && (await deleteByPolicy(earlier, earlierRef, HookDeletePolicy.HookSucceeded)))
          gone.push(earlierRef);
      }
      steps.forget(run, gone);
      const cause = error instanceof Error ? error.message : String(error);
      throw new EngineError(EngineErrorCode.ApplyFailed, `${event} hook ${formatRef(ref)} failed: ${cause}`, {
        cause: error,
      });
    }
  }

  const gone: ObjectRef[] = [];
  for (let i = executing.length - 1; i >= 0; i--) {
    const hook = executing[i];
    const ref = refs[i];
    if (!hook || !ref) continue;
    const deleted = await deleteByPolicy(hook, ref, HookDeletePolicy.HookSucceeded);
    // A finished Job with a TTL is the TTL controller's to delete, now or in a moment: no longer the pack's.
    if ((deleted || hasTtl(hook.object)) && !later.has(hook)) gone.push(ref);
  }
  steps.forget(run, gone);
}

function hasTtl(object: KubeObject): boolean {
  const spec = object.spec as { ttlSecondsAfterFinished?: unknown } | undefined;
  return object.kind === 'Job' && typeof spec?.ttlSecondsAfterFinished === 'number';
}

/** Kinds Helm waits on (kube.Client WatchUntilReady): everything else is done once it exists. */
const RUN_TO_COMPLETION = new Set(['Job', 'Pod']);

/**
 * Resolves when the hook applied as `uid` is done; throws its failure. A hook deleted after it was seen (a
 * Job's `ttlSecondsAfterFinished: 0`, which deletes it as soon as it finishes) counts as done: it only goes
 * once finished. Evaluations of an earlier object of the same name do not count.
 */
function waitForHook(
  steps: HookSteps,
  run: PackView,
  ref: ObjectRef,
  uid: string | undefined,
  signal: AbortSignal,
): Promise<void> {
  const key = refKey(ref);
  const waitsForCompletion = RUN_TO_COMPLETION.has(ref.kind);
  let seen = false;
  return steps.waiters.until(signal, () => {
    const live = steps.watches.get(ref);
    const current = live !== undefined && (uid === undefined || live.metadata?.uid === uid);
    if (!current) return seen;
    seen = true;
    const evaluation = run.status.resources.find((r) => refKey(r.ref) === key)?.evaluation;
    if (evaluation?.state === ResourceState.Failed) throw new Error(evaluation.message);
    return !waitsForCompletion || evaluation?.state === ResourceState.Ready;
  });
}
