// Pods, ReplicaSets and Warning events are watched per namespace the packs write to, not cluster-wide (issue 15):
// a cluster's own pods elsewhere cost the hub nothing, a namespace is watched once however many packs share it,
// and one no pack writes to any more stops being watched. The real control plane proves the same end to end
// (lifecycle.int.test.ts, 'namespaces').
import type { CoreV1Event, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeError, KubeErrorCode, WatchBudget, type WatchQuery } from '../kube/index.js';
import { FakeKube } from '../kube/testing/fake-kube.js';
import { PackPhase } from '../status/index.js';
import type { DesiredPack } from './desired.js';
import { ClusterRunner } from './runner.js';
import { desiredManifestPack, packNamespace } from './testing/packs.js';
import { EventLog } from './testing/runner.js';
import { WatchSet } from './watch-set.js';

const WAIT = { timeoutMs: 3000 };
const POLL = { timeout: 3000 };
const OBJECT_BYTES = 1000;
const fm = { fieldManager: 'test', force: true };
/** A 403 as the API server sends it: with its Status (reason Forbidden), which a gateway's HTML page lacks. */
const forbidden = (message: string) =>
  new KubeError(KubeErrorCode.Forbidden, message, { status: 403, reason: 'Forbidden', retryable: false });

const pod = (namespace: string, name: string, owner?: { uid: string; name: string }): V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace,
    ...(owner
      ? {
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner.name, uid: owner.uid, controller: true },
          ],
        }
      : {}),
  },
  spec: { containers: [{ name: 'main', image: 'x' }] },
});

const configMapPack = (name: string, namespace = 'apps'): DesiredPack =>
  desiredManifestPack({
    pack: {
      name,
      namespace: packNamespace(namespace),
      manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: 'b' } }],
    },
    profile: { name: 'apps', version: '1.0.0' },
    wave: 1,
    order: 0,
  });

/** The Pod, ReplicaSet and Event lists the runner asked for, as `Kind in namespace` (or `Kind` cluster-wide). */
function lists(kube: FakeKube): string[] {
  const seen: string[] = [];
  kube.react((action) => {
    if (action.verb !== 'list' || !['Pod', 'ReplicaSet', 'Event'].includes(action.query.kind)) return;
    seen.push(where(action.query));
  });
  return seen;
}
const where = (q: WatchQuery) => (q.namespace === undefined ? q.kind : `${q.kind} in ${q.namespace}`);

const runners: ClusterRunner[] = [];
afterEach(() => {
  for (const r of runners.splice(0)) r.stop();
});

function runnerOn(kube: FakeKube, options: { budget?: WatchBudget; reachabilityRetryMs?: number } = {}) {
  const log = new EventLog();
  const lines: string[] = [];
  const runner = new ClusterRunner({
    cluster: 'prod',
    kube,
    helmBin: '/nonexistent/helm: manifest packs only',
    onEvent: log.push,
    log: (line) => lines.push(line),
    retry: { initialMs: 1, maxMs: 8 },
    ...(options.budget ? { watchBudget: options.budget.account('prod') } : {}),
    ...(options.reachabilityRetryMs === undefined
      ? {}
      : { reachabilityRetryMs: options.reachabilityRetryMs }),
  });
  runners.push(runner);
  return { runner, log, lines };
}

describe('ClusterRunner: Pods and ReplicaSets of the packs’ namespaces only', () => {
  it('holds none of the pods of namespaces no pack writes to, and stays connected within a budget they would pass', async () => {
    // Every object counts 1,000 bytes of a 5,000 budget: the cluster's own 20 pods in `batch` would pass it.
    const kube = new FakeKube({
      listWatch: { backoff: { initialMs: 1, maxMs: 8 } },
      objectBytes: () => OBJECT_BYTES,
    });
    for (let i = 0; i < 20; i++) await kube.apply(pod('batch', `worker-${String(i)}`), fm);
    const budget = new WatchBudget({ totalBytes: 5 * OBJECT_BYTES });
    const listed = lists(kube);
    const { runner, log } = runnerOn(kube, { budget });
    await runner.start();
    runner.setDesired([configMapPack('settings')]);
    await log.until((l) => l.allGreen(['settings']), { ...WAIT, what: 'settings green' });

    expect(runner.isReachable).toBe(true);
    expect(log.events.filter((e) => e.type === 'ConnectionChanged')).toEqual([]);
    expect([...new Set(listed)].sort()).toEqual(['Event in apps', 'Pod in apps', 'ReplicaSet in apps']);
    // The pack's ConfigMap, nothing of `batch`.
    expect(budget.usedBytes).toBe(OBJECT_BYTES);
  });

  it('watches a namespace once for all its packs, and stops when no pack writes to it any more', async () => {
    const kube = new FakeKube({
      listWatch: { backoff: { initialMs: 1, maxMs: 8 } },
      objectBytes: () => OBJECT_BYTES,
    });
    // A pod of the cluster's own in `apps`: the hub holds it while packs write there, and only then.
    await kube.apply(pod('apps', 'theirs'), fm);
    const budget = new WatchBudget({ totalBytes: 100 * OBJECT_BYTES });
    const listed = lists(kube);
    const { runner, log } = runnerOn(kube, { budget });
    await runner.start();
    runner.setDesired([configMapPack('one'), configMapPack('two')]);
    await log.until((l) => l.allGreen(['one', 'two']), { ...WAIT, what: 'both green' });
    expect(listed.filter((w) => w === 'Pod in apps')).toHaveLength(1);
    expect(budget.usedBytes).toBe(3 * OBJECT_BYTES);

    // One pack leaves: the other still writes to `apps`, which stays watched (its pod held, not listed again).
    runner.setDesired([configMapPack('two')]);
    await log.until(() => runner.statuses().length === 1, { ...WAIT, what: 'one removed' });
    await expect.poll(() => budget.usedBytes, POLL).toBe(2 * OBJECT_BYTES);
    expect(listed.filter((w) => w === 'Pod in apps')).toHaveLength(1);

    // The last one leaves: nothing of `apps` is held any more.
    runner.setDesired([]);
    await log.until(() => runner.statuses().length === 0, { ...WAIT, what: 'both removed' });
    await expect.poll(() => budget.usedBytes, POLL).toBe(0);

    // A pack comes back: listed again, the pod held again.
    runner.setDesired([configMapPack('one')]);
    await log.until((l) => l.allGreen(['one']), { ...WAIT, what: 'one green again' });
    expect(listed.filter((w) => w === 'Pod in apps')).toHaveLength(2);
    await expect.poll(() => budget.usedBytes, POLL).toBe(2 * OBJECT_BYTES);
  });

  it('holds nothing of a namespace whose Pods were refused once no pack writes to it', async () => {
    // Review 21: the ReplicaSet and Event watches that did start stayed after the packs left, holding the
    // cluster's own ReplicaSets there against the budget.
    const kube = new FakeKube({
      listWatch: { backoff: { initialMs: 1, maxMs: 8 } },
      objectBytes: () => OBJECT_BYTES,
    });
    for (let i = 0; i < 5; i++) {
      await kube.apply<V1ReplicaSet>(
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: { name: `theirs-${String(i)}`, namespace: 'apps' },
          spec: { selector: { matchLabels: { app: 'theirs' } } },
        },
        fm,
      );
    }
    kube.react((action) => {
      if (action.verb === 'list' && action.query.kind === 'Pod' && action.query.namespace === 'apps')
        throw forbidden('pods is forbidden in apps');
    });
    const budget = new WatchBudget({ totalBytes: 100 * OBJECT_BYTES });
    const { runner, log } = runnerOn(kube, { budget });
    await runner.start();
    runner.setDesired([configMapPack('settings')]);
    await log.until((l) => l.allGreen(['settings']), { ...WAIT, what: 'settings green' });
    expect(budget.usedBytes).toBe(6 * OBJECT_BYTES);

    runner.setDesired([]);
    await log.until(() => runner.statuses().length === 0, { ...WAIT, what: 'settings removed' });
    await expect.poll(() => budget.usedBytes, POLL).toBe(0);
  });

  it('says once per namespace which of its lists is refused, without the server’s text', async () => {
    const kube = new FakeKube({ listWatch: { backoff: { initialMs: 1, maxMs: 8 } } });
    kube.react((action) => {
      if (action.verb === 'list' && action.query.kind === 'ReplicaSet' && action.query.namespace === 'apps')
        throw forbidden('replicasets.apps is forbidden: <remote text>');
    });
    const { runner, log, lines } = runnerOn(kube);
    await runner.start();
    runner.setDesired([configMapPack('one')]);
    await log.until((l) => l.allGreen(['one']), { ...WAIT, what: 'one green' });
    // A second pack there asks for the namespace again: refused again, not said again.
    runner.setDesired([configMapPack('one'), configMapPack('two')]);
    await log.until((l) => l.allGreen(['one', 'two']), { ...WAIT, what: 'both green' });
    expect(lines).toEqual([
      'not watching ReplicaSets (apps/v1) in namespace apps (Forbidden): its workloads are judged without them',
    ]);
  });

  it('names a refused namespace in one line of printable text, cut', async () => {
    // Review 22: a namespace is whatever a manifest says (a chart's or a profile author's text): its newlines and
    // terminal escapes went into the hub's log as they were.
    const namespace = `x\n2026-12-07T00:00:00Z strata: cluster prod: forged \u001b[31m${'A'.repeat(300)}`;
    const kube = new FakeKube({ listWatch: { backoff: { initialMs: 1, maxMs: 8 } } });
    kube.react((action) => {
      if (action.verb === 'list' && action.query.kind === 'Pod' && action.query.namespace === namespace)
        throw forbidden('pods is forbidden');
    });
    const { runner, log, lines } = runnerOn(kube);
    await runner.start();
    runner.setDesired([configMapPack('odd', namespace)]);
    await log.until(() => lines.length > 0, { ...WAIT, what: 'the refusal said' });
    expect(lines).toHaveLength(1);
    const [line = ''] = lines;
    expect(line).toMatch(/^not watching Pods \(v1\) in namespace x/);
    expect(line).toMatch(/ \(Forbidden\): its workloads are judged without them$/);
    // eslint-disable-next-line no-control-regex -- what must not reach the log
    expect(line).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(line.length).toBeLessThan(200);
  });

  it('watches no namespace for a pack of cluster-scoped objects only', async () => {
    const kube = new FakeKube({ listWatch: { backoff: { initialMs: 1, maxMs: 8 } } });
    await kube.apply(pod('apps', 'theirs'), fm);
    const listed = lists(kube);
    const { runner, log } = runnerOn(kube);
    await runner.start();
    runner.setDesired([
      desiredManifestPack({
        pack: {
          name: 'roles',
          namespace: { ...packNamespace('apps'), create: false },
          manifests: [
            {
              apiVersion: 'rbac.authorization.k8s.io/v1',
              kind: 'ClusterRole',
              metadata: { name: 'reader' },
              rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
            },
          ],
        },
        profile: { name: 'infra', version: '1.0.0' },
        wave: 1,
        order: 0,
      }),
    ]);
    await log.until((l) => l.allGreen(['roles']), { ...WAIT, what: 'roles green' });
    expect(listed).toEqual([]);
  });

  it('judges nothing of a namespace before its Pods are listed', async () => {
    const kube = new FakeKube({ listWatch: { backoff: { initialMs: 1, maxMs: 8 } } });
    let podsAnswer = false;
    let refused = 0;
    kube.react((action) => {
      if (action.verb !== 'list' || action.query.kind !== 'Pod' || podsAnswer) return;
      refused++;
      throw new KubeError(KubeErrorCode.Unreachable, 'pods: connection reset');
    });
    const { runner, log } = runnerOn(kube);
    await runner.start();
    runner.setDesired([configMapPack('settings')]);
    // Its ConfigMap is applied (the answer alone would have it judged) and watched a few retries of the Pod
    // list long, but not judged while the pods of `apps` are unknown.
    await log.until((l) => l.latest().get('settings')?.stage.type === 'Applied', {
      ...WAIT,
      what: 'applied',
    });
    const then = refused;
    await expect.poll(() => refused, POLL).toBeGreaterThanOrEqual(then + 3);
    expect(runner.isReachable).toBe(false);
    expect(log.latest().get('settings')?.progress.ready).toBe(0);
    expect(log.phases().settings).toBe(PackPhase.Processing);
    podsAnswer = true;
    await log.until((l) => l.allGreen(['settings']), {
      ...WAIT,
      what: 'settings green once the pods are listed',
    });
    expect(runner.isReachable).toBe(true);
  });

  it('judges each namespace once its own lists are done, whatever another namespace’s refusal', async () => {
    // Review 21: Pods are refused for good in `a` while those of `b` take a few retries; the objects of `b` were
    // held back until all namespaces were listed, then judged before `b` was, and never again (blue for ever).
    const kube = new FakeKube({ listWatch: { backoff: { initialMs: 1, maxMs: 8 } } });
    let bRefusals = 0;
    kube.react((action) => {
      if (action.verb !== 'list' || action.query.kind !== 'Pod') return;
      if (action.query.namespace === 'a') throw forbidden('pods is forbidden in a');
      if (action.query.namespace === 'b' && bRefusals++ < 5)
        throw new KubeError(KubeErrorCode.Unreachable, 'pods: connection reset');
    });
    const { runner, log } = runnerOn(kube);
    await runner.start();
    runner.setDesired([
      desiredManifestPack({
        pack: {
          name: 'two-ns',
          namespace: packNamespace('a'),
          manifests: [
            {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name: 'x', namespace: 'a' },
              data: { a: 'b' },
            },
            {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name: 'y', namespace: 'b' },
              data: { a: 'b' },
            },
          ],
        },
        profile: { name: 'apps', version: '1.0.0' },
        wave: 1,
        order: 0,
      }),
    ]);
    await log.until((l) => l.allGreen(['two-ns']), { ...WAIT, what: 'two-ns green' });
    expect(bRefusals).toBeGreaterThan(5);
  });

  it('reports the cluster reachable again when a list that failed once is refused for good', async () => {
    // Review 21: the Pod list of `apps` failed once (cluster shown unreachable), then was refused; the watch went
    // but the cluster stayed shown unreachable, its packs green.
    const kube = new FakeKube({ listWatch: { backoff: { initialMs: 1, maxMs: 8 } } });
    let lists = 0;
    kube.react((action) => {
      if (action.verb !== 'list' || action.query.kind !== 'Pod' || action.query.namespace !== 'apps') return;
      if (lists++ === 0) throw new KubeError(KubeErrorCode.Unreachable, 'pods: connection reset');
      throw forbidden('pods is forbidden in apps');
    });
    const { runner, log } = runnerOn(kube);
    await runner.start();
    runner.setDesired([configMapPack('settings')]);
    await log.until((l) => l.allGreen(['settings']), { ...WAIT, what: 'settings green' });
    expect(log.events.filter((e) => e.type === 'ConnectionChanged').map((e) => e.reachable)).toEqual([
      false,
      true,
    ]);
    expect(runner.isReachable).toBe(true);
  });

  it('keeps the cluster shown unreachable when a failed list ends in a failure that is no answer', async () => {
    // Review 22: any lasting failure but a 401 reported the cluster reachable, a denied address or a credential
    // plugin's failure too; only the API server's own answer (refused, unknown kind) shows it answers.
    const kube = new FakeKube({ listWatch: { backoff: { initialMs: 1, maxMs: 8 } } });
    let lists = 0;
    kube.react((action) => {
      if (action.verb !== 'list' || action.query.kind !== 'Pod' || action.query.namespace !== 'apps') return;
      if (lists++ === 0) throw new KubeError(KubeErrorCode.Unreachable, 'pods: connection reset');
      throw new KubeError(KubeErrorCode.OutboundDenied, 'the server resolves to a denied address');
    });
    const { runner, log } = runnerOn(kube);
    await runner.start();
    runner.setDesired([configMapPack('settings')]);
    await log.until((l) => l.allGreen(['settings']), { ...WAIT, what: 'settings green' });
    expect(log.events.filter((e) => e.type === 'ConnectionChanged').map((e) => e.reachable)).toEqual([false]);
    expect(runner.isReachable).toBe(false);
  });

  it('reports a cluster with no packs unreachable, and reachable again', async () => {
    const kube = new FakeKube({ listWatch: { backoff: { initialMs: 1, maxMs: 8 } } });
    let down = true;
    kube.react(() => {
      if (down) throw new KubeError(KubeErrorCode.Unreachable, 'cannot reach the API server: ECONNREFUSED');
    });
    const { runner, log } = runnerOn(kube);
    const started = runner.start();
    await log.until((l) => l.events.some((e) => e.type === 'ConnectionChanged' && !e.reachable), {
      ...WAIT,
      what: 'unreachable',
    });
    expect(runner.isReachable).toBe(false);
    down = false;
    await started;
    await log.until(() => runner.isReachable, { ...WAIT, what: 'reachable again' });
  });
});

describe('ClusterRunner: the reachability watch refused', () => {
  const REACHABILITY_REFUSED =
    'may not watch the namespace default (Forbidden): whether the cluster answers is told by its packs’ watches only';

  // Review 21: an agent whose RBAC predates the Namespace rule (deploy/agent/rbac.yaml) crashed at start, and a
  // kubeconfig that may list but not watch namespaces flapped unreachable. A refusal is the API server answering.
  it('starts when the `default` namespace may not be read, its packs still judged', async () => {
    const kube = new FakeKube({ listWatch: { backoff: { initialMs: 1, maxMs: 8 } } });
    kube.react((action) => {
      if (action.verb === 'list' && action.query.kind === 'Namespace')
        throw forbidden('namespaces "default" is forbidden');
    });
    const { runner, log, lines } = runnerOn(kube);
    await runner.start();
    expect(runner.isReachable).toBe(true);
    runner.setDesired([configMapPack('settings')]);
    await log.until((l) => l.allGreen(['settings']), { ...WAIT, what: 'settings green' });
    expect(log.events.filter((e) => e.type === 'ConnectionChanged')).toEqual([]);
    expect(lines).toEqual([REACHABILITY_REFUSED]);
  });

  it('asks for the refused watch again until it is let, then watches the cluster by it', async () => {
    // Session 16: a refused reachability watch was gone for good; a cluster with no packs was then not seen going
    // unreachable until the hub restarted.
    const kube = new FakeKube({ listWatch: { backoff: { initialMs: 1, maxMs: 8 } } });
    let refusing = true;
    let namespaceLists = 0;
    let namespaceWatches = 0;
    kube.react((action) => {
      if ((action.verb !== 'list' && action.verb !== 'watch') || action.query.kind !== 'Namespace') return;
      if (action.verb === 'watch') namespaceWatches++;
      if (action.verb !== 'list') return;
      namespaceLists++;
      if (refusing) throw forbidden('namespaces "default" is forbidden');
    });
    const { runner, lines } = runnerOn(kube, { reachabilityRetryMs: 20 });
    await runner.start();
    await expect.poll(() => namespaceLists, POLL).toBeGreaterThanOrEqual(3);
    expect(namespaceWatches).toBe(0);
    expect(lines).toEqual([REACHABILITY_REFUSED]);
    refusing = false;
    await expect.poll(() => namespaceWatches, POLL).toBeGreaterThanOrEqual(1);
    expect(lines).toEqual([
      REACHABILITY_REFUSED,
      'may list the namespace default now: whether the cluster answers is told by its watch again',
    ]);
    // Watched now: no more asking.
    const listed = namespaceLists;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(namespaceLists).toBe(listed);
    expect(runner.isReachable).toBe(true);
  });

  it('a retry unreachable, then refused its credentials: unreachable until a retry is answered, then reachable', async () => {
    // Review 26: a retry that saw the cluster unreachable and then had its credentials refused left it shown
    // unreachable, with the first reason, for good: the retries refused after that cleared nothing.
    const kube = new FakeKube({ listWatch: { backoff: { initialMs: 1, maxMs: 8 } } });
    let phase: 'refused' | 'down' | 'credentials' = 'refused';
    kube.react((action) => {
      if (action.verb !== 'list' || action.query.kind !== 'Namespace') return;
      if (phase === 'refused') throw forbidden('namespaces "default" is forbidden');
      if (phase === 'down')
        throw new KubeError(KubeErrorCode.Unreachable, 'cannot reach the API server: ECONNREFUSED');
      phase = 'refused';
      throw new KubeError(KubeErrorCode.Unauthorized, 'credentials refused (401)', {
        status: 401,
        retryable: false,
      });
    });
    const { runner, log } = runnerOn(kube, { reachabilityRetryMs: 20 });
    await runner.start();
    phase = 'down';
    await expect.poll(() => runner.isReachable, POLL).toBe(false);
    phase = 'credentials';
    await expect.poll(() => runner.isReachable, POLL).toBe(true);
    const changes = log.events.flatMap((e) =>
      e.type === 'ConnectionChanged' ? [e.reachable ? 'reachable' : (e.error ?? '')] : [],
    );
    // The runner reports changes of reachability, not of the reason while unreachable: the 401 kept it so.
    expect(changes).toEqual(['cannot reach the API server: ECONNREFUSED', 'reachable']);
  });

  it('stops asking for the refused watch once stopped', async () => {
    const kube = new FakeKube({ listWatch: { backoff: { initialMs: 1, maxMs: 8 } } });
    let namespaceLists = 0;
    kube.react((action) => {
      if (action.verb !== 'list' || action.query.kind !== 'Namespace') return;
      namespaceLists++;
      throw forbidden('namespaces "default" is forbidden');
    });
    const { runner } = runnerOn(kube, { reachabilityRetryMs: 20 });
    await runner.start();
    await expect.poll(() => namespaceLists, POLL).toBeGreaterThanOrEqual(2);
    runner.stop();
    const asked = namespaceLists;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(namespaceLists).toBe(asked);
  });

  it('stays reachable when namespaces may be listed but not watched', async () => {
    const kube = new FakeKube({ listWatch: { backoff: { initialMs: 1, maxMs: 8 } } });
    let refusals = 0;
    kube.react((action) => {
      if (action.verb !== 'watch' || action.query.kind !== 'Namespace') return;
      refusals++;
      throw forbidden('namespaces is forbidden: cannot watch');
    });
    const { runner, log, lines } = runnerOn(kube);
    await runner.start();
    await expect.poll(() => refusals, POLL).toBeGreaterThanOrEqual(3);
    expect(log.events.filter((e) => e.type === 'ConnectionChanged')).toEqual([]);
    expect(runner.isReachable).toBe(true);
    expect(lines).toEqual([REACHABILITY_REFUSED]);
  });

  it('does not take a 403 without the API server’s Status (a gateway’s page) for an answer', async () => {
    // Review 22: a proxy refusing everything with an HTML 403 had a cluster with no packs shown reachable.
    const kube = new FakeKube({ listWatch: { backoff: { initialMs: 1, maxMs: 8 } } });
    kube.react(() => {
      throw new KubeError(
        KubeErrorCode.Forbidden,
        'HTTP 403 from https://gateway (not a Kubernetes API server answer)',
        {
          status: 403,
          retryable: false,
        },
      );
    });
    const { runner, lines } = runnerOn(kube);
    await expect(runner.start()).rejects.toThrow('HTTP 403 from https://gateway');
    expect(lines).toEqual([]);
  });

  it('does not start with credentials the API server refuses', async () => {
    const kube = new FakeKube({ listWatch: { backoff: { initialMs: 1, maxMs: 8 } } });
    kube.react(() => {
      throw new KubeError(KubeErrorCode.Unauthorized, 'Unauthorized', { retryable: false });
    });
    const { runner } = runnerOn(kube);
    await expect(runner.start()).rejects.toThrow('Unauthorized');
  });
});

describe('WatchSet: a watch refused for good after a failure', () => {
  it('reports the cluster connected again when it was the last one disconnected', async () => {
    const kube = new FakeKube({ listWatch: { backoff: { initialMs: 1, maxMs: 8 } } });
    let lists = 0;
    kube.react((action) => {
      if (action.verb !== 'list' || action.query.kind !== 'Secret') return;
      if (lists++ === 0) throw new KubeError(KubeErrorCode.Unreachable, 'secrets: connection reset');
      throw forbidden('secrets is forbidden');
    });
    const connected: boolean[] = [];
    const watches = new WatchSet({
      kube,
      cluster: 'prod',
      onEvent: () => undefined,
      onConnection: (state) => connected.push(state.connected),
    });
    try {
      await expect(watches.ensureKinds([{ apiVersion: 'v1', kind: 'Secret' }])).rejects.toThrow(
        'secrets is forbidden',
      );
      expect(connected).toEqual([false, true]);
    } finally {
      watches.stop();
    }
  });
});

describe('WatchSet.releaseNamespace', () => {
  it('drops the Pods, ReplicaSets and Warning events of the namespace from what the status rules read', async () => {
    const kube = new FakeKube();
    const rs = await kube.apply<V1ReplicaSet>(
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: 'web-1',
          namespace: 'apps',
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'dep', controller: true },
          ],
        },
        spec: { selector: { matchLabels: { app: 'web' } } },
      },
      fm,
    );
    const rsUid = rs.metadata?.uid ?? '';
    const web = await kube.apply<V1Pod>(pod('apps', 'web-1-a', { uid: rsUid, name: 'web-1' }), fm);
    const webUid = web.metadata?.uid ?? '';
    await kube.apply(pod('other', 'x-1-a', { uid: 'rs-other', name: 'x-1' }), fm);
    const event: CoreV1Event = {
      apiVersion: 'v1',
      kind: 'Event',
      type: 'Warning',
      reason: 'BackOff',
      metadata: { name: 'web-1-a.1', namespace: 'apps' },
      involvedObject: { kind: 'Pod', namespace: 'apps', name: 'web-1-a', uid: webUid },
    };
    await kube.apply(event, fm);
    const watches = new WatchSet({
      kube,
      cluster: 'prod',
      onEvent: () => undefined,
      onConnection: () => undefined,
    });
    try {
      await watches.ensureNamespaces(['apps']);
      expect(watches.replicaSetsOwnedBy('dep').map((r) => r.metadata?.name)).toEqual(['web-1']);
      expect(watches.podsOwnedBy(rsUid).map((p) => p.metadata?.name)).toEqual(['web-1-a']);
      expect(watches.warningEventsFor(webUid).map((e) => e.reason)).toEqual(['BackOff']);
      // Never listed: no pack writes to `other`.
      expect(watches.podsOwnedBy('rs-other')).toEqual([]);

      watches.releaseNamespace('apps');
      expect(watches.isWatched('apps')).toBe(false);
      expect(watches.replicaSetsOwnedBy('dep')).toEqual([]);
      expect(watches.replicaSet(rsUid)).toBeUndefined();
      expect(watches.podsOwnedBy(rsUid)).toEqual([]);
      expect(watches.warningEventsFor(webUid)).toEqual([]);
    } finally {
      watches.stop();
    }
  });
});
