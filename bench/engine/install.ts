// Scenario 2: install overhead of a 20-pack profile in 5 waves, against the time the cluster itself needed.
import { performance } from 'node:perf_hooks';
import { DriftPolicy } from '../../src/engine/events.js';
import { Label } from '../../src/engine/render.js';
import { PackPhase, ResourceState } from '../../src/status/index.js';
import { Harness } from './harness.js';
import { benchProfile, type BenchPack } from './profile.js';

const CLUSTER = 'bench-install';
const NAMESPACE = 'bench-install';
const WAVES = 5;
const PACKS_PER_WAVE = 4;
const READY_AFTER = '3s';

/**
 * Per wave (times are performance.now() ms):
 * - appliedStart / applied: the first of the wave's objects sent / the last one's server-side apply returned
 *   (the engine has handed the whole wave to the cluster);
 * - ready: the last of the wave's resources became Ready, taken as the arrival (parsed off the watch stream)
 *   of the watch event during whose handling the last of the wave's packs first had every resource Ready;
 * - green: the last of the wave's packs emitted phase success.
 * readiness(w) = ready − applied: the time the cluster (controllers, scheduler, kwok, the pods' ready-after
 * delay) needed for what the engine had applied. wall = setDesired() called → last pack green.
 * overhead = wall − Σ readiness(w): the engine's own time, i.e. start → first apply, each wave's apply span,
 * the last resource Ready → its pack green, and green → the next wave's first apply.
 */
export interface Wave {
  readonly wave: number;
  readonly packs: readonly string[];
  readonly appliedStart: number;
  readonly applied: number;
  readonly ready: number;
  readonly green: number;
}

export interface InstallResult {
  readonly packs: number;
  readonly start: number;
  readonly end: number;
  readonly waves: readonly Wave[];
}

export async function measureInstall(kubeconfig: string, dir: string, log: (s: string) => void) {
  const packs: BenchPack[] = [];
  for (let w = 0; w < WAVES; w++) {
    for (let j = 0; j < PACKS_PER_WAVE; j++) {
      packs.push({
        name: `w${w + 1}-p${j + 1}`,
        priority: w * 10,
        configMaps: 1,
        deployment: { replicas: 2, readyAfter: READY_AFTER },
      });
    }
  }
  const desired = await benchProfile({
    dir,
    name: 'bench-install',
    cluster: CLUSTER,
    namespace: NAMESPACE,
    packs,
  });
  const waveOf = new Map(desired.map((d) => [d.pack.name, d.wave]));
  const waveNumbers = [...new Set(waveOf.values())].sort((a, b) => a - b);
  if (waveNumbers.length !== WAVES)
    throw new Error(`expected ${WAVES} waves, the plan has ${waveNumbers.length}`);

  const h = new Harness(kubeconfig, CLUSTER, DriftPolicy.Correct);
  const readyAt = new Map<string, number>();
  const greenAt = new Map<string, number>();
  const off = h.listen((e) => {
    if (e.event.type !== 'PackStatusChanged') return;
    const { pack, status } = e.event;
    if (
      !readyAt.has(pack) &&
      status.resources.length > 0 &&
      status.resources.every((r) => r.evaluation.state === ResourceState.Ready)
    )
      readyAt.set(pack, e.during ? (e.during.wireAt ?? e.during.handlerAt) : e.at);
    if (!greenAt.has(pack) && status.phase === PackPhase.Success) greenAt.set(pack, e.at);
  });
  try {
    await h.runner.start();
    log(`installing ${packs.length} packs in ${WAVES} waves (Deployments ready after ${READY_AFTER})…`);
    const start = performance.now();
    h.runner.setDesired(desired);
    await h.untilGreen(
      packs.map((p) => p.name),
      300_000,
    );
    const end = performance.now();
    off();
    const waves: Wave[] = waveNumbers.map((wave) => {
      const names = desired.filter((d) => d.wave === wave).map((d) => d.pack.name);
      const applies = h.probe.applies.filter((a) => {
        const pack = a.object.metadata?.labels?.[Label.Pack];
        return pack !== undefined && names.includes(pack);
      });
      const at = (m: Map<string, number>) => Math.max(...names.map((n) => m.get(n) ?? Number.NaN));
      return {
        wave,
        packs: names,
        appliedStart: Math.min(...applies.map((a) => a.startedAt)),
        applied: Math.max(...applies.map((a) => a.doneAt)),
        ready: at(readyAt),
        green: at(greenAt),
      };
    });
    return { packs: packs.length, start, end, waves } satisfies InstallResult;
  } finally {
    await h.stop();
  }
}
