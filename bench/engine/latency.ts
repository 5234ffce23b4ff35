// Scenario 1: status latency with ~2,000 watched objects.
import { performance } from 'node:perf_hooks';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import type { KubernetesObject, V1ConfigMap } from '@kubernetes/client-node';
import { DriftPolicy } from '../../src/engine/events.js';
import { FIELD_MANAGER } from '../../src/engine/drift.js';
import { PackPhase, ResourceState, type PackStatus } from '../../src/status/index.js';
import type { Arrival } from './probe.js';
import { Harness, type Emission } from './harness.js';
import { benchProfile, configMapName, type BenchPack } from './profile.js';

const CLUSTER = 'bench-status';
const NAMESPACE = 'bench-status';
const PACKS = 20;
const CONFIGMAPS_PER_PACK = 100;
const DEPLOYMENT_PACKS = 4;
const CONFIGMAP_CYCLES = 150; // delete + re-create: 2 samples each
const SCALE_CYCLES = 12; // scale up + back down on each of the Deployments in turn

/** One colour change and what caused it. All times are performance.now() milliseconds. */
export interface Sample {
  readonly source: 'configmap' | 'deployment';
  /** The watch event's arrival (parsed off the stream) → PackStatusChanged emitted. */
  readonly fromWire: number;
  /** The ListWatch calling the runner's handler → PackStatusChanged emitted. */
  readonly fromHandler: number;
  /** Our API call issued → PackStatusChanged emitted (first colour change after the call only). */
  readonly endToEnd: number | undefined;
}

export interface LatencyResult {
  readonly objects: number;
  readonly installMs: number;
  readonly statusEventsDuringInstall: number;
  /** Of those, events that only turned one resource from Missing (not yet observed) to Missing (not found). */
  readonly missingToMissing: number;
  /** Of those, events that changed a pack's phase. */
  readonly phaseChanges: number;
  /** Before the profile was loaded and the runner started (after a GC when available). */
  readonly baseline: NodeJS.MemoryUsage;
  readonly memory: NodeJS.MemoryUsage;
  readonly memoryAfterGc: NodeJS.MemoryUsage | undefined;
  readonly samples: Sample[];
  /** Colour changes emitted while no watch handler was running (not attributable to a watch event). */
  readonly unattributed: number;
  readonly handled: ReadonlyMap<string, { calls: number; totalMs: number; maxMs: number }>;
}

function gcNow(): boolean {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    return true;
  } catch {
    return false;
  }
}

const resourceOf = (status: PackStatus, kind: string, name: string) =>
  status.resources.find((r) => r.ref.kind === kind && r.ref.name === name);

export async function measureLatency(kubeconfig: string, dir: string, log: (s: string) => void) {
  const packs: BenchPack[] = Array.from({ length: PACKS }, (_, i) => ({
    name: `cm-${String(i).padStart(2, '0')}`,
    priority: 0,
    configMaps: CONFIGMAPS_PER_PACK,
    ...(i < DEPLOYMENT_PACKS ? { deployment: { replicas: 2 } } : {}),
  }));
  const names = packs.map((p) => p.name);
  gcNow();
  const baseline = process.memoryUsage();
  const desired = await benchProfile({
    dir,
    name: 'bench-status',
    cluster: CLUSTER,
    namespace: NAMESPACE,
    packs,
  });
  const objects = packs.reduce((n, p) => n + p.configMaps + (p.deployment ? 1 : 0), 0);

  // 'report': a deleted object stays deleted, so each change is one clean colour change and nothing re-applies.
  const h = new Harness(kubeconfig, CLUSTER, DriftPolicy.Report);
  try {
    await h.runner.start();
    log(`installing ${PACKS} packs, ${objects} objects…`);
    let phaseChanges = 0;
    const phaseOf = new Map<string, PackPhase>();
    const countPhases = h.listen((e) => {
      if (e.event.type !== 'PackStatusChanged') return;
      if (phaseOf.get(e.event.pack) !== e.event.status.phase) phaseChanges++;
      phaseOf.set(e.event.pack, e.event.status.phase);
    });
    const t0 = performance.now();
    h.runner.setDesired(desired);
    await h.untilGreen(names, 300_000);
    const installMs = performance.now() - t0;
    countPhases();
    const statusEventsDuringInstall = h.counts.statusEvents;
    const missingToMissing = h.counts.missingToMissing;
    log(`installed in ${(installMs / 1000).toFixed(1)} s (${statusEventsDuringInstall} status events)`);
    const memory = process.memoryUsage();
    const memoryAfterGc = gcNow() ? process.memoryUsage() : undefined;

    const samples: Sample[] = [];
    let unattributed = 0;

    // ConfigMaps: delete (green → blue, Missing) then re-create as the runner applied it (blue → green).
    for (let i = 0; i < CONFIGMAP_CYCLES; i++) {
      const pack = names[i % PACKS] ?? '';
      const name = configMapName(pack, (i * 37) % CONFIGMAPS_PER_PACK);
      const ref = { apiVersion: 'v1', kind: 'ConfigMap', name, namespace: NAMESPACE };
      const live = await h.kube.get<V1ConfigMap>(ref);
      if (!live) throw new Error(`ConfigMap ${NAMESPACE}/${name} missing before cycle ${i}`);
      const recreate: KubernetesObject & { data?: Record<string, string> } = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: NAMESPACE, labels: live.metadata?.labels ?? {} },
        ...(live.data ? { data: live.data } : {}),
      };
      for (const step of ['delete', 'create'] as const) {
        let arrival: Arrival | undefined;
        h.probe.onArrival = (a) => {
          if (a.kind === 'ConfigMap' && a.key === `${NAMESPACE}/${name}`)
            if ((step === 'delete') === (a.type === 'DELETED')) arrival ??= a;
        };
        const want = step === 'delete' ? ResourceState.Missing : ResourceState.Ready;
        const wantPhase = step === 'delete' ? PackPhase.Processing : PackPhase.Success;
        const emitted = h.next(
          (e) =>
            e.event.type === 'PackStatusChanged' &&
            e.event.pack === pack &&
            resourceOf(e.event.status, 'ConfigMap', name)?.evaluation.state === want,
          { timeoutMs: 10_000, what: `${pack}: ConfigMap ${name} ${want}` },
        );
        const calledAt = performance.now();
        if (step === 'delete') await h.kube.delete(ref);
        else await h.kube.apply(recreate, { fieldManager: FIELD_MANAGER, force: false });
        const e = await emitted;
        h.probe.onArrival = undefined;
        if (!arrival) throw new Error(`no watch event seen for ConfigMap ${name} (${step})`);
        if (e.event.type !== 'PackStatusChanged' || e.event.status.phase !== wantPhase)
          throw new Error(`${pack} did not turn ${wantPhase} after ${step} of ${name}`);
        samples.push({
          source: 'configmap',
          fromWire: e.at - (arrival.wireAt ?? arrival.handlerAt),
          fromHandler: e.at - arrival.handlerAt,
          endToEnd: e.at - calledAt,
        });
      }
    }
    log(`configmap samples: ${samples.length}`);

    // Deployments: scale 2 → 3 → 2. Each scale turns the pack blue (generation not yet observed, or a pod not
    // ready yet) and back to green; every colour change is attributed to the watch event being handled when
    // the runner emitted it (the runner emits synchronously inside its watch handler).
    for (let i = 0; i < SCALE_CYCLES * 2; i++) {
      const pack = names[Math.floor(i / 2) % DEPLOYMENT_PACKS] ?? '';
      const replicas = i % 2 === 0 ? 3 : 2;
      let previous = h.latest.get(pack)?.phase;
      let first = true;
      let sawBlue = false;
      const calledAt = performance.now();
      const off = h.listen((e: Emission) => {
        if (e.event.type !== 'PackStatusChanged' || e.event.pack !== pack) return;
        const phase = e.event.status.phase;
        if (phase === previous) return;
        previous = phase;
        if (phase === PackPhase.Processing) sawBlue = true;
        if (!e.during) {
          unattributed++;
          return;
        }
        samples.push({
          source: 'deployment',
          fromWire: e.at - (e.during.wireAt ?? e.during.handlerAt),
          fromHandler: e.at - e.during.handlerAt,
          endToEnd: first ? e.at - calledAt : undefined,
        });
        first = false;
      });
      const done = h.next(
        (e) =>
          sawBlue &&
          e.event.type === 'PackStatusChanged' &&
          e.event.pack === pack &&
          e.event.status.phase === PackPhase.Success,
        { timeoutMs: 30_000, what: `${pack} green after scaling to ${replicas}` },
      );
      await h.kube.apply(
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: pack, namespace: NAMESPACE },
          spec: { replicas },
        },
        { fieldManager: 'bench-scale', force: true },
      );
      await done;
      off();
    }
    log(`all samples: ${samples.length}`);
    return {
      objects,
      installMs,
      statusEventsDuringInstall,
      missingToMissing,
      phaseChanges,
      baseline,
      memory,
      memoryAfterGc,
      samples,
      unattributed,
      handled: new Map(h.probe.handled),
    } satisfies LatencyResult;
  } finally {
    await h.stop();
  }
}
