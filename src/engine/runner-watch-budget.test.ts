// A cluster past its share of the hub's watch budget (kube/watch-budget.ts), as its packs show it: the runner
// reports the cluster disconnected with the refusal, naming the cluster, the kind and the limit, so its packs'
// colours are the last known ones (stale) rather than green statements about now; it comes back once the
// cluster shrinks. The same path as the per-kind bounds (150,000 objects, 512 MiB).
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { WatchBudget } from '../kube/index.js';
import { FakeKube } from '../kube/testing/fake-kube.js';
import { DEFAULT_TIMEOUT_MS } from '../profile/index.js';
import { PackPhase } from '../status/index.js';
import { ClusterRunner } from './runner.js';
import { desiredManifestPack, packNamespace } from './testing/packs.js';
import { EventLog } from './testing/runner.js';

const WAIT = { timeoutMs: 3000 };
const OBJECT_BYTES = 1000;

const pod = (name: string): KubernetesObject & { spec: unknown } => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'apps' },
  spec: { containers: [{ name: 'main', image: 'x' }] },
});

const runners: ClusterRunner[] = [];
afterEach(() => {
  for (const r of runners.splice(0)) r.stop();
});

describe('ClusterRunner with a share of the watch budget', () => {
  it("shows the cluster disconnected, naming it, the kind and the budget, while it is past its share, and its packs' colours as last known", async () => {
    // Every object counts 1,000 bytes; 10,000 for the one cluster: its Pods may take it all, and no more.
    const kube = new FakeKube({
      listWatch: { backoff: { initialMs: 1, maxMs: 8 } },
      objectBytes: () => OBJECT_BYTES,
    });
    const budget = new WatchBudget({ totalBytes: 10 * OBJECT_BYTES, setting: '--watch-cache-mib' });
    const account = budget.account('prod');
    const log = new EventLog();
    const runner = new ClusterRunner({
      cluster: 'prod',
      kube,
      helmBin: '/nonexistent/helm: manifest packs only',
      onEvent: log.push,
      retry: { initialMs: 1, maxMs: 8 },
      watchBudget: account,
    });
    runners.push(runner);
    await runner.start();
    runner.setDesired([
      desiredManifestPack({
        pack: {
          name: 'settings',
          dependsOn: [],
          timeoutMs: DEFAULT_TIMEOUT_MS,
          namespace: packNamespace('apps'),
          manifests: [
            { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { a: 'b' } },
          ],
        },
        profile: { name: 'apps', version: '1.0.0' },
        wave: 1,
        order: 0,
      }),
    ]);
    await log.until((l) => l.allGreen(['settings']), { ...WAIT, what: 'settings green' });
    expect(runner.statuses().map((s) => s.stale)).toEqual([false]);

    // The cluster grows past its share: a job's Pods in the pack's namespace, 10 of them, on top of its ConfigMap.
    const fm = { fieldManager: 'test', force: true };
    for (let i = 0; i < 10; i++) await kube.apply(pod(`worker-${String(i)}`), fm);
    await log.until((l) => l.events.some((e) => e.type === 'ConnectionChanged' && !e.reachable), {
      ...WAIT,
      what: 'the cluster disconnected',
    });
    const down = log.events.find((e) => e.type === 'ConnectionChanged' && !e.reachable);
    expect(down?.type === 'ConnectionChanged' && down.error).toBe(
      "watch of Pod (v1): cluster prod would hold more than its share of the hub's 10000 bytes watch budget " +
        '(--watch-cache-mib): it holds 10000 bytes of watched objects, and the clusters together hold all of it',
    );
    expect(runner.statuses().map((s) => ({ phase: s.status.phase, stale: s.stale }))).toEqual([
      { phase: PackPhase.Success, stale: true },
    ]);
    expect(budget.usedBytes).toBeLessThanOrEqual(10 * OBJECT_BYTES);

    // The job ends and its Pods go: the Pods' watch fits again, and the colours are statements about now.
    for (let i = 0; i < 10; i++)
      await kube.delete({ apiVersion: 'v1', kind: 'Pod', namespace: 'apps', name: `worker-${String(i)}` });
    await log.until(() => runner.isReachable, { ...WAIT, what: 'the cluster connected again' });
    expect(runner.statuses().map((s) => s.stale)).toEqual([false]);
    runner.stop();
    account.close();
    expect(budget.usedBytes).toBe(0);
  });
});
