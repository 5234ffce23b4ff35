// Removing one pack (PackOperations.uninstall) as `helm uninstall` does, from what this process knows of it or,
// after a restart, from what the store remembers (ADR 0007). Each step retries through PackSteps.
import type { KubernetesObject } from '@kubernetes/client-node';
import { classifyError, KubeErrorCode } from '../kube/index.js';
import { PackType } from '../profile/index.js';
import { PackOperation, formatRef, refKey, type ObjectRef } from '../status/index.js';
import { EngineError, EngineErrorCode } from './errors.js';
import { runHookEvent } from './hooks.js';
import type { PackView } from './pack-run.js';
import type { PackSteps } from './pack-steps.js';
import { aggregatesRoles, KeepReason, keepReason, servedKind } from './removal.js';
import { HookEvent, renderPack, type HelmHook, type RenderedPack } from './render.js';
import { refOf } from '../shared/refs.js';

const kindKey = (ref: Pick<ObjectRef, 'apiVersion' | 'kind'>) => `${ref.apiVersion}/${ref.kind}`;

/**
 * Removes the pack as `helm uninstall` does: pre-delete hooks, then everything the pack owns, last installed
 * first, except what Helm keeps (resource-policy keep, CRDs of a chart's crds/ folder: reported as kept), then
 * post-delete hooks. Resolves once what it deleted is gone. Unlike Helm, hooks left by earlier events (a
 * before-hook-creation Job) are deleted too: they carry the pack's labels, and nothing else would remove them.
 */
export async function uninstallPack(steps: PackSteps, run: PackView, signal: AbortSignal): Promise<void> {
  const { ctx } = steps;
  // The profile opted in to deleting crds/ CRDs: the removal says from its start (and so in the pack's
  // history) how many custom resources go with them.
  const deletingCrds = await Promise.all(
    chartCrdsToDelete(steps, run).map(async ({ ref, object }) => ({
      ref,
      customResources: await steps.withRetry(
        run,
        `count the custom resources of ${formatRef(ref)}`,
        () => countCustomResources(steps, object),
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
  steps.sink.report({
    type: 'RevisionStarted',
    time: ctx.iso(),
    revision: run.status.revision,
    operation: PackOperation.Uninstall,
    stage,
  });
  // A restarted hub that removes a pack before installing it again has no rendering in memory: the stored
  // one tells its delete hooks and what it keeps (ADR 0007).
  const last = run.rendered ?? (await storedRendering(steps, run, signal));
  const hooks = last?.hooks ?? [];
  const hookSteps = steps.hookSteps();
  const preDelete = hooks.filter((h) => h.events.includes(HookEvent.PreDelete));
  if (preDelete.length > 0) {
    // Hooks are resources of the pack while they run: that is how their state is followed.
    const hookRefs = (
      await Promise.all(preDelete.map((h) => steps.withNamespace(run, h.object, signal)))
    ).map((object) => refOf(object));
    const keys = new Set(hookRefs.map(refKey));
    steps.sink.inventory([...hookRefs, ...run.inventory.filter((r) => !keys.has(refKey(r)))]);
    await steps.markHooks(run, preDelete, signal);
    await runHookEvent(hookSteps, run, HookEvent.PreDelete, hooks, signal);
  }

  // Everything labelled as this pack's, not only the inventory: a restarted hub has no inventory in memory
  // until the pack renders again, only its status's resources (as last stored), whose kinds this process may
  // not watch yet. Removed before that, a pack left objects of those kinds behind.
  const owned = [...run.status.resources.map((r) => r.ref), ...run.inventory];
  const unserved = await watchKinds(steps, run, owned, signal);
  const refs = new Map(owned.map((r) => [refKey(r), r]));
  for (const ref of ctx.packObjects.of(run.desired.pack.name)) refs.set(refKey(ref), ref);
  const rendered = new Map((last?.objects ?? []).map((o) => [refKey(refOf(o)), o]));
  const deleteCrds = deletesCrds(run);
  const kept: ObjectRef[] = [];
  const deleting: ObjectRef[] = [];
  const aggregating = new Set<string>();
  for (const ref of [...refs.values()].reverse()) {
    const object = ctx.watches.get(ref) ?? rendered.get(refKey(ref));
    if (aggregatesRoles(object)) aggregating.add(refKey(ref));
    const reason = keepReason(object);
    if (reason === undefined || (reason === KeepReason.ChartCrd && deleteCrds)) deleting.push(ref);
    else kept.push(ref);
  }
  steps.sink.inventory([...deleting].reverse());
  const keptStage = { ...stage, ...(kept.length > 0 ? { kept: kept.reverse() } : {}) };
  if (kept.length > 0) steps.sink.report({ type: 'StageChanged', time: ctx.iso(), stage: keptStage });
  // An object of a kind no longer served is gone, though a watch cut off before its deletion may still hold it.
  const gone = (refs: readonly ObjectRef[]) =>
    refs.every((ref) => unserved.has(kindKey(ref)) || ctx.watches.get(ref) === undefined);
  // Aggregated ClusterRoles go first, and are gone before the roles they aggregate: deleting those makes the
  // aggregation controller update the aggregated role with server-side apply, which creates it again when
  // it was deleted in between (kyverno's kyverno:cleanup-controller, left empty and unlabelled).
  const first = deleting.filter((ref) => aggregating.has(refKey(ref)));
  const then = deleting.filter((ref) => !aggregating.has(refKey(ref)));
  for (const ref of first)
    if (!(await steps.deleteObject(run, ref, signal, 'Foreground')).served) unserved.add(kindKey(ref));
  await ctx.waiters.until(signal, () => gone(first));
  for (const ref of then)
    if (!(await steps.deleteObject(run, ref, signal, 'Foreground')).served) unserved.add(kindKey(ref));
  await ctx.waiters.until(signal, () => gone(then));
  // Done only when nothing deleted came back: one the controller re-created anyway is deleted again, and said.
  const deletedAgain: ObjectRef[] = [];
  for (const ref of first) {
    if (unserved.has(kindKey(ref))) continue;
    const back = await steps.withRetry(run, `read ${formatRef(ref)}`, () => ctx.kube.get(ref), signal);
    if (back === undefined) continue;
    await steps.deleteObject(run, ref, signal, 'Background');
    deletedAgain.push(ref);
  }
  if (deletedAgain.length > 0)
    steps.sink.report({
      type: 'StageChanged',
      time: ctx.iso(),
      stage: { ...keptStage, deletedAgain },
    });

  await runPostDelete(steps, run, hooks, signal);
  // Uninstalled: a later install renders anew, as `helm install` after `helm uninstall` would.
  const pack = run.desired.pack.name;
  await steps.withRetry(
    run,
    `forgetting the rendering of pack ${pack}`,
    () => ctx.renderCache.forget(pack),
    signal,
    { retryAll: true },
  );
}

function deletesCrds(run: PackView): boolean {
  const pack = run.desired.pack;
  return pack.type === PackType.Helm && pack.deleteCrds === true;
}

/** The crds/ CRDs of the pack, live, when its profile opted in to deleting them on removal. */
function chartCrdsToDelete(steps: PackSteps, run: PackView): { ref: ObjectRef; object: KubernetesObject }[] {
  const { ctx } = steps;
  if (!deletesCrds(run)) return [];
  const out = new Map<string, { ref: ObjectRef; object: KubernetesObject }>();
  const name = run.desired.pack.name;
  for (const ref of ctx.packObjects.of(name)) {
    const object = ctx.watches.get(ref);
    if (object && keepReason(object) === KeepReason.ChartCrd) out.set(refKey(ref), { ref, object });
  }
  for (const ref of run.inventory) {
    const object = ctx.watches.get(ref);
    if (object && keepReason(object) === KeepReason.ChartCrd) out.set(refKey(ref), { ref, object });
  }
  return [...out.values()];
}

/** How many custom resources of a CRD exist in the cluster (0 when its kind is not served). */
async function countCustomResources(steps: PackSteps, crd: KubernetesObject): Promise<number> {
  const { ctx } = steps;
  const kind = servedKind(crd);
  if (!kind) return 0;
  try {
    return (await ctx.kube.list(kind)).items.length;
  } catch (error) {
    if (classifyError(error).code === KubeErrorCode.UnknownKind) return 0;
    throw error;
  }
}

/**
 * Watches the kinds of these objects, so they (and whatever else carries the pack's label) are seen: a pack
 * removed after a restart had none of its kinds watched by this process. Returns the kinds (`kindKey`)
 * discovery no longer serves: those have no objects left to delete (as in deleteObject), so they are neither
 * watched (a list of an unserved kind fails, or retries, for ever) nor waited for.
 */
async function watchKinds(
  steps: PackSteps,
  run: PackView,
  refs: readonly ObjectRef[],
  signal: AbortSignal,
): Promise<Set<string>> {
  const { ctx } = steps;
  const kinds = new Map(refs.map((r) => [kindKey(r), r] as const));
  const unserved = new Set<string>();
  for (const [key, ref] of kinds) {
    const served = await steps.withRetry(
      run,
      `watch ${ref.kind} (${ref.apiVersion})`,
      async () => {
        try {
          await ctx.kube.resourceFor(ref.apiVersion, ref.kind);
          await ctx.watches.ensureKinds([ref]);
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

/**
 * The pack's last rendering when this process has none: a Helm pack's stored one (the newest revision, stored
 * before it was applied), or a manifest pack's objects. Undefined when nothing was stored.
 */
async function storedRendering(
  steps: PackSteps,
  run: PackView,
  signal: AbortSignal,
): Promise<RenderedPack | undefined> {
  const { ctx } = steps;
  const { pack, profile, chartFile } = run.desired;
  const context = {
    cluster: ctx.cluster,
    profile: profile.name,
    helmBin: ctx.helmBin,
    ...(chartFile === undefined ? {} : { chartFile }),
  };
  if (pack.type !== PackType.Helm) return renderedOrNone(renderPack(pack, context));
  const entry = await steps.withRetry(
    run,
    `reading the stored rendering of pack ${pack.name}`,
    () => ctx.renderCache.get(pack.name),
    signal,
    { retryAll: true },
  );
  if (!entry) return undefined;
  return renderedOrNone(renderPack(pack, { ...context, template: () => Promise.resolve(entry.manifest) }));
}

/** A rendering that fails (the pack was red with it) applied nothing of itself: the uninstall goes on without. */
async function renderedOrNone(rendering: Promise<RenderedPack>): Promise<RenderedPack | undefined> {
  try {
    return await rendering;
  } catch (error) {
    if (error instanceof EngineError && error.code === EngineErrorCode.RenderFailed) return undefined;
    throw error;
  }
}

async function runPostDelete(
  steps: PackSteps,
  run: PackView,
  hooks: readonly HelmHook[],
  signal: AbortSignal,
): Promise<void> {
  const { ctx } = steps;
  const hookSteps = steps.hookSteps();
  const postDelete = hooks.filter((h) => h.events.includes(HookEvent.PostDelete));
  if (postDelete.length === 0) return;
  steps.sink.inventory(postDelete.map((h) => h.object));
  await steps.markHooks(run, postDelete, signal);
  await runHookEvent(hookSteps, run, HookEvent.PostDelete, hooks, signal);
  const left = await Promise.all(
    postDelete
      .filter((h) => keepReason(h.object) === undefined)
      .map(async (h) => refOf(await steps.withNamespace(run, h.object, signal))),
  );
  for (const ref of left) await steps.deleteObject(run, ref, signal, 'Background');
  await ctx.waiters.until(signal, () => left.every((ref) => ctx.watches.get(ref) === undefined));
}
