// Issue 15, "Linear cost": the events a profile install emits grow with packs × transitions, not with the
// square of a wave's size. Every PackStatusChanged is a store write and an SSE event at the hub, so a gray pack
// re-announced on each phase change of every pack before it made 6,280 of 7,376 events at 200 packs.
import { afterEach, describe, expect, it } from 'vitest';
import { FakeKube } from '../kube/testing/fake-kube.js';
import { configMap, wavedPacks } from './testing/waved-packs.js';
import { ClusterRunner } from './runner.js';
import { EventLog } from './testing/runner.js';

const runners: ClusterRunner[] = [];
afterEach(() => {
  for (const r of runners.splice(0)) r.stop();
});

/** Installs `packs` packs in `waves` waves on the fake kube; the status events it took. */
async function statusEvents(packs: number, waves: number): Promise<number> {
  const kube = new FakeKube({ listWatch: { backoff: { initialMs: 1, maxMs: 8 } } });
  const log = new EventLog();
  const runner = new ClusterRunner({
    cluster: 'unit',
    kube,
    helmBin: '/nonexistent/helm: manifest packs only',
    onEvent: log.push,
    retry: { initialMs: 1, maxMs: 8 },
  });
  runners.push(runner);
  await runner.start();
  const desired = wavedPacks(packs, waves);
  runner.setDesired(desired);
  await log.until((l) => l.allGreen(desired.map((d) => d.pack.name)), {
    timeoutMs: 20_000,
    what: `${packs} packs green`,
  });
  return log.events.filter((e) => e.type === 'PackStatusChanged').length;
}

describe('ClusterRunner: status events per install', () => {
  it('names a large wave it waits for as the wave and its phases, not pack by pack', async () => {
    const kube = new FakeKube({ listWatch: { backoff: { initialMs: 1, maxMs: 8 } } });
    const log = new EventLog();
    const runner = new ClusterRunner({ cluster: 'unit', kube, helmBin: '/nonexistent', onEvent: log.push });
    runners.push(runner);
    await runner.start();
    // Wave 1: five packs, one of which (a Job: no controller on the fake kube completes it) stays blue.
    const desired = wavedPacks(10, 2, (name) =>
      name === 'pack-0000'
        ? {
            apiVersion: 'batch/v1',
            kind: 'Job',
            metadata: { name },
            spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'x', image: 'x' }] } } },
          }
        : configMap(name),
    );
    runner.setDesired(desired);
    const wave1 = desired.filter((d) => d.wave === 1).map((d) => d.pack.name);
    await log.until((l) => l.allGreen(wave1.slice(1)), { timeoutMs: 5000, what: 'wave 1 but one green' });
    await log.until(
      (l) => l.latest().get('pack-0009')?.message === 'waiting for: apps/pack-0000 (processing)',
      {
        timeoutMs: 5000,
        what: 'the last pack naming the one it still waits for',
      },
    );
    const messages = log.events.flatMap((e) =>
      e.type === 'PackStatusChanged' && e.pack === 'pack-0009' ? [e.status.message] : [],
    );
    // Gray while wave 1 installs: summed up while more than three packs remain, then named one by one.
    expect(messages[0]).toMatch(/^waiting for: more than 3 packs of wave 1 \((onboarding|processing)/);
    expect(new Set(messages).size).toBeLessThanOrEqual(6);
  });

  it('shows the packs waiting for a wave the phase its start gave it, in the same turn', async () => {
    // The schedule looks only at what changed (schedule.ts); the start of wave 2 changes its packs' phases as
    // the steps are carried out, and the packs of wave 3 must still say so (on the fake kube, wave 2 is green
    // by the next turn: a stage built before the starts would show it onboarding until wave 3 starts).
    const kube = new FakeKube({ listWatch: { backoff: { initialMs: 1, maxMs: 8 } } });
    const log = new EventLog();
    const runner = new ClusterRunner({ cluster: 'unit', kube, helmBin: '/nonexistent', onEvent: log.push });
    runners.push(runner);
    await runner.start();
    const desired = wavedPacks(15, 3);
    runner.setDesired(desired);
    await log.until((l) => l.allGreen(desired.map((d) => d.pack.name)), {
      timeoutMs: 5000,
      what: 'all green',
    });
    const messages = log.events.flatMap((e) =>
      e.type === 'PackStatusChanged' && e.pack === 'pack-0014' ? [e.status.message] : [],
    );
    expect(messages).toContain('waiting for: more than 3 packs of wave 2 (processing)');
  });

  it('emits a bounded number of status events per pack, whatever the size of its wave', async () => {
    const small = await statusEvents(40, 5);
    const large = await statusEvents(200, 5);
    // Before: 12 events per pack at 40 packs, 37.6 at 200 (each gray pack re-announced per phase change of
    // every pack of the wave before it). Now about 9 at both sizes.
    expect(large / 200).toBeLessThanOrEqual(12);
    expect(large / 200).toBeLessThanOrEqual((small / 40) * 1.1);
  }, 60_000);
});
