import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  type V1Deployment,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, type ListWatchOptions, type WatchHandler, type WatchQuery } from '../kube/index.js';
import { formatIssues, loadProfileFiles } from '../profile/index.js';
import { PackPhase } from '../status/index.js';
import { down, up, type ControlPlaneState } from '../../testenv/src/controlplane.js';
import { desiredOrThrow, startRunner } from './testing/runner.js';

// The truth of a pack's colour while its objects change under it (pack-status.md, ADR 0004, ADR 0006), on a
// real control plane.
const CP = 'engine-health-it';
let cp: ControlPlaneState;
let apps: AppsV1Api;
let core: CoreV1Api;
const dir = mkdtempSync(join(tmpdir(), 'strata-health-'));

beforeAll(async () => {
  await down({ name: CP });
  cp = await up({ name: CP, nodes: 1 });
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfig);
  apps = kc.makeApiClient(AppsV1Api);
  core = kc.makeApiClient(CoreV1Api);
});

afterAll(async () => {
  await down({ name: CP });
});

async function loadProfile(name: string, version: string, packs: string) {
  const file = join(dir, `${name}-${version}.yaml`);
  writeFileSync(
    file,
    [
      'apiVersion: strata.dev/v1alpha1',
      'kind: ClusterProfile',
      `metadata: { name: ${name} }`,
      'spec:',
      `  version: ${version}`,
      '  type: add-on',
      '  packs:',
      packs,
      '',
    ].join('\n'),
  );
  const loaded = await loadProfileFiles([file]);
  if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
  return loaded.value;
}

/** What the runner's Deployment watch delivered, and where in the runner's event log it was handled. */
interface Seen {
  readonly at: number;
  readonly generation: number;
  readonly observedGeneration: number;
}

describe('upgrades', () => {
  it('never shows green between a new revision and its controller observing it, over 50 upgrades', async () => {
    // The runner's own Deployment watch, tapped: each event is recorded right after the runner handled it, so
    // its position in the event log says which statuses were emitted before the controller had observed it.
    const kube = KubeClient.fromFile(cp.kubeconfig);
    const seen: Seen[] = [];
    let logLength = () => 0;
    const listWatch = kube.listWatch.bind(kube);
    kube.listWatch = <T extends KubernetesObject>(
      q: WatchQuery,
      handler: WatchHandler<T>,
      opts?: ListWatchOptions,
    ) =>
      listWatch<T>(
        q,
        async (event) => {
          await handler(event);
          if (q.kind !== 'Deployment') return;
          const d = event.object as V1Deployment;
          seen.push({
            at: logLength(),
            generation: d.metadata?.generation ?? 0,
            observedGeneration: d.status?.observedGeneration ?? 0,
          });
        },
        opts,
      );
    const { runner, log } = await startRunner(cp.kubeconfig, 'upgrades', { kube });
    logLength = () => log.events.length;
    const web = () => log.latest().get('web');
    const profile = (i: number) =>
      loadProfile(
        'rolling',
        `1.0.${i}`,
        `    - name: web
      layer: addon
      version: 1.0.0
      type: manifest
      namespace: upgrades
      manifests:
        - apiVersion: apps/v1
          kind: Deployment
          metadata: { name: web }
          spec:
            replicas: 1
            selector: { matchLabels: { app: web } }
            template:
              metadata: { labels: { app: web } }
              spec:
                containers:
                  - name: main
                    image: registry.local/web:1
                    env: [{ name: ROUND, value: "${i}" }]`,
      );
    const UPGRADES = 50;
    try {
      runner.setDesired(desiredOrThrow(await profile(0), { cluster: 'upgrades' }));
      await log.until((l) => l.allGreen(['web']), { timeoutMs: 60_000, what: 'web green' });
      for (let i = 1; i <= UPGRADES; i++) {
        const before = web()?.revision;
        runner.setDesired(desiredOrThrow(await profile(i), { cluster: 'upgrades' }));
        await log.until(() => web()?.revision !== before && web()?.phase === PackPhase.Success, {
          timeoutMs: 60_000,
          what: `web green after upgrade ${i}`,
        });
      }

      const statuses = log.events.flatMap((e, at) =>
        e.type === 'PackStatusChanged' && e.pack === 'web' ? [{ at, status: e.status }] : [],
      );
      const revisions = [...new Set(statuses.map((s) => s.status.revision))].filter((r) => r !== '');
      expect(revisions).toHaveLength(UPGRADES + 1);
      for (const [index, revision] of revisions.entries()) {
        if (index === 0) continue;
        const generation = index + 1; // each upgrade changes the pod template
        const started = statuses.find((s) => s.status.revision === revision)?.at ?? -1;
        const observed = seen.find((s) => s.observedGeneration >= generation)?.at ?? Infinity;
        const falseGreen = statuses
          .filter((s) => s.at >= started && s.at < observed && s.status.phase === PackPhase.Success)
          .map((s) => s.status.message);
        expect({ upgrade: index, falseGreen }).toEqual({ upgrade: index, falseGreen: [] });
      }
      const live = await apps.readNamespacedDeployment({ name: 'web', namespace: 'upgrades' });
      expect(live.metadata?.generation).toBe(UPGRADES + 1);
    } finally {
      runner.stop();
    }
  });
});

describe('root causes in the reason', () => {
  const pack = (name: string, extra: string, manifests: string) => `    - name: ${name}
      layer: addon
      version: 1.0.0
      type: manifest
      namespace: ${name}
${extra}      manifests:
${manifests}`;
  const deployment = (name: string, podSpec: string, annotations = '{}') => `        - apiVersion: apps/v1
          kind: Deployment
          metadata: { name: ${name} }
          spec:
            replicas: 1
            selector: { matchLabels: { app: ${name} } }
            template:
              metadata: { labels: { app: ${name} }, annotations: ${annotations} }
              spec: { ${podSpec}containers: [{ name: main, image: "registry.local/${name}:1" }] }`;
  const packs = [
    pack(
      'quota',
      '',
      `        - apiVersion: v1
          kind: ResourceQuota
          metadata: { name: no-pods }
          spec: { hard: { pods: "0" } }
${deployment('web', '')}`,
    ),
    pack(
      'nosa',
      '',
      `        - apiVersion: batch/v1
          kind: Job
          metadata: { name: migrate }
          spec:
            backoffLimit: 0
            template:
              spec:
                serviceAccountName: missing
                restartPolicy: Never
                containers: [{ name: main, image: "registry.local/migrate:1" }]`,
    ),
    pack('probe', '', deployment('web', '', '{ testenv.strata.dev/behavior: never-ready }')),
    pack('nowhere', '      timeout: 6s\n', deployment('web', 'nodeSelector: { disktype: ssd }, ')),
  ].join('\n');

  it('names FailedCreate, a missing ServiceAccount, a failing probe and the scheduler', async () => {
    const { runner, log } = await startRunner(cp.kubeconfig, 'causes');
    const message = (name: string) => log.latest().get(name)?.message ?? '';
    try {
      runner.setDesired(desiredOrThrow(await loadProfile('causes', '1.0.0', packs), { cluster: 'causes' }));

      // The ReplicaSet controller's FailedCreate (or the Deployment's ReplicaFailure quoting it).
      await log.until((l) => /exceeded quota: no-pods/.test(l.latest().get('quota')?.message ?? ''), {
        timeoutMs: 60_000,
        what: 'quota pack names the quota',
      });
      expect(log.phases().quota).toBe(PackPhase.Processing);
      expect(message('quota')).toContain('Deployment quota/web');

      // A Job has no condition for it: only the Job controller's event says why no pod exists.
      await log.until(
        (l) => /serviceaccount "missing" not found/.test(l.latest().get('nosa')?.message ?? ''),
        {
          timeoutMs: 60_000,
          what: 'job pack names the missing ServiceAccount',
        },
      );
      expect(message('nosa')).toMatch(
        /^0\/1 resources ready; waiting for Job nosa\/migrate: .*; Job nosa\/migrate: FailedCreate: /,
      );

      // kwok has no kubelet: the test writes the event a kubelet would, about the unready pod.
      await log.until(
        (l) => /running but not ready|0\/1 available/.test(l.latest().get('probe')?.message ?? ''),
        {
          timeoutMs: 60_000,
          what: 'probe pack waiting for its pod',
        },
      );
      const pods = await core.listNamespacedPod({ namespace: 'probe', labelSelector: 'app=web' });
      const pod = pods.items[0];
      if (pod?.metadata?.name === undefined) throw new Error('no pod of probe/web');
      await core.createNamespacedEvent({
        namespace: 'probe',
        body: {
          metadata: { name: `${pod.metadata.name}.probe`, namespace: 'probe' },
          type: 'Warning',
          reason: 'Unhealthy',
          message: 'Readiness probe failed: HTTP probe failed with statuscode: 503',
          involvedObject: {
            apiVersion: 'v1',
            kind: 'Pod',
            namespace: 'probe',
            name: pod.metadata.name,
            uid: pod.metadata.uid,
          },
          source: { component: 'kubelet' },
          count: 1,
        },
      });
      await log.until(
        (l) => (l.latest().get('probe')?.message ?? '').includes('Unhealthy: Readiness probe failed'),
        {
          timeoutMs: 30_000,
          what: 'probe pack names the probe failure',
        },
      );
      expect(message('probe')).toContain(
        `Pod probe/${pod.metadata.name}: Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 503`,
      );

      // The timeout reason names what the pod last reported: the scheduler's message.
      await log.until((l) => l.phases().nowhere === PackPhase.Failed, {
        timeoutMs: 60_000,
        what: 'nowhere red',
      });
      expect(message('nowhere')).toMatch(/timed out after 6s/);
      expect(message('nowhere')).toMatch(
        /Deployment nowhere\/web: 0\/1 available; Pod nowhere\/web-[a-z0-9]+-[a-z0-9]+: Unschedulable: 0\/1 nodes are available: 1 node\(s\) didn't match Pod's node affinity\/selector/,
      );
    } finally {
      runner.stop();
    }
  });
});
