import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predecessors } from '../profile/index.js';
import { PackPhase } from '../status/index.js';
import { down, up, type ControlPlaneState } from '../../testenv/src/controlplane.js';
import type { ClusterRunner } from './runner.js';
import { desiredOrThrow, loadExamples, startRunner, type EventLog } from './testing/runner.js';

const CP = 'engine-it';
let cp: ControlPlaneState;

beforeAll(async () => {
  await down({ name: CP });
  cp = await up({ name: CP, nodes: 3 });
});

afterAll(async () => {
  await down({ name: CP });
});

const examples = ['infra.yaml', 'monitoring.yaml', 'platform-tools.yaml'];
const values = { monitoring: { adminPassword: 'correct-horse-battery' } };

describe('installing the example profiles', () => {
  let runner: ClusterRunner;
  let log: EventLog;

  afterAll(() => {
    runner.stop();
  });

  it('takes every pack gray → blue → green, wave by wave', async () => {
    ({ runner, log } = await startRunner(cp.kubeconfig, 'examples'));
    const desired = desiredOrThrow(await loadExamples(examples), { cluster: 'examples', values });
    runner.setDesired(desired);
    const names = desired.map((d) => d.pack.name);
    await log.until((l) => l.allGreen(names), { timeoutMs: 120_000, what: 'all example packs green' });

    const latest = log.latest();
    for (const d of desired) {
      const status = latest.get(d.pack.name);
      expect(status?.progress.ready, d.pack.name).toBe(status?.progress.total);
      expect(status?.progress.total, d.pack.name).toBeGreaterThan(0);
      // Every pack went through blue before green.
      expect(
        status?.transitions.map((t) => t.to),
        d.pack.name,
      ).toContain(PackPhase.Processing);
    }
    // A pack started only after every pack it waits for was green: the earlier waves of its own add-on profile,
    // the infra layers and its dependsOn, directly or through others (add-on profiles do not wait for each other).
    const direct = predecessors(
      desired.map((d) => ({
        name: d.pack.name,
        layer: d.pack.layer,
        profile: d.profile.name,
        wave: d.wave,
        dependsOn: d.pack.dependsOn,
      })),
    );
    const waitsFor = (name: string): string[] =>
      (direct.get(name) ?? []).flatMap((before) => [before, ...waitsFor(before)]);
    expect(waitsFor('alert-relay')).toEqual(
      expect.arrayContaining(['dashboards', 'metrics-store', 'sim-csi']),
    );
    expect(waitsFor('echo')).not.toContain('metrics-store');
    for (const later of desired) {
      const started = latest.get(later.pack.name)?.startTime ?? '';
      for (const earlier of new Set(waitsFor(later.pack.name))) {
        const ended = latest.get(earlier)?.endTime ?? '';
        expect(
          started >= ended,
          `${later.pack.name} (wave ${later.wave}) started ${started}, before ${earlier} ended ${ended}`,
        ).toBe(true);
      }
    }
  });
});
