// The stored rendering outlives the process (ADR 0007): a runner that removes a pack before installing it
// again (a restarted hub, the profile detached meanwhile) still runs the chart's delete hooks, which only the
// rendering knows.
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIssues, loadProfileFiles } from '../profile/index.js';
import { PackPhase } from '../status/index.js';
import { down, up, type ControlPlaneState } from '../../testenv/src/controlplane.js';
import type { DesiredPack } from './desired.js';
import { MemoryRenderCache } from './render-cache.js';
import { desiredOrThrow, startRunner } from './testing/runner.js';

const CP = 'engine-render-cache-it';
const CLUSTER = 'render-cache';
const dir = mkdtempSync(join(tmpdir(), 'strata-render-cache-'));
cpSync(join(import.meta.dirname, 'conformance', 'charts'), join(dir, 'charts'), { recursive: true });
let cp: ControlPlaneState;

beforeAll(async () => {
  await down({ name: CP });
  cp = await up({ name: CP, nodes: 1 });
});

afterAll(async () => {
  await down({ name: CP });
});

async function hooksProfile(namespace = 'restart-hooks'): Promise<DesiredPack[]> {
  const file = join(dir, 'hooks.yaml');
  writeFileSync(
    file,
    [
      'apiVersion: strata.dev/v1alpha1',
      'kind: ClusterProfile',
      'metadata: { name: hooks }',
      'spec:',
      '  version: 1.0.0',
      '  type: add-on',
      '  packs:',
      `    - { name: hooks, layer: addon, version: 0.1.0, type: helm, releaseName: conf, chart: { path: charts/hooks }, namespace: ${namespace}, timeout: 90s }`,
      '',
    ].join('\n'),
  );
  const loaded = await loadProfileFiles([file]);
  if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
  return desiredOrThrow(loaded.value, { cluster: CLUSTER });
}

describe('a stored rendering after a restart', () => {
  it('runs the delete hooks of a pack removed before it installed again', async () => {
    const cache = new MemoryRenderCache();
    const desired = await hooksProfile();
    const first = await startRunner(cp.kubeconfig, CLUSTER, { renderCache: cache });
    first.runner.setDesired(desired);
    await first.log.until((l) => l.latest().get('hooks')?.phase === PackPhase.Success, {
      timeoutMs: 120_000,
      what: 'hooks green',
    });
    first.runner.stop();
    await first.kube.close();
    expect(await cache.get('hooks')).toBeDefined();

    // The restarted runner is told of the pack and, before it starts installing it, that it is gone.
    const second = await startRunner(cp.kubeconfig, CLUSTER, { renderCache: cache });
    second.runner.setDesired(desired);
    second.runner.setDesired([]);
    await second.log.until((l) => l.events.some((e) => e.type === 'PackRemoved' && e.pack === 'hooks'), {
      timeoutMs: 120_000,
      what: 'hooks removed',
    });
    second.runner.stop();
    await second.kube.close();

    // Its post-delete hook ran (it was observed Ready), and the uninstalled pack's rendering is forgotten.
    const ran = second.log.events.some(
      (e) =>
        e.type === 'PackStatusChanged' &&
        e.pack === 'hooks' &&
        e.status.resources.some((r) => r.ref.name === 'post-delete-marker' && r.evaluation.state === 'Ready'),
    );
    expect(ran).toBe(true);
    expect(await cache.get('hooks')).toBeUndefined();
  }, 300_000);
  it('runs no hook when a restarted runner re-applies the revision a green pack already has', async () => {
    const cache = new MemoryRenderCache();
    const desired = await hooksProfile('resync-hooks');
    const first = await startRunner(cp.kubeconfig, CLUSTER, { renderCache: cache });
    first.runner.setDesired(desired);
    await first.log.until((l) => l.latest().get('hooks')?.phase === PackPhase.Success, {
      timeoutMs: 120_000,
      what: 'hooks green',
    });
    const green = first.log.latest().get('hooks');
    if (green === undefined) throw new Error('no status');
    expect(green.resources.some((r) => r.hook === true)).toBe(true);
    first.runner.stop();
    await first.kube.close();

    // Restarted with the stored status, as the hub does: the same revision is re-applied quietly, without its
    // hooks (the chart's post-upgrade ConfigMap, kept by its default policy, would otherwise appear).
    const second = await startRunner(cp.kubeconfig, CLUSTER, {
      renderCache: cache,
      initial: new Map([['hooks', green]]),
    });
    second.runner.setDesired(desired);
    await second.log.until(
      (l) => {
        const status = l.latest().get('hooks');
        return (
          status !== undefined &&
          status.resources.length > 0 &&
          status.resources.every((r) => r.hook !== true)
        );
      },
      { timeoutMs: 120_000, what: 'the re-applied pack without hooks' },
    );
    const note = await second.kube.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'resync-hooks',
      name: 'post-upgrade-note',
    });
    expect(note).toBeUndefined();
    expect(second.log.latest().get('hooks')?.phase).toBe(PackPhase.Success);
    second.runner.stop();
    await second.kube.close();
  }, 300_000);
});
