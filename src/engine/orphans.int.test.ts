import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PackOperation, PackPhase, ResourceState, type PackStatus } from '../status/index.js';
import { down, up, type ControlPlaneState } from '../../testenv/src/controlplane.js';
import { Label } from './render.js';
import { deploymentProfile, desiredOrThrow, startRunner } from './testing/runner.js';

const CP = 'engine-orphans-it';
const CLUSTER = 'orphans';
let cp: ControlPlaneState;
let apps: AppsV1Api;
const dir = mkdtempSync(join(tmpdir(), 'strata-orphans-'));

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

/** The Deployments labelled as `pack`'s, found by label as an operator would, not by the name the test knows. */
const labelled = async (namespace: string, pack: string) =>
  (
    await apps.listNamespacedDeployment({
      namespace,
      labelSelector: `${Label.Cluster}=${CLUSTER},${Label.Pack}=${pack}`,
    })
  ).items.map((d) => d.metadata?.name);

describe('packs left behind by a hub killed while removing them', () => {
  it('a restarted runner removes stored packs nobody wants, last started first, and leaves the others alone', async () => {
    const kept = await deploymentProfile(dir, {
      name: 'kept',
      version: '1.0.0',
      namespace: 'kept',
      packs: [{ name: 'stay' }],
    });
    const detached = await deploymentProfile(dir, {
      name: 'detached',
      version: '1.0.0',
      namespace: 'detached',
      packs: [{ name: 'first' }, { name: 'second', priority: 10 }],
    });

    // Runner A installs both profiles, then stops without uninstalling anything: the hub killed mid-detach.
    const a = await startRunner(cp.kubeconfig, CLUSTER);
    let stored: Map<string, PackStatus>;
    try {
      a.runner.setDesired(desiredOrThrow([...kept, ...detached], { cluster: CLUSTER }));
      await a.log.until((l) => l.allGreen(['stay', 'first', 'second']), {
        timeoutMs: 60_000,
        what: 'all three green',
      });
      stored = a.log.latest();
    } finally {
      a.runner.stop();
    }
    const stay = await apps.readNamespacedDeployment({ name: 'stay', namespace: 'kept' });
    expect(await labelled('detached', 'first')).toEqual(['first']);
    expect(await labelled('detached', 'second')).toEqual(['second']);

    // One stored resource of a kind the server does not serve (its CRD went meanwhile): nothing left of it.
    const second = stored.get('second');
    if (!second) throw new Error('no stored status for pack second');
    const unserved = { apiVersion: 'gone.example.com/v1', kind: 'Widget', name: 'w', namespace: 'detached' };
    stored.set('second', {
      ...second,
      resources: [
        { ref: unserved, evaluation: { state: ResourceState.Ready, reason: 'Ready', message: '' } },
        ...second.resources,
      ],
    });

    // Runner B restarts from the store with only the profile still attached.
    const b = await startRunner(cp.kubeconfig, CLUSTER, { initial: stored });
    try {
      b.runner.setDesired(desiredOrThrow(kept, { cluster: CLUSTER }));
      const removed = () => b.log.events.flatMap((e) => (e.type === 'PackRemoved' ? [e.pack] : []));
      await b.log.until(() => removed().length >= 2, { timeoutMs: 60_000, what: 'first and second removed' });
      expect(removed()).toEqual(['second', 'first']);
      expect(await labelled('detached', 'first')).toEqual([]);
      expect(await labelled('detached', 'second')).toEqual([]);

      // Each went through a visible uninstall that says its delete hooks could not run, its history continued.
      for (const pack of ['first', 'second']) {
        const statuses = b.log.events.flatMap((e) =>
          e.type === 'PackStatusChanged' && e.pack === pack ? [e.status] : [],
        );
        const uninstalling = statuses.find((s) => s.operation === PackOperation.Uninstall);
        expect(uninstalling?.message).toContain("delete hooks not run: the pack's rendering is gone");
        const transitions = statuses.at(-1)?.transitions ?? [];
        expect(transitions.slice(0, stored.get(pack)?.transitions.length)).toEqual(
          stored.get(pack)?.transitions,
        );
        expect(transitions.at(-1)).toMatchObject({ from: PackPhase.Success, to: PackPhase.Processing });
      }

      // The pack still attached stays green throughout and its Deployment is not touched.
      await b.log.until((l) => l.allGreen(['stay']), { timeoutMs: 30_000, what: 'stay green' });
      const stayPhases = b.log.events.flatMap((e) =>
        e.type === 'PackStatusChanged' && e.pack === 'stay' ? [e.status.phase] : [],
      );
      expect(new Set(stayPhases)).toEqual(new Set([PackPhase.Success]));
      expect(b.log.events.some((e) => e.type === 'PackRemoved' && e.pack === 'stay')).toBe(false);
      const stayAfter = await apps.readNamespacedDeployment({ name: 'stay', namespace: 'kept' });
      expect(stayAfter.metadata?.generation).toBe(stay.metadata?.generation);
      expect(b.runner.statuses().map((s) => s.pack)).toEqual(['stay']);

      // Attached again in the same process: a new life, not the stored status (its transitions were stored
      // already; taking them again stored each one twice).
      const mark = b.log.events.length;
      b.runner.setDesired(desiredOrThrow([...kept, ...detached], { cluster: CLUSTER }));
      await b.log.until((l) => l.allGreen(['stay', 'first', 'second']), {
        timeoutMs: 60_000,
        what: 'first and second installed again',
      });
      const again = b.log.events
        .slice(mark)
        .find((e) => e.type === 'PackStatusChanged' && e.pack === 'first');
      const newLife = again?.type === 'PackStatusChanged' ? again.status.transitions : [];
      expect(newLife.length).toBeGreaterThan(0);
      const storedKeys = new Set(stored.get('first')?.transitions.map((t) => `${t.time} ${t.from}→${t.to}`));
      expect(newLife.filter((t) => storedKeys.has(`${t.time} ${t.from}→${t.to}`))).toEqual([]);
      expect(await labelled('detached', 'first')).toEqual(['first']);
      stored = b.log.latest();
    } finally {
      b.runner.stop();
    }

    // Runner C restarts with every pack attached, and the profile is detached before its packs render again
    // (nothing in memory but the stored status): its objects go all the same.
    const c = await startRunner(cp.kubeconfig, CLUSTER, { initial: stored });
    try {
      c.runner.setDesired(desiredOrThrow([...kept, ...detached], { cluster: CLUSTER }));
      c.runner.setDesired(desiredOrThrow(kept, { cluster: CLUSTER }));
      const removed = () => c.log.events.flatMap((e) => (e.type === 'PackRemoved' ? [e.pack] : []));
      await c.log.until(() => removed().length >= 2, { timeoutMs: 60_000, what: 'first and second removed' });
      expect(await labelled('detached', 'first')).toEqual([]);
      expect(await labelled('detached', 'second')).toEqual([]);
    } finally {
      c.runner.stop();
    }
  });
});
