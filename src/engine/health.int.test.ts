import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, KubeConfig, type KubernetesObject, type V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, type ListWatchOptions, type WatchHandler, type WatchQuery } from '../kube/index.js';
import { formatIssues, loadProfileFiles } from '../profile/index.js';
import { PackPhase } from '../status/index.js';
import { down, up, type ControlPlaneState } from '../../testenv/src/controlplane.js';
import { desiredOrThrow, startRunner } from './testing.js';

// The truth of a pack's colour while its objects change under it (pack-status.md, ADR 0004, ADR 0006), on a
// real control plane.
const CP = 'engine-health-it';
let cp: ControlPlaneState;
let apps: AppsV1Api;
const dir = mkdtempSync(join(tmpdir(), 'strata-health-'));

beforeAll(async () => {
  await down({ name: CP });
  cp = await up({ name: CP, nodes: 1 });
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfig);
  apps = kc.makeApiClient(AppsV1Api);
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
