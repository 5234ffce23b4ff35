import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../kube/index.js';
import { formatIssues, loadProfileFiles } from '../profile/index.js';
import { PackConditionType, PackPhase } from '../status/index.js';
import { down, up, type ControlPlaneState } from '../../testenv/src/controlplane.js';
import { watchUntil } from '../../testenv/src/watch-until.js';
import { DriftPolicy } from './events.js';
import { deploymentProfile, desiredOrThrow, startRunner, type TestPack } from './testing/runner.js';

const CP = 'engine-lifecycle-it';
let cp: ControlPlaneState;
let apps: AppsV1Api;
let kc: KubeConfig;
const dir = mkdtempSync(join(tmpdir(), 'strata-engine-'));

beforeAll(async () => {
  await down({ name: CP });
  cp = await up({ name: CP, nodes: 2 });
  kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfig);
  apps = kc.makeApiClient(AppsV1Api);
});

afterAll(async () => {
  await down({ name: CP });
});

const profile = (name: string, version: string, ns: string, packs: TestPack[]) =>
  deploymentProfile(dir, { name, version, namespace: ns, packs });

const deploymentExists = async (ns: string, name: string) => {
  try {
    await apps.readNamespacedDeployment({ name, namespace: ns });
    return true;
  } catch {
    return false;
  }
};

describe('failures', () => {
  it('a failing pack turns red naming the pod and the cause, blocks later packs, and recovers', async () => {
    const { runner, log } = await startRunner(cp.kubeconfig, 'fail');
    try {
      const v1 = await profile('apps', '1.0.0', 'fail', [
        { name: 'bad', behavior: 'image-pull-backoff' },
        { name: 'after', priority: 10 },
      ]);
      runner.setDesired(desiredOrThrow(v1, { cluster: 'fail' }));
      await log.until((l) => l.phases().bad === PackPhase.Failed, { timeoutMs: 60_000, what: 'bad red' });
      const bad = log.latest().get('bad');
      expect(bad?.condition).toBe(PackConditionType.Error);
      expect(bad?.message).toMatch(/Pod fail\/bad-[a-z0-9]+-[a-z0-9]+: (ErrImagePull|ImagePullBackOff)/);
      expect(bad?.message).toContain('registry.local/bad:1');
      await log.until(
        (l) => l.latest().get('after')?.message.includes('blocked by apps/bad (failed)') === true,
        {
          timeoutMs: 10_000,
          what: 'after blocked',
        },
      );
      expect(log.phases().after).toBe(PackPhase.Onboarding);
      expect(await deploymentExists('fail', 'after')).toBe(false);

      // Fix the pack: red is a statement about now, so it turns green, and the blocked pack installs.
      const v2 = await profile('apps', '1.0.1', 'fail', [{ name: 'bad' }, { name: 'after', priority: 10 }]);
      runner.setDesired(desiredOrThrow(v2, { cluster: 'fail' }));
      await log.until((l) => l.allGreen(['bad', 'after']), {
        timeoutMs: 60_000,
        what: 'both green after the fix',
      });
      const history = log
        .latest()
        .get('bad')
        ?.transitions.map((t) => t.to);
      // Straight from red to blue to green: the failed evaluation of the old revision must not turn the pack
      // red again while the fixed revision is being applied.
      expect(history).toEqual([
        PackPhase.Processing,
        PackPhase.Failed,
        PackPhase.Processing,
        PackPhase.Success,
      ]);
    } finally {
      runner.stop();
    }
  });

  it('a pack still blue when its timeout passes turns red with what it was waiting for', async () => {
    const { runner, log } = await startRunner(cp.kubeconfig, 'slow');
    try {
      const v1 = await profile('slow', '1.0.0', 'slow', [
        { name: 'stuck', behavior: 'never-ready', timeout: '4s' },
      ]);
      runner.setDesired(desiredOrThrow(v1, { cluster: 'slow' }));
      await log.until((l) => l.phases().stuck === PackPhase.Failed, { timeoutMs: 30_000, what: 'stuck red' });
      const stuck = log.latest().get('stuck');
      expect(stuck?.message).toMatch(/timed out after 4s/i);
      expect(stuck?.message).toContain('Deployment slow/stuck');
    } finally {
      runner.stop();
    }
  });
});

describe('namespaces', () => {
  it("watches Pods and ReplicaSets only where packs live: another namespace's never reach the hub, and a failing pod in the namespace a pack creates turns it red", async () => {
    // The cluster's own workload, in a namespace no pack writes to.
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'bystander' } } });
    await apps.createNamespacedDeployment({
      namespace: 'bystander',
      body: {
        metadata: { name: 'theirs' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'theirs' } },
          template: {
            metadata: { labels: { app: 'theirs' } },
            spec: { containers: [{ name: 'main', image: 'registry.local/theirs:1' }] },
          },
        },
      },
    });
    await expect
      .poll(async () => (await core.listNamespacedPod({ namespace: 'bystander' })).items.length, {
        timeout: 30_000,
      })
      .toBe(2);

    // Every Pod and ReplicaSet watch the runner starts, and every one of their objects it is handed.
    const queries: string[] = [];
    const handed = new Set<string>();
    const kube = KubeClient.fromFile(cp.kubeconfig);
    const listWatch = kube.listWatch.bind(kube);
    kube.listWatch = (q, handler, opts) => {
      const related = q.kind === 'Pod' || q.kind === 'ReplicaSet';
      if (related) queries.push(`${q.kind} in ${q.namespace ?? 'all namespaces'}`);
      return listWatch(
        q,
        (event) => {
          if (related) handed.add(`${q.kind} in ${event.object.metadata?.namespace ?? ''}`);
          return handler(event);
        },
        opts,
      );
    };
    const { runner, log } = await startRunner(cp.kubeconfig, 'scoped', { kube });
    try {
      const v1 = await profile('scoped', '1.0.0', 'scoped', [
        { name: 'broken', behavior: 'image-pull-backoff' },
      ]);
      runner.setDesired(desiredOrThrow(v1, { cluster: 'scoped' }));
      await log.until((l) => l.phases().broken === PackPhase.Failed, {
        timeoutMs: 60_000,
        what: 'broken red',
      });
      expect(log.latest().get('broken')?.message).toMatch(
        /Pod scoped\/broken-[a-z0-9]+-[a-z0-9]+: (ErrImagePull|ImagePullBackOff)/,
      );
      expect([...new Set(queries)].sort()).toEqual(['Pod in scoped', 'ReplicaSet in scoped']);
      expect([...handed].sort()).toEqual(['Pod in scoped', 'ReplicaSet in scoped']);
    } finally {
      runner.stop();
    }
  });
});

describe('day 2', () => {
  it('prunes an object a pack no longer renders, and only that one', async () => {
    const { runner, log, kube } = await startRunner(cp.kubeconfig, 'prune');
    const write = async (version: string, configMaps: string[]) => {
      const file = join(dir, `prune-${version}.yaml`);
      writeFileSync(
        file,
        [
          'apiVersion: strata.dev/v1alpha1',
          'kind: ClusterProfile',
          'metadata: { name: prune }',
          'spec:',
          `  version: ${version}`,
          '  type: add-on',
          '  packs:',
          '    - name: settings',
          '      layer: addon',
          '      version: 1.0.0',
          '      type: manifest',
          '      namespace: prune',
          '      manifests:',
          ...configMaps.map(
            (name) =>
              `        - { apiVersion: v1, kind: ConfigMap, metadata: { name: ${name} }, data: { k: v } }`,
          ),
          '',
        ].join('\n'),
      );
      const loaded = await loadProfileFiles([file]);
      if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
      return desiredOrThrow(loaded.value, { cluster: 'prune' });
    };
    const exists = async (name: string) =>
      (await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'prune', name })) !== undefined;
    try {
      runner.setDesired(await write('1.0.0', ['kept', 'dropped']));
      await log.until((l) => l.allGreen(['settings']), { timeoutMs: 30_000, what: 'v1 green' });
      expect(await exists('dropped')).toBe(true);
      // Watch for the deletion before asking for it, so it cannot be missed.
      let deleted: () => void = () => undefined;
      const gone = new Promise<void>((resolve) => (deleted = resolve));
      const watch = kube.listWatch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'prune' }, (e) => {
        if (e.type === 'DELETED' && e.object.metadata?.name === 'dropped') deleted();
      });
      await watch.start();
      const mark = log.events.length;
      runner.setDesired(await write('2.0.0', ['kept']));
      await log.until(
        (l) =>
          l.events
            .slice(mark)
            .some(
              (e) =>
                e.type === 'PackStatusChanged' &&
                e.status.progress.total === 1 &&
                e.status.phase === PackPhase.Success,
            ),
        { timeoutMs: 30_000, what: 'v2 green with one object' },
      );
      await Promise.race([
        gone,
        new Promise((_, reject) =>
          setTimeout(() => {
            reject(new Error('dropped was not pruned'));
          }, 15_000),
        ),
      ]);
      watch.stop();
      expect(await exists('kept')).toBe(true);
      expect(await exists('dropped')).toBe(false);
    } finally {
      runner.stop();
    }
  });

  it('upgrades changed packs, leaves unchanged ones alone, installs new ones and removes dropped ones in reverse order', async () => {
    const { runner, log } = await startRunner(cp.kubeconfig, 'day2');
    try {
      const v1 = await profile('day2', '1.0.0', 'day2', [
        { name: 'a' },
        { name: 'b', priority: 10 },
        { name: 'c', priority: 20 },
        { name: 'e', priority: 30 },
      ]);
      runner.setDesired(desiredOrThrow(v1, { cluster: 'day2' }));
      await log.until((l) => l.allGreen(['a', 'b', 'c', 'e']), { timeoutMs: 60_000, what: 'v1 green' });
      const before = log.latest();

      const v2 = await profile('day2', '2.0.0', 'day2', [
        { name: 'a', replicas: 2 },
        { name: 'b', priority: 10 },
        { name: 'd', priority: 15 },
      ]);
      const mark = log.events.length;
      runner.setDesired(desiredOrThrow(v2, { cluster: 'day2' }));
      await log.until((l) => l.allGreen(['a', 'b', 'd']) && !l.latest().has('c') && !l.latest().has('e'), {
        timeoutMs: 60_000,
        what: 'v2 converged',
      });
      const after = log.latest();
      const since = log.events.slice(mark);
      // a: upgraded (blue Upgrading, then green)
      expect(
        since.some(
          (e) =>
            e.type === 'PackStatusChanged' &&
            e.pack === 'a' &&
            e.status.condition === PackConditionType.Upgrading,
        ),
      ).toBe(true);
      expect((await apps.readNamespacedDeployment({ name: 'a', namespace: 'day2' })).spec?.replicas).toBe(2);
      // b: untouched, not a single status event
      expect(since.filter((e) => e.type === 'PackStatusChanged' && e.pack === 'b')).toEqual([]);
      expect(after.get('b')).toBe(before.get('b'));
      // c and e: uninstalled, last installed first
      const removed = since.flatMap((e) => (e.type === 'PackRemoved' ? [e.pack] : []));
      expect(removed).toEqual(['e', 'c']);
      expect(await deploymentExists('day2', 'c')).toBe(false);
      expect(await deploymentExists('day2', 'e')).toBe(false);
    } finally {
      runner.stop();
    }
  });
});

describe('drift', () => {
  it('correct (default): a deleted or edited object is reported and put back, and the pack returns to green', async () => {
    const { runner, log, kube } = await startRunner(cp.kubeconfig, 'drift');
    try {
      runner.setDesired(
        desiredOrThrow(await profile('drift', '1.0.0', 'drift', [{ name: 'web', replicas: 2 }]), {
          cluster: 'drift',
        }),
      );
      await log.until((l) => l.allGreen(['web']), { timeoutMs: 60_000, what: 'web green' });

      await apps.deleteNamespacedDeployment({ name: 'web', namespace: 'drift' });
      await log.until(
        (l) =>
          l.events.some(
            (e) =>
              e.type === 'DriftDetected' &&
              e.message === 'drift: Deployment drift/web deleted' &&
              e.correcting,
          ),
        {
          timeoutMs: 10_000,
          what: 'deletion drift',
        },
      );
      await log.until((l) => l.allGreen(['web']) && l.events.at(-1)?.type === 'PackStatusChanged', {
        timeoutMs: 30_000,
        what: 'web green again',
      });
      expect(await deploymentExists('drift', 'web')).toBe(true);

      // Someone scales it by hand with another field manager.
      await kube.apply(
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web', namespace: 'drift' },
          spec: { replicas: 5 },
        },
        { fieldManager: 'kubectl-edit', force: true },
      );
      await log.until(
        (l) =>
          l.events.some(
            (e) =>
              e.type === 'DriftDetected' &&
              e.message.startsWith('drift: Deployment drift/web changed by kubectl-edit'),
          ),
        {
          timeoutMs: 10_000,
          what: 'edit drift',
        },
      );
      const corrected = await watchUntil<V1Deployment>(
        kc,
        (d) => d.metadata?.name === 'web' && d.spec?.replicas === 2,
        {
          path: '/apis/apps/v1/namespaces/drift/deployments',
          timeoutMs: 10_000,
          description: 'replicas put back to 2',
        },
      );
      expect(corrected.metadata?.managedFields?.find((f) => f.manager === 'strata')?.fieldsV1).toHaveProperty(
        ['f:spec', 'f:replicas'],
      );
    } finally {
      runner.stop();
    }
  });

  it('report: drift is reported and left as it is', async () => {
    const { runner, log } = await startRunner(cp.kubeconfig, 'drift-report', {
      driftPolicy: DriftPolicy.Report,
    });
    try {
      runner.setDesired(
        desiredOrThrow(await profile('report', '1.0.0', 'drift-report', [{ name: 'web' }]), {
          cluster: 'drift-report',
        }),
      );
      await log.until((l) => l.allGreen(['web']), { timeoutMs: 60_000, what: 'web green' });
      await apps.deleteNamespacedDeployment({ name: 'web', namespace: 'drift-report' });
      await log.until((l) => l.events.some((e) => e.type === 'DriftDetected' && !e.correcting), {
        timeoutMs: 10_000,
        what: 'drift reported',
      });
      await log.until((l) => l.phases().web === PackPhase.Processing, {
        timeoutMs: 10_000,
        what: 'web no longer green',
      });
      expect(log.latest().get('web')?.message).toContain('Deployment drift-report/web');
      expect(await deploymentExists('drift-report', 'web')).toBe(false);
    } finally {
      runner.stop();
    }
  });
});

describe('restart safety', () => {
  it('a new runner taking over mid-install re-derives state and converges without duplicating anything', async () => {
    const first = await startRunner(cp.kubeconfig, 'restart');
    const v1 = await profile('restart', '1.0.0', 'restart', [
      { name: 'one' },
      { name: 'two', priority: 10, readyAfter: '3s', replicas: 2 },
      { name: 'three', priority: 20 },
    ]);
    const desired = desiredOrThrow(v1, { cluster: 'restart' });
    first.runner.setDesired(desired);
    await first.log.until((l) => l.phases().two === PackPhase.Processing, {
      timeoutMs: 60_000,
      what: 'two installing',
    });
    first.runner.stop(); // killed mid-install

    const second = await startRunner(cp.kubeconfig, 'restart', { initial: first.log.latest() });
    try {
      second.runner.setDesired(desired);
      await second.log.until((l) => l.allGreen(['one', 'two', 'three']), {
        timeoutMs: 60_000,
        what: 'converged after restart',
      });
      const deployments = (await apps.listNamespacedDeployment({ namespace: 'restart' })).items
        .map((d) => d.metadata?.name)
        .sort();
      expect(deployments).toEqual(['one', 'three', 'two']);
      // History from before the restart is kept.
      expect(second.log.latest().get('one')?.transitions.length).toBeGreaterThanOrEqual(
        first.log.latest().get('one')?.transitions.length ?? 0,
      );
    } finally {
      second.runner.stop();
    }
  });
});
