// The cluster runner against the in-memory kube (src/kube/testing/fake-kube.ts): ordering, blocking, removal
// order, retries with backoff, timeouts, drift and restarts, in milliseconds. Manifest packs only (and a Helm
// pack that fails before its render), so no helm runs.
// The integration tests (*.int.test.ts) prove the same end to end on a real control plane.
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KubeError, KubeErrorCode, type ObjectRef } from '../kube/index.js';
import { FakeKube, type FakeAction } from '../kube/testing/fake-kube.js';
import { DEFAULT_TIMEOUT_MS, type KubeObject } from '../profile/index.js';
import { PackOperation, PackPhase, ResourceState, type PackStatus } from '../status/index.js';
import type { DesiredPack } from './desired.js';
import { Label } from './render.js';
import { DriftPolicy, type RunnerEvent } from './events.js';
import { ClusterRunner, type RunnerOptions } from './runner.js';
import { desiredManifestPack, desiredPack, helmPack, packNamespace } from './testing/packs.js';
import { EventLog } from './testing/runner.js';
import { loopStallProbe } from '../shared/testing/loop-stall.js';

const CLUSTER = 'unit';
const WAIT = { timeoutMs: 3000 };

const configMap = (name: string, extra: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data: { key: name },
  ...extra,
});
/** A Job stays blue until the test completes or fails it (as its controller would): a pack that waits. */
const job = (name: string): KubeObject => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name },
  spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'x' }] } } },
});

let order = 0;
function pack(
  name: string,
  wave: number,
  objects: readonly KubeObject[],
  options: { profile?: string; dependsOn?: string[]; timeoutMs?: number; namespace?: string } = {},
): DesiredPack {
  return desiredManifestPack({
    pack: {
      name,
      dependsOn: options.dependsOn ?? [],
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      namespace: packNamespace(options.namespace ?? 'apps'),
      manifests: [...objects],
    },
    profile: { name: options.profile ?? 'apps', version: '1.0.0' },
    wave,
    order: order++,
  });
}

const runners: ClusterRunner[] = [];
afterEach(() => {
  for (const r of runners.splice(0)) r.stop();
});

async function startRunner(kube: FakeKube, options: Partial<RunnerOptions> = {}) {
  const log = new EventLog();
  const runner = new ClusterRunner({
    cluster: CLUSTER,
    kube,
    helmBin: '/nonexistent/helm: manifest packs only',
    onEvent: log.push,
    retry: { initialMs: 1, maxMs: 8 },
    ...options,
  });
  runners.push(runner);
  await runner.start();
  return { runner, log };
}

const fakeKube = () => new FakeKube({ listWatch: { backoff: { initialMs: 1, maxMs: 8 } } });

/** The names of the objects of `verb` requests, in the order the fake received them. */
const names = (kube: FakeKube, verb: 'apply' | 'delete', kind = 'ConfigMap') =>
  kube.actions.flatMap((a: FakeAction) => (a.verb === verb && a.ref.kind === kind ? [a.ref.name] : []));

const jobRef = (name: string, namespace = 'apps'): ObjectRef => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  namespace,
  name,
});
const complete = { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] };
const failedJob = {
  failed: 1,
  conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'boom' }],
};

const statusesOf = (log: EventLog, pack: string) =>
  log.events.flatMap((e) => (e.type === 'PackStatusChanged' && e.pack === pack ? [e.status] : []));
const removedPacks = (log: EventLog) => log.events.flatMap((e) => (e.type === 'PackRemoved' ? [e.pack] : []));

describe('ClusterRunner on the fake kube: ordering', () => {
  it('starts a wave only once the one before is green, and says what it waits for meanwhile', async () => {
    const kube = fakeKube();
    const { runner, log } = await startRunner(kube);
    runner.setDesired([
      pack('migrate', 1, [job('migrate')]),
      pack('api', 2, [configMap('api')]),
      pack('web', 3, [configMap('web')]),
    ]);
    await log.until(() => kube.peek(jobRef('migrate')) !== undefined, { ...WAIT, what: 'the Job applied' });
    await log.until((l) => l.latest().get('api')?.stage.type === 'Waiting', { ...WAIT, what: 'api waiting' });
    expect(log.latest().get('api')?.stage).toEqual({
      type: 'Waiting',
      waitingFor: [{ pack: 'apps/migrate', phase: PackPhase.Processing }],
    });
    expect(names(kube, 'apply')).toEqual([]);

    kube.setStatus(jobRef('migrate'), complete);
    await log.until((l) => l.allGreen(['migrate', 'api', 'web']), { ...WAIT, what: 'all green' });
    expect(names(kube, 'apply')).toEqual(['api', 'web']);
    // api went green before web started: web's first status after Waiting is its own install.
    const webApplied = log.events.findIndex(
      (e) => e.type === 'PackStatusChanged' && e.pack === 'web' && e.status.stage.type === 'Applying',
    );
    const apiGreen = log.events.findIndex(
      (e) => e.type === 'PackStatusChanged' && e.pack === 'api' && e.status.phase === PackPhase.Success,
    );
    expect(apiGreen).toBeGreaterThanOrEqual(0);
    expect(apiGreen).toBeLessThan(webApplied);
  });

  it('blocks what comes after a red pack, naming it, while another add-on profile installs', async () => {
    const kube = fakeKube();
    const { runner, log } = await startRunner(kube);
    runner.setDesired([
      pack('ingress', 1, [job('ingress')], { profile: 'platform' }),
      pack('gateway', 2, [configMap('gateway')], { profile: 'platform' }),
      pack('store', 1, [configMap('store')], { profile: 'monitoring', namespace: 'monitoring' }),
      pack('dashboards', 2, [configMap('dashboards')], { profile: 'monitoring', namespace: 'monitoring' }),
    ]);
    await log.until(() => kube.peek(jobRef('ingress')) !== undefined, { ...WAIT, what: 'the Job applied' });
    kube.setStatus(jobRef('ingress'), failedJob);
    await log.until((l) => l.latest().get('gateway')?.stage.type === 'Blocked', {
      ...WAIT,
      what: 'gateway blocked',
    });
    await log.until((l) => l.allGreen(['store', 'dashboards']), { ...WAIT, what: 'monitoring green' });
    expect(log.latest().get('ingress')?.phase).toBe(PackPhase.Failed);
    expect(log.latest().get('gateway')?.stage).toEqual({ type: 'Blocked', blockedBy: 'platform/ingress' });
    expect(names(kube, 'apply')).toEqual(['store', 'dashboards']);

    // Green again (a retry that passed): what it blocked installs.
    kube.setStatus(jobRef('ingress'), complete);
    await log.until((l) => l.allGreen(['ingress', 'gateway']), { ...WAIT, what: 'platform green' });
    expect(names(kube, 'apply')).toContain('gateway');
  });

  it('links add-on profiles only through dependsOn', async () => {
    const kube = fakeKube();
    const { runner, log } = await startRunner(kube);
    runner.setDesired([
      pack('ingress', 1, [job('ingress')], { profile: 'platform' }),
      pack('web', 1, [configMap('web')], { profile: 'apps', dependsOn: ['ingress'] }),
      pack('worker', 1, [configMap('worker')], { profile: 'apps' }),
    ]);
    await log.until((l) => l.allGreen(['worker']), { ...WAIT, what: 'worker green' });
    expect(log.latest().get('web')?.stage).toEqual({
      type: 'Waiting',
      waitingFor: [{ pack: 'platform/ingress', phase: PackPhase.Processing }],
    });
    kube.setStatus(jobRef('ingress'), complete);
    await log.until((l) => l.allGreen(['web']), { ...WAIT, what: 'web green' });
  });
});

describe('ClusterRunner on the fake kube: removal', () => {
  it('removes in reverse install order, each wave once the later one is gone', async () => {
    const kube = fakeKube();
    const { runner, log } = await startRunner(kube);
    // The last pack's ConfigMap has a finalizer: its deletion waits until the test lets it go.
    const held = configMap('c', { metadata: { name: 'c', finalizers: ['example.com/hold'] } });
    runner.setDesired([pack('a', 1, [configMap('a')]), pack('b', 2, [configMap('b')]), pack('c', 3, [held])]);
    await log.until((l) => l.allGreen(['a', 'b', 'c']), { ...WAIT, what: 'all green' });

    runner.setDesired([]);
    await log.until((l) => l.latest().get('c')?.operation === PackOperation.Uninstall, {
      ...WAIT,
      what: 'c uninstalling',
    });
    await log.until(
      () =>
        kube.peek({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'apps', name: 'c' })?.metadata
          ?.deletionTimestamp !== undefined,
      { ...WAIT, what: 'c terminating' },
    );
    expect(names(kube, 'delete')).toEqual(['c']);
    expect(removedPacks(log)).toEqual([]);

    kube.finalize({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'apps', name: 'c' });
    await log.until((l) => removedPacks(l).length === 3, { ...WAIT, what: 'all removed' });
    expect(removedPacks(log)).toEqual(['c', 'b', 'a']);
    expect(names(kube, 'delete')).toEqual(['c', 'b', 'a']);
    expect(runner.statuses()).toEqual([]);
  });

  it('retries a failed uninstall with backoff, red with the cause meanwhile, then removes the pack', async () => {
    const kube = fakeKube();
    // Full jitter drawing 0 every time: the delay is then the floor (initialMs), never none.
    const retry = { initialMs: 10, maxMs: 20 };
    const { runner, log } = await startRunner(kube, { retry, random: () => 0 });
    runner.setDesired([pack('a', 1, [configMap('a')])]);
    await log.until((l) => l.allGreen(['a']), { ...WAIT, what: 'a green' });

    let refusals = 0;
    let refusedThrice: () => void = () => undefined;
    const thirdRefusal = new Promise<void>((resolve) => {
      refusedThrice = resolve;
    });
    const attemptsAt: number[] = [];
    const stopRefusing = kube.react((action) => {
      if (action.verb !== 'delete') return;
      attemptsAt.push(performance.now());
      if (++refusals === 3) refusedThrice();
      throw new KubeError(KubeErrorCode.Forbidden, `configmaps "a" is forbidden: user cannot delete`);
    });
    runner.setDesired([]);
    // Quiet attempts emit nothing: the reactor says when the third came.
    await thirdRefusal;
    expect(log.latest().get('a')).toMatchObject({
      phase: PackPhase.Failed,
      stage: {
        type: 'ApplyFailed',
        error: expect.stringMatching(/^uninstall: .*forbidden.*retrying/) as unknown,
      },
    });
    // Backed off, not a hot loop (issue 11: 8,187 transitions in 302 s): each attempt waits at least initialMs.
    const gaps = attemptsAt.slice(1).map((t, i) => t - (attemptsAt[i] ?? t));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(retry.initialMs - 1);
    const redBefore = statusesOf(log, 'a').length;
    stopRefusing();
    await log.until((l) => removedPacks(l).includes('a'), { ...WAIT, what: 'a removed' });
    // Quiet while retrying: the attempts after the first add no blue/red flapping, only the final outcome.
    expect(statusesOf(log, 'a').length - redBefore).toBeLessThanOrEqual(2);
    expect(kube.peek({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'apps', name: 'a' })).toBeUndefined();
  });

  it('treats an object whose kind is no longer served as gone, though its watch still holds it', async () => {
    const kube = fakeKube();
    const { runner, log } = await startRunner(kube);
    const crd: KubeObject = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'sprockets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { kind: 'Sprocket', plural: 'sprockets' },
        versions: [{ name: 'v1', served: true, storage: true }],
      },
    };
    const sprocket: KubeObject = {
      apiVersion: 'example.com/v1',
      kind: 'Sprocket',
      metadata: { name: 'first' },
    };
    runner.setDesired([pack('crds', 1, [crd]), pack('gadgets', 2, [sprocket, configMap('gadgets')])]);
    await log.until((l) => l.allGreen(['crds', 'gadgets']), { ...WAIT, what: 'both green' });

    // The kind goes while the watch is cut off: the runner's cache still holds the Sprocket.
    kube.unserve('example.com/v1', 'Sprocket', { silently: true });
    runner.setDesired([pack('crds', 1, [crd])]);
    await log.until((l) => removedPacks(l).includes('gadgets'), { ...WAIT, what: 'gadgets removed' });
    expect(statusesOf(log, 'gadgets').filter((s) => s.phase === PackPhase.Failed)).toEqual([]);
  });
});

describe('ClusterRunner on the fake kube: retries and timeouts', () => {
  it('retries a transient apply failure with backoff, showing each attempt, then goes green', async () => {
    const kube = fakeKube();
    const { runner, log } = await startRunner(kube);
    let failures = 0;
    kube.react((action) => {
      if (action.verb !== 'apply' || action.ref.name !== 'api' || failures >= 2) return;
      failures++;
      throw new KubeError(KubeErrorCode.ServerError, 'etcdserver: request timed out', { status: 500 });
    });
    runner.setDesired([pack('api', 1, [configMap('api')])]);
    await log.until((l) => l.allGreen(['api']), { ...WAIT, what: 'api green' });
    const attempts = statusesOf(log, 'api').flatMap((s) =>
      s.stage.type === 'Retrying' ? [s.stage.attempt] : [],
    );
    expect([...new Set(attempts)]).toEqual([1, 2]);
    expect(names(kube, 'apply')).toEqual(['api', 'api', 'api']);
  });

  it('turns a pack red on a permanent apply failure, naming the object, without retrying', async () => {
    const kube = fakeKube();
    const { runner, log } = await startRunner(kube);
    kube.react((action) => {
      if (action.verb === 'apply' && action.ref.name === 'api')
        throw new KubeError(KubeErrorCode.Invalid, 'ConfigMap apps/api: data.key: Invalid value', {
          status: 422,
        });
    });
    runner.setDesired([pack('api', 1, [configMap('api')]), pack('web', 2, [configMap('web')])]);
    await log.until((l) => l.latest().get('web')?.stage.type === 'Blocked', { ...WAIT, what: 'web blocked' });
    expect(log.latest().get('api')).toMatchObject({
      phase: PackPhase.Failed,
      stage: { type: 'ApplyFailed' },
    });
    expect(log.latest().get('api')?.message).toContain('ConfigMap apps/api');
    expect(names(kube, 'apply')).toEqual(['api']);
  });

  it("turns a Helm pack red, naming the cluster, when the cluster's discovery answer is past the hub's bounds", async () => {
    const kube = fakeKube();
    const { runner, log } = await startRunner(kube);
    kube.react((action) => {
      if (action.verb === 'discovery')
        throw new KubeError(
          KubeErrorCode.Invalid,
          'the API server at https://10.0.0.1:6443 lists 20000 API groups; the hub reads at most 1000 (a large real cluster serves a few hundred)',
        );
    });
    runner.setDesired([desiredPack(helmPack({ name: 'web' }))]);
    await log.until((l) => l.latest().get('web')?.phase === PackPhase.Failed, { ...WAIT, what: 'web red' });
    expect(log.latest().get('web')?.message).toBe(
      `apply rejected: discovery of the version and APIs of cluster ${CLUSTER}: the API server at https://10.0.0.1:6443 lists ` +
        '20000 API groups; the hub reads at most 1000 (a large real cluster serves a few hundred)',
    );
  });

  it('turns a pack red when it is not green within its timeout', async () => {
    const kube = fakeKube();
    const { runner, log } = await startRunner(kube);
    runner.setDesired([pack('slow', 1, [job('slow')], { timeoutMs: 40 })]);
    await log.until((l) => l.latest().get('slow')?.phase === PackPhase.Failed, { ...WAIT, what: 'slow red' });
    expect(log.latest().get('slow')).toMatchObject({ reason: 'TimedOut', timedOut: { after: '40ms' } });
    expect(
      log
        .latest()
        .get('slow')
        ?.resources.map((r) => r.evaluation.state),
    ).toEqual([ResourceState.Progressing]);
  });
});

describe('ClusterRunner on the fake kube: drift', () => {
  const apiRef: ObjectRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'apps', name: 'api' };
  const drifts = (log: EventLog) => log.events.filter((e) => e.type === 'DriftDetected');
  /** Resolves at the next apply of the ConfigMap `api` (the fake stores it in the same turn). */
  const nextApply = (kube: FakeKube) =>
    new Promise<void>((resolve) => {
      const stop = kube.react((action) => {
        if (action.verb !== 'apply' || action.ref.name !== 'api') return;
        stop();
        resolve();
      });
    });
  /** `kubectl edit` of the ConfigMap: another manager takes `data.key` over from Strata. */
  const edit = (kube: FakeKube) => {
    kube.put({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      data: { key: 'edited' },
      metadata: {
        name: 'api',
        namespace: 'apps',
        managedFields: [
          { manager: 'strata', operation: 'Apply', fieldsV1: { 'f:metadata': {} } },
          { manager: 'kubectl-edit', operation: 'Update', fieldsV1: { 'f:data': { 'f:key': {} } } },
        ],
      },
    } as KubernetesObject);
  };

  it('puts an object another manager changed back as rendered, naming the manager', async () => {
    const kube = fakeKube();
    const { runner, log } = await startRunner(kube);
    runner.setDesired([pack('api', 1, [configMap('api')])]);
    await log.until((l) => l.allGreen(['api']), { ...WAIT, what: 'api green' });
    // A controller writing status leaves Strata's fields alone: not drift.
    kube.setStatus(apiRef, { observed: true });
    const reapplied = nextApply(kube);
    edit(kube);
    await reapplied;
    expect(drifts(log)).toEqual([
      expect.objectContaining({
        pack: 'api',
        ref: apiRef,
        message: 'drift: ConfigMap apps/api changed by kubectl-edit',
        correcting: true,
      }),
    ]);
    expect(kube.peek(apiRef)).toMatchObject({ data: { key: 'api' } });
    expect(names(kube, 'apply')).toEqual(['api', 'api']);
  });

  it('still sees drift of an object applied before its pack’s hook ran and left the inventory', async () => {
    const kube = fakeKube();
    const { runner, log } = await startRunner(kube);
    const hook: KubeObject = {
      ...job('notify'),
      metadata: {
        name: 'notify',
        annotations: { 'helm.sh/hook': 'post-install', 'helm.sh/hook-delete-policy': 'hook-succeeded' },
      },
    };
    runner.setDesired([pack('api', 1, [configMap('api'), hook])]);
    await log.until(() => kube.peek(jobRef('notify')) !== undefined, { ...WAIT, what: 'the hook applied' });
    kube.setStatus(jobRef('notify'), complete);
    // The hook is deleted once it succeeded, and the pack's inventory changes without it.
    await log.until((l) => l.allGreen(['api']) && kube.peek(jobRef('notify')) === undefined, {
      ...WAIT,
      what: 'api green, its hook gone',
    });
    expect(
      log
        .latest()
        .get('api')
        ?.resources.map((r) => r.ref.name),
    ).toEqual(['api']);
    const reapplied = nextApply(kube);
    edit(kube);
    await reapplied;
    expect(drifts(log)).toEqual([
      expect.objectContaining({
        pack: 'api',
        ref: apiRef,
        message: 'drift: ConfigMap apps/api changed by kubectl-edit',
      }),
    ]);
  });

  it('under the report policy, says what drifted and leaves it', async () => {
    const kube = fakeKube();
    const { runner, log } = await startRunner(kube, { driftPolicy: DriftPolicy.Report });
    runner.setDesired([pack('api', 1, [configMap('api')])]);
    await log.until((l) => l.allGreen(['api']), { ...WAIT, what: 'api green' });
    edit(kube);
    await log.until((l) => drifts(l).length === 1, { ...WAIT, what: 'the drift reported' });
    expect(drifts(log)[0]).toMatchObject({ correcting: false });
    expect(drifts(log)[0]?.message).toContain('changed by kubectl-edit');
    await kube.delete(apiRef);
    await log.until((l) => drifts(l).length === 2, { ...WAIT, what: 'the deletion reported' });
    expect(drifts(log)[1]).toMatchObject({ correcting: false, message: 'drift: ConfigMap apps/api deleted' });
    expect(names(kube, 'apply')).toEqual(['api']);
  });
});

describe('ClusterRunner on the fake kube: a restart after a detach was cut short', () => {
  /** Runner A installs, then stops as a killed hub would: the store keeps the statuses, the cluster the objects. */
  async function installThenKill(
    kube: FakeKube,
    packs: readonly DesiredPack[],
  ): Promise<Map<string, PackStatus>> {
    const { runner, log } = await startRunner(kube);
    runner.setDesired(packs);
    await log.until((l) => l.allGreen(packs.map((p) => p.pack.name)), { ...WAIT, what: 'all green' });
    runner.stop();
    return log.latest();
  }

  const labelled = (kube: FakeKube, pack: string) =>
    kube
      .all('v1', 'ConfigMap')
      .filter((o) => o.metadata?.labels?.[Label.Pack] === pack)
      .map((o) => o.metadata?.name);

  it('removes stored packs no attachment wants, last started first, and leaves the others alone', async () => {
    const kube = fakeKube();
    const stay = pack('stay', 1, [configMap('stay')], { profile: 'kept', namespace: 'kept' });
    const first = pack('first', 1, [configMap('first')], { profile: 'detached', namespace: 'detached' });
    const second = pack('second', 2, [configMap('second')], { profile: 'detached', namespace: 'detached' });
    const stored = await installThenKill(kube, [stay, first, second]);
    // One stored resource of a kind the server does not serve (its CRD went meanwhile): nothing left of it.
    const unserved = { apiVersion: 'gone.example.com/v1', kind: 'Widget', name: 'w', namespace: 'detached' };
    const secondStored = stored.get('second');
    if (!secondStored) throw new Error('no stored status for second');
    stored.set('second', {
      ...secondStored,
      resources: [
        { ref: unserved, evaluation: { state: ResourceState.Ready, reason: 'Ready', message: '' } },
        ...secondStored.resources,
      ],
    });

    const { runner, log } = await startRunner(kube, { initial: stored });
    runner.setDesired([stay]);
    await log.until((l) => removedPacks(l).length === 2, { ...WAIT, what: 'first and second removed' });
    expect(removedPacks(log)).toEqual(['second', 'first']);
    expect(labelled(kube, 'first')).toEqual([]);
    expect(labelled(kube, 'second')).toEqual([]);
    for (const name of ['first', 'second']) {
      const uninstalling = statusesOf(log, name).find((s) => s.operation === PackOperation.Uninstall);
      expect(uninstalling?.message).toContain("delete hooks not run: the pack's rendering is gone");
      // Its history goes on from what was stored.
      const transitions = statusesOf(log, name).at(-1)?.transitions ?? [];
      expect(transitions.slice(0, stored.get(name)?.transitions.length)).toEqual(
        stored.get(name)?.transitions,
      );
    }
    // The pack still attached is re-applied unchanged (no new generation) and stays green throughout.
    await log.until((l) => l.allGreen(['stay']), { ...WAIT, what: 'stay green' });
    expect(new Set(statusesOf(log, 'stay').map((s) => s.phase))).toEqual(new Set([PackPhase.Success]));
    expect(names(kube, 'delete')).toEqual(['second', 'first']);
    expect(runner.statuses().map((s) => s.pack)).toEqual(['stay']);
  });

  it('keeps and installs a pack attached again in the very turn its orphan removal finishes', async () => {
    const kube = fakeKube();
    const held = configMap('first', { metadata: { name: 'first', finalizers: ['example.com/hold'] } });
    const first = pack('first', 1, [held], { profile: 'detached', namespace: 'detached' });
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'detached', name: 'first' };
    const stored = await installThenKill(kube, [first]);

    let reattach: ((e: RunnerEvent) => void) | undefined;
    const log = new EventLog();
    const { runner } = await startRunner(kube, {
      initial: stored,
      onEvent: (e) => {
        log.push(e);
        reattach?.(e);
      },
    });
    runner.setDesired([]);
    await log.until(() => kube.peek(cm)?.metadata?.deletionTimestamp !== undefined, {
      ...WAIT,
      what: 'first terminating',
    });
    // Attached again as its last object is seen gone: the uninstall, waiting for just that, resolves in the
    // same turn, before the runner's next reconcile has run.
    reattach = (e) => {
      if (e.type !== 'PackStatusChanged' || kube.peek(cm) !== undefined) return;
      reattach = undefined;
      runner.setDesired([first]);
    };
    kube.finalize(cm);
    await log.until((l) => l.allGreen(['first']) && labelled(kube, 'first').length === 1, {
      ...WAIT,
      what: 'first installed again',
    });
    expect(removedPacks(log)).toEqual([]);
    expect(runner.statuses().map((s) => s.pack)).toEqual(['first']);
  });

  it('starts a new life for a pack attached again after its orphan removal', async () => {
    const kube = fakeKube();
    const first = pack('first', 1, [configMap('first')], { profile: 'detached', namespace: 'detached' });
    const stored = await installThenKill(kube, [first]);

    // An hour later by the runner's clock: on the fake kube both lives can fit in one millisecond, and a
    // transition of the new life would then look like a stored one.
    const later = () => Date.now() + 3_600_000;
    const { runner, log } = await startRunner(kube, { initial: stored, now: later });
    runner.setDesired([]);
    await log.until((l) => removedPacks(l).includes('first'), { ...WAIT, what: 'first removed' });
    const mark = log.events.length;
    runner.setDesired([first]);
    await log.until((l) => l.allGreen(['first']), { ...WAIT, what: 'first installed again' });
    // None of the stored transitions again (taking the stored status twice stored each of them twice).
    const storedKeys = new Set(stored.get('first')?.transitions.map((t) => `${t.time} ${t.from}→${t.to}`));
    const again = log.events
      .slice(mark)
      .flatMap((e) => (e.type === 'PackStatusChanged' ? e.status.transitions : []));
    expect(again.length).toBeGreaterThan(0);
    expect(again.filter((t) => storedKeys.has(`${t.time} ${t.from}→${t.to}`))).toEqual([]);
  });
});

describe('ClusterRunner: its change count (what the hub keeps a page by)', () => {
  it('grows on new desired packs, on every report and on a watch event that changes no status', async () => {
    const kube = fakeKube();
    const { runner, log } = await startRunner(kube);
    const start = runner.changes;
    runner.setDesired([pack('settings', 1, [configMap('settings')])]);
    expect(runner.changes).toBeGreaterThan(start);
    await log.until((l) => l.allGreen(['settings']), { ...WAIT, what: 'green' });
    const green = runner.changes;
    const reports = log.events.length;
    // An event about the object that leaves its status as it is (a ConfigMap is ready once it exists).
    kube.setStatus({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'apps', name: 'settings' }, { seen: 1 });
    await vi.waitFor(
      () => {
        expect(runner.changes).toBeGreaterThan(green);
      },
      { timeout: WAIT.timeoutMs },
    );
    expect(log.events.length).toBe(reports);
  });
});

describe('ClusterRunner: costly health rules (review 14, finding 3)', () => {
  // 40 objects applied and judged: more than the usual few.
  const SLOW = { timeoutMs: 25_000 };

  it('judges many objects by a costly rule over several turns of the event loop, each stopped at its limit', async () => {
    const kube = fakeKube();
    kube.serve({ apiVersion: 'example.com/v1', kind: 'Widget', resource: 'widgets', namespaced: true });
    const { runner, log } = await startRunner(kube);
    const count = 40;
    const widgets = Array.from({ length: count }, (_, i) => ({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: `w${i}` },
      spec: { size: i },
    }));
    runner.setDesired([pack('widgets', 1, widgets)]);
    await vi.waitFor(
      () => {
        expect(kube.actions.filter((a) => a.verb === 'apply' && a.ref.kind === 'Widget')).toHaveLength(count);
      },
      { timeout: SLOW.timeoutMs },
    );
    for (const w of widgets) {
      kube.setStatus(
        { apiVersion: 'example.com/v1', kind: 'Widget', namespace: 'apps', name: w.metadata.name },
        { phase: 'Ready' },
      );
    }
    await log.until((l) => l.allGreen(['widgets']), { ...SLOW, what: 'green' });

    // The reviewer's rule, applied cluster-wide: each of its objects is judged again, all at once before.
    const ten = '[0,1,2,3,4,5,6,7,8,9]';
    const costly = `${ten}.all(a, ${ten}.all(b, ${ten}.all(c, ${ten}.all(d, ${ten}.all(e, self.metadata.name != 'x')))))`;
    const stall = loopStallProbe();
    runner.setClusterHealthRules([
      { apiVersion: 'example.com/v1', kind: 'Widget', current: 'true', inProgress: costly },
    ]);
    // The cost limit stops each (on a loaded machine the 50 ms deadline behind it may come first).
    const stopped =
      /^Widget apps\/w\d+: cluster health rule for example\.com\/Widget exceeded its (cost limit \(3000 units: loop iterations, field reads, and calls with the data they handle\)|time limit \(50 ms\)), in its inProgress expression$/;
    const judged = (l: EventLog) =>
      (l.latest().get('widgets')?.resources ?? []).filter((r) => stopped.test(r.evaluation.message)).length;
    await log.until((l) => judged(l) === count, { ...SLOW, what: 'every widget judged by the costly rule' });
    const longest = stall.stop();
    // Before: 1 s per widget in one go (40 s); with the cost limit alone, 1.2 s. Now a turn's budget (20 ms)
    // plus one evaluation (about 10 ms): 40-100 ms measured on a loaded 2-core machine.
    expect(longest).toBeLessThan(300);
    const resources = log.latest().get('widgets')?.resources ?? [];
    expect(resources.map((r) => r.evaluation.message.split(':')[0]).sort()).toEqual(
      widgets.map((w) => `Widget apps/${w.metadata.name}`).sort(),
    );
    expect(log.latest().get('widgets')?.phase).toBe(PackPhase.Processing);
  }, 60_000);
});
