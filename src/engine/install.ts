// Installing and upgrading one pack (PackOperations.install): render, namespace, hooks, CRDs until Established
// and served, server-side apply, prune. Each step retries through PackSteps and reports to the runner's sink.
import { classifyError, KubeError, KubeErrorCode, type KubeApi } from '../kube/index.js';
import { PackType, type KubeObject } from '../profile/index.js';
import { PackOperation, PackPhase, formatRef, refKey, type ObjectRef } from '../status/index.js';
import { FIELD_MANAGER } from './drift.js';
import { runHookEvent } from './hooks.js';
import { isCrd } from './order.js';
import type { PackView } from './pack-run.js';
import { APPLIED, APPLYING, RENDERING, type PackSteps } from './pack-steps.js';
import { KeepReason, keepReason } from './removal.js';
import { HookEvent, Label, renderPack } from './render.js';
import { templateOnce } from './render-cache.js';
import { refOf } from '../shared/refs.js';

const NONE: readonly never[] = [];

export async function installPack(steps: PackSteps, run: PackView, signal: AbortSignal): Promise<void> {
  const { ctx } = steps;
  const desired = run.desired;
  const pack = desired.pack;
  if (run.status.phase !== PackPhase.Success)
    steps.sink.report({ type: 'StageChanged', time: ctx.iso(), stage: RENDERING });
  // Rendered for this cluster as `helm install` would (its version, its served APIs); manifest packs need
  // none of it.
  const capabilities =
    pack.type === PackType.Helm
      ? await steps.withRetry(
          run,
          `discovery of the version and APIs of cluster ${ctx.cluster}`,
          () => ctx.kube.capabilities(),
          signal,
        )
      : undefined;
  const rendered = await renderPack(pack, {
    cluster: ctx.cluster,
    profile: desired.profile.name,
    ...(desired.chartFile === undefined ? {} : { chartFile: desired.chartFile }),
    helmBin: ctx.helmBin,
    capabilities,
    // Once per revision (ADR 0007); a store that does not answer yet is retried, never rendered around.
    template: (helmPack, options) =>
      templateOnce(helmPack, options, {
        cache: ctx.renderCache,
        retry: (what, action) => steps.withRetry(run, what, action, signal, { retryAll: true }),
        signal,
      }),
  });
  signal.throwIfAborted();

  steps.sink.rendered(rendered);
  const operation =
    run.appliedRevision === undefined && run.status.revision === ''
      ? PackOperation.Install
      : PackOperation.Upgrade;
  // A green pack whose rendering did not change (a restart, a resync) is re-applied quietly: server-side
  // apply leaves unchanged objects untouched, and the page should not flash blue for nothing.
  const quiet = rendered.revision === run.status.revision && run.status.phase === PackPhase.Success;
  if (!quiet) {
    steps.sink.report({
      type: 'RevisionStarted',
      time: ctx.iso(),
      revision: rendered.revision,
      operation,
      stage: APPLYING,
    });
    steps.sink.revisionStarted();
  }

  const [preEvent, postEvent] =
    operation === PackOperation.Install
      ? [HookEvent.PreInstall, HookEvent.PostInstall]
      : [HookEvent.PreUpgrade, HookEvent.PostUpgrade];
  // Hooks belong to a Helm operation. Re-applying the revision a green pack already has (a resync, a restart,
  // drift correction) is none: like helm, which runs nothing then, it runs no hook and does not re-create the
  // hooks their delete policy removed (they would otherwise run again at every resync).
  const hooks =
    quiet || rendered.hooks.length === 0
      ? NONE
      : rendered.hooks.filter((h) => h.events.includes(preEvent) || h.events.includes(postEvent));
  const preHooks = hooks.length === 0 ? NONE : hooks.filter((h) => h.events.includes(preEvent));
  const postOnly = hooks.length === 0 ? NONE : hooks.filter((h) => !h.events.includes(preEvent));

  // A CRD from the chart's crds/ folder is applied only when missing (Helm never upgrades those; see
  // applyObject). One that exists without our labels (installed by someone else, or by Helm) is not ours to
  // watch: left out of the inventory.
  // A pack without CRDs or hooks (most of them) makes none of the lists and sets below: a wave's installs run
  // side by side, so whatever one holds across its awaits outlives several scavenges and is promoted (issue 15).
  const crds = rendered.objects.some(isCrd) ? rendered.objects.filter(isCrd) : NONE;
  if (crds.length > 0) await ctx.watches.ensureKinds(crds);
  let foreign: Set<string> | undefined;
  for (const crd of crds) {
    const ref = refOf(crd);
    if (keepReason(crd) !== KeepReason.ChartCrd || ctx.watches.get(ref)) continue;
    if (await steps.withRetry(run, `get ${formatRef(ref)}`, () => ctx.kube.get(ref), signal))
      (foreign ??= new Set()).add(refKey(ref));
  }
  const skipped = foreign;
  const objects =
    skipped === undefined ? rendered.objects : rendered.objects.filter((o) => !skipped.has(refKey(refOf(o))));

  // Each hook once, pre-event hooks first and post-event hooks last, as they run. Keyed with each kind's scope,
  // so an object of a custom cluster-scoped kind is not looked for in the pack's namespace.
  await ctx.scopes.learn(
    hooks.length === 0 ? objects : [...objects, ...hooks.map((h) => h.object)],
    ctx.kube,
  );
  steps.sink.inventory(
    hooks.length === 0
      ? objects
      : [...preHooks.map((h) => h.object), ...objects, ...postOnly.map((h) => h.object)],
  );

  if (pack.namespace.create) await applyNamespace(steps, run, signal);
  // Without hooks there is nothing to place first: the (empty) marking is reported at once, not awaited.
  if (hooks.length === 0) steps.sink.report({ type: 'HooksMarked', time: ctx.iso(), hooks: NONE });
  else await steps.markHooks(run, hooks, signal);

  // CRDs first, and Established before anything that may be one of their custom resources (hooks included).
  const ownCrds = crds.length === 0 ? NONE : objects.filter(isCrd);
  const rest = crds.length === 0 ? objects : objects.filter((o) => !isCrd(o));
  if (ownCrds.length > 0) {
    for (const crd of ownCrds) await steps.applyObject(run, crd, signal);
    await steps.waitForReady(
      run,
      ownCrds.map((crd) => refOf(crd)),
      signal,
    );
    ctx.kube.invalidateDiscovery();
    await waitUntilServed(steps, run, ownCrds, [...rest, ...hooks.map((h) => h.object)], signal);
  }
  const hookSteps = hooks.length === 0 ? undefined : steps.hookSteps();
  if (hookSteps) {
    const runAgain = new Set(preHooks.filter((h) => h.events.includes(postEvent)));
    await runHookEvent(hookSteps, run, preEvent, hooks, signal, runAgain);
  }

  await ctx.watches.ensureKinds(rest);
  for (const object of rest) await steps.applyObject(run, object, signal);
  if (hookSteps) await runHookEvent(hookSteps, run, postEvent, hooks, signal);

  steps.sink.revisionApplied(rendered.revision);
  if (!quiet || run.status.stage.type !== 'Applied')
    steps.sink.report({ type: 'StageChanged', time: ctx.iso(), stage: APPLIED });
  await prune(steps, run, signal);
}

// Not async: it hands withRetry's promise back rather than holding a frame of its own across the apply.
function applyNamespace(steps: PackSteps, run: PackView, signal: AbortSignal): Promise<unknown> {
  const { ctx } = steps;
  const ns = run.desired.pack.namespace;
  const object: KubeObject = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: ns.name,
      labels: { ...ns.labels, [Label.Cluster]: ctx.cluster },
      annotations: { ...ns.annotations },
    },
  };
  return steps.withRetry(run, `Namespace ${ns.name}`, () => applyShared(ctx.kube, object), signal);
}

/**
 * Namespace applies in flight, per API client, by the object applied. The packs of a wave mostly share their
 * namespace and start together: each joins the apply of the same object already under way instead of sending
 * one of its own (at 1,000 packs in 5 waves, 200 identical applies per wave, each answered, stored and held by
 * its caller while the wave ran; issue 15). Only while in flight: a later install applies it again, since the
 * namespace may have been deleted in between. A failed apply fails every pack that joined it, and each retries
 * on its own.
 */
const namespaceApplies = new WeakMap<KubeApi, Map<string, Promise<unknown>>>();

function applyShared(kube: KubeApi, object: KubeObject): Promise<unknown> {
  let inFlight = namespaceApplies.get(kube);
  if (inFlight === undefined) {
    inFlight = new Map();
    namespaceApplies.set(kube, inFlight);
  }
  const key = JSON.stringify(object);
  const pending = inFlight.get(key);
  if (pending !== undefined) return pending;
  const applied = kube.apply(object, { fieldManager: FIELD_MANAGER, force: false });
  const applies = inFlight;
  const settled = () => {
    if (applies.get(key) === applied) applies.delete(key);
  };
  inFlight.set(key, applied);
  applied.then(settled, settled);
  return applied;
}

/**
 * An Established CRD is not always in discovery yet (the API server publishes the new group a moment later),
 * so the pack's own custom resources wait until their kind is served, retrying as a transient error; any
 * other unknown kind stays a permanent error.
 */
async function waitUntilServed(
  steps: PackSteps,
  run: PackView,
  crds: readonly KubeObject[],
  objects: readonly KubeObject[],
  signal: AbortSignal,
): Promise<void> {
  const { ctx } = steps;
  const groups = new Set(crds.map((crd) => (crd.spec as { group?: unknown } | undefined)?.group));
  const kinds = new Map(
    objects
      .filter((o) => groups.has(o.apiVersion.split('/')[0]))
      .map((o) => [`${o.apiVersion}/${o.kind}`, o] as const),
  );
  for (const object of kinds.values()) {
    await steps.withRetry(
      run,
      `${object.kind} (${object.apiVersion})`,
      async () => {
        try {
          return await ctx.kube.resourceFor(object.apiVersion, object.kind);
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

/** Deletes what this pack owned before and no longer renders, including what an earlier process applied. */
async function prune(steps: PackSteps, run: PackView, signal: AbortSignal): Promise<void> {
  const { ctx } = steps;
  const name = run.desired.pack.name;
  const stale: ObjectRef[] = [];
  for (const ref of ctx.packObjects.of(name)) {
    const object = ctx.watches.get(ref);
    // What Helm keeps on uninstall it keeps when a chart stops rendering it, too.
    if (object && !run.inventoryKeys.has(refKey(ref)) && keepReason(object) === undefined) stale.push(ref);
  }
  for (const ref of stale.reverse()) {
    signal.throwIfAborted();
    await steps.withRetry(
      run,
      `prune ${formatRef(ref)}`,
      () => ctx.kube.delete(ref, { propagationPolicy: 'Background' }),
      signal,
    );
  }
}
