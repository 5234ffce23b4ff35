// A hub process at scale (issue 15, items 2 and 4), all through a compiled `strata serve` (as bin/strata runs
// it) on SQLite, with one kwok control plane behind it:
//  1. P1, watch → SSE: a ConfigMap of a pack is deleted through the Kubernetes API; measured from that call to
//     the pack's status event (not green) arriving at an SSE client in this process. The hub corrects the drift,
//     so each cycle ends with the pack green again.
//  2. Fan-out: the same cycles with `--clients` SSE clients in `--client-procs` other processes; measured from
//     the delete call to each client's receipt of each of the cycle's events (so it includes P1's path).
//  3. Memory and idle CPU with 1k / 10k / 50k watched objects: packs of ConfigMaps attached in steps; per step
//     RSS sampled every 100 ms during the install (peak), RSS once it stops dropping (at rest), and the hub's
//     CPU over a quiet spell (idle), then RSS after a forced full GC (what the hub holds). Per object: the slope
//     from the first step (RSS difference / objects added). With `--clusters N` the objects are spread over N
//     registered clusters (the issue's "50,000 objects across clusters"): N cluster entries on the one control
//     plane, each watching the objects carrying its own cluster label, so each has its own watches and caches
//     as N real clusters would; the first is P1's.
// Prints BENCH_RESULT lines (bench/result.ts); asserts nothing.
//
//   npx tsx bench/hub-scale.bench.ts [--clients 10000] [--client-procs 4] [--cycles 20]
//     [--objects 1000,10000,50000] [--clusters 1] [--per-pack 100] [--settle-ms 15000] [--idle-ms 10000] [--hub-cpu-prof dir] [--hub-flag=--node-flag]
//     [--heap-profile file.heapprofile [--heap-profile-garbage]] [--hub-output file]
//
// The SSE clients need file descriptors: with --clients 10000 the hub holds 10,000 sockets, so its soft
// `ulimit -n` must be above that (make bench raises it to the hard limit); each client process holds its share.
import { createWriteStream, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { summarize, ms } from './engine/stats.js';
import {
  apiOk,
  attachProfile,
  cpuMsOf,
  idleCpuPercent,
  untilGreen,
  type BenchPackSpec,
} from './hub/hub-api.js';
import { benchRun } from './hub/bench-run.js';
import { startClientProcesses } from './hub/client-processes.js';
import { probeClient, type Cycle } from './hub/probe-client.js';
import { heapSamplingReport, memoryBreakdown, startHeapSampling } from './hub/heap-sampling.js';
import {
  collectGarbage,
  mib,
  MiB,
  openInspector,
  peakSampler,
  settledMemory,
  startHub,
} from './hub-process.js';
import { reportResult } from './result.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '10000' },
    'client-procs': { type: 'string', default: '4' },
    cycles: { type: 'string', default: '20' },
    objects: { type: 'string', default: '1000,10000,50000' },
    clusters: { type: 'string', default: '1' },
    'per-pack': { type: 'string', default: '100' },
    'settle-ms': { type: 'string', default: '15000' },
    'idle-ms': { type: 'string', default: '10000' },
    /** Writes the hub's CPU profile (node --cpu-prof) into this folder when it stops. */
    'hub-cpu-prof': { type: 'string' },
    /** Extra node flags for the hub process, e.g. --hub-flag=--max-old-space-size=640 (repeatable). */
    'hub-flag': { type: 'string', multiple: true, default: [] },
    /** Samples the hub's live allocations and writes the profile here after the last objects step. */
    'heap-profile': { type: 'string' },
    /** With --heap-profile: count what full GCs collected too (old-generation garbage), not only what lives. */
    'heap-profile-garbage': { type: 'boolean', default: false },
    /** Appends everything the hub prints to this file (e.g. with --hub-flag=--trace-gc). */
    'hub-output': { type: 'string' },
  },
});
const clients = Number(values.clients);
const clientProcs = Number(values['client-procs']);
const cycles = Number(values.cycles);
const objectSteps = values.objects
  .split(',')
  .filter((s) => s !== '')
  .map(Number);
const perPack = Number(values['per-pack']);
const clusterCount = Number(values.clusters);
if (!Number.isInteger(clusterCount) || clusterCount < 1) throw new Error('--clusters: a whole number ≥ 1');
const settleMs = Number(values['settle-ms']);
const idleMs = Number(values['idle-ms']);

// Per process: two runs side by side would otherwise tear down each other's control plane.
const CP = `bench-scale-${String(process.pid)}`;
const CLUSTER = 'scale';
/** The clusters the objects steps spread their packs over: P1's, then scale-2 … scale-N. */
const CLUSTERS = [
  CLUSTER,
  ...Array.from({ length: clusterCount - 1 }, (_, i) => `${CLUSTER}-${String(i + 2)}`),
];
const PROBE_PACKS = 20;
const PACKS_PER_PROFILE = 50;
const KiB = 1024;

const run = benchRun('hub-scale', CP);
const { log, children } = run;

async function main(): Promise<void> {
  const cp = await run.controlPlane();
  const { core } = cp;
  const prof = values['hub-cpu-prof'];
  run.hub = await startHub('dist', {
    // The inspector lets the bench force a full GC: what stays after it is what the hub holds, the rest is
    // garbage V8 has not collected yet.
    inspect: true,
    // Every client uses the one token: the per-token cap (32 by default) must let them all in.
    maxStreams: Math.max(clients, 1) + 100,
    nodeFlags: [
      ...values['hub-flag'],
      ...(prof === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${prof}`]),
    ],
  });
  const h = run.hub;
  const hubOutput = values['hub-output'];
  if (hubOutput !== undefined) {
    const file = createWriteStream(hubOutput, { flags: 'a' });
    h.child.stdout?.pipe(file);
    h.child.stderr?.pipe(file);
  }
  for (const name of CLUSTERS)
    await apiOk(h, 'POST', '/api/v1/clusters', 201, {
      name,
      kubeconfig: readFileSync(cp.kubeconfig, 'utf8'),
    });
  const sampling =
    values['heap-profile'] === undefined
      ? undefined
      : await startHeapSampling(h, { garbage: values['heap-profile-garbage'] });
  const idle = await settledMemory(h.pid, { minMs: 5_000, maxMs: 20_000 });
  const idleCpu = await idleCpuPercent(h.pid, idleMs);
  log(`idle hub with the cluster registered: ${mib(idle.rss)}, ${idleCpu.toFixed(2)} % of a core`);

  // --- 1. P1 ------------------------------------------------------------------------------------------------
  const probePacks: BenchPackSpec[] = Array.from({ length: PROBE_PACKS }, (_, i) => ({
    name: `probe-${String(i)}`,
    namespace: 'probe',
    configMaps: 1,
  }));
  await attachProfile(h, CLUSTER, 'probe', probePacks);
  await untilGreen(h, CLUSTER, PROBE_PACKS, { timeoutMs: 120_000, log });
  const probe = probeClient(h, CLUSTER);
  await probe.live;
  const p1: Cycle[] = [];
  for (let k = 0; k < cycles; k++) p1.push(await probe.cycle(core, `probe-${String(k % PROBE_PACKS)}`));
  const p1Summary = summarize(p1.flatMap((c) => (c.firstMs === undefined ? [] : [c.firstMs])));
  log(`P1 delete → SSE: p50 ${ms(p1Summary.p50)}, p99 ${ms(p1Summary.p99)}, max ${ms(p1Summary.max)}`);
  reportResult({
    figure: `P1 watch → SSE at a client, p99 (ConfigMap delete call → pack.status; ${String(p1Summary.n)} cycles)`,
    target: '< 100',
    measured: p1Summary.p99,
    unit: 'ms',
  });
  reportResult({
    figure: 'P1 watch → SSE at a client, p50',
    target: '-',
    measured: p1Summary.p50,
    unit: 'ms',
  });

  // --- 2. Fan-out ---------------------------------------------------------------------------------------------
  if (clients > 0) {
    log(`opening ${String(clients)} SSE streams from ${String(clientProcs)} processes`);
    const opened = performance.now();
    const fleet = await startClientProcesses(h, {
      cluster: CLUSTER,
      count: clients,
      procs: clientProcs,
      children,
    });
    log(
      `all streams live in ${((performance.now() - opened) / 1000).toFixed(1)} s; ${mib((await settledMemory(h.pid, { maxMs: 5_000 })).rss)} hub RSS`,
    );
    const fan: Cycle[] = [];
    for (let k = 0; k < cycles; k++) fan.push(await probe.cycle(core, `probe-${String(k % PROBE_PACKS)}`));
    // End to end: the delete call → each client's receipt of the status event the delete caused. The
    // cycle's later events (the pack green again) come after the hub's own correction, so their time from
    // the delete is not delivery; for every event, the spread from its first to its last receipt is.
    const trigger = new Map(
      fan.flatMap((c) => (c.firstId === undefined ? [] : [[c.firstId, c.trigger] as const])),
    );
    const ids = fan.flatMap((c) => c.ids);
    // Stragglers: wait (up to 60 s) until every stream has every event, or give up and count the missing.
    const deadline = Date.now() + 60_000;
    let counts = await fleet.counts(ids);
    while (counts.some((n) => n < clients) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      counts = await fleet.counts(ids);
    }
    const received = await fleet.received();
    const latencies: number[] = [];
    const spreads: number[] = [];
    let got = 0;
    for (const id of ids) {
      const times = received.get(id) ?? [];
      got += times.length;
      if (times.length > 0) {
        let first = Infinity;
        let last = -Infinity;
        for (const t of times) {
          first = Math.min(first, t);
          last = Math.max(last, t);
        }
        spreads.push(last - first);
      }
      const t0 = trigger.get(id);
      if (t0 !== undefined) for (const t of times) latencies.push(t - t0);
    }
    const missing = ids.length * clients - got;
    const s = summarize(latencies);
    const spread = summarize(spreads);
    log(
      `fan-out to ${String(clients)} clients: delete → each client p50 ${ms(s.p50)}, p99 ${ms(s.p99)}, ` +
        `max ${ms(s.max)} (${String(trigger.size)} events); first → last client per event p99 ${ms(spread.p99)} ` +
        `(${String(ids.length)} events); ${String(missing)} deliveries missing`,
    );
    reportResult({
      figure: `SSE delivery p99, ${String(clients)} clients in ${String(clientProcs)} processes (delete call → each client, ${String(trigger.size)} events)`,
      target: '< 250',
      measured: missing > 0 ? Number.NaN : s.p99,
      unit: 'ms',
    });
    reportResult({ figure: 'SSE delivery p50, same run', target: '-', measured: s.p50, unit: 'ms' });
    reportResult({
      figure: `SSE fan-out spread p99 (first → last client of an event, ${String(ids.length)} events)`,
      target: '-',
      measured: spread.p99,
      unit: 'ms',
    });
    reportResult({ figure: 'SSE deliveries missing', target: '≤ 0', measured: missing, unit: '' });
    await fleet.close();
  }
  probe.close();

  // --- 3. Memory and idle CPU at 1k / 10k / 50k objects ------------------------------------------------------
  // Per object is a slope: (RSS at this step − RSS at the first step) / the objects added since, so what the
  // hub holds anyway (modules loaded on first use, memory the fan-out's 10,000 sockets left to malloc) is not
  // charged to the objects. The first step's figures are absolute only.
  let first: { objects: number; peak: number; rest: number; collected: number } | undefined;
  let objects = PROBE_PACKS;
  /** Packs attached per cluster (the probe packs are the first cluster's). */
  const packs = new Map(CLUSTERS.map((c) => [c, c === CLUSTER ? PROBE_PACKS : 0]));
  let overallPeak = 0;
  for (const target of objectSteps) {
    const add = Math.max(0, Math.ceil((target - objects) / perPack));
    // Round robin over the clusters, each in a namespace of its own.
    const specs = Array.from({ length: add }, (_, i) => {
      const cluster = CLUSTERS[i % CLUSTERS.length] ?? CLUSTER;
      const spec: BenchPackSpec = {
        name: `o${String(target)}-${String(i)}`,
        namespace: cluster === CLUSTER ? 'objects' : `objects-${cluster}`,
        configMaps: perPack,
      };
      return { cluster, spec };
    });
    const sampler = peakSampler(h.pid, 100);
    const started = performance.now();
    const cpuBefore = await cpuMsOf(h.pid);
    log(
      `attaching ${String(add)} packs of ${String(perPack)} ConfigMaps (to ${String(objects + add * perPack)} ` +
        `objects) over ${String(CLUSTERS.length)} cluster(s)`,
    );
    // In profiles of at most PACKS_PER_PROFILE packs: the hub refuses a request body of the 40,000 objects at
    // once (its upload limit), as it should.
    for (const cluster of CLUSTERS) {
      const mine = specs.filter((s) => s.cluster === cluster).map((s) => s.spec);
      for (let i = 0; i < mine.length; i += PACKS_PER_PROFILE)
        await attachProfile(
          h,
          cluster,
          `${cluster === CLUSTER ? 'objects' : `objects-${cluster}`}-${String(target)}-${String(i / PACKS_PER_PROFILE)}`,
          mine.slice(i, i + PACKS_PER_PROFILE),
        );
      packs.set(cluster, (packs.get(cluster) ?? 0) + mine.length);
    }
    objects += add * perPack;
    for (const cluster of CLUSTERS)
      await untilGreen(h, cluster, packs.get(cluster) ?? 0, { timeoutMs: 600_000, intervalMs: 1000, log });
    const installS = (performance.now() - started) / 1000;
    // The hub's CPU for the step's install (GC included): what a tighter heap (scripts/node-flags) costs.
    const installCpuS = ((await cpuMsOf(h.pid)) - cpuBefore) / 1000;
    const rest = await settledMemory(h.pid, { minMs: settleMs, maxMs: settleMs * 3 });
    const peak = Math.max(await sampler.stop(), rest.rss);
    overallPeak = Math.max(overallPeak, peak);
    const cpu = await idleCpuPercent(h.pid, idleMs);
    // Where the memory is, at rest and after the full GC: V8's heap, external memory, or malloc's.
    const inspector = await openInspector(h);
    log(`at rest: ${await memoryBreakdown(inspector, h.pid)}`);
    await collectGarbage(h);
    const collected = await settledMemory(h.pid, { stableSamples: 4, maxMs: 10_000 });
    log(`after a full GC: ${await memoryBreakdown(inspector, h.pid)}`);
    inspector.close();
    const from = (first ??= { objects, peak, rest: rest.rss, collected: collected.rss });
    const slope = (bytes: number, base: number) =>
      objects === from.objects ? Number.NaN : (bytes - base) / (objects - from.objects) / KiB;
    const perObjectGc = slope(collected.rss, from.collected);
    const perObjectRest = slope(rest.rss, from.rest);
    const perObjectPeak = slope(peak, from.peak);
    log(
      `${String(objects)} objects: installed in ${installS.toFixed(1)} s (hub CPU ${installCpuS.toFixed(1)} s); RSS peak ${mib(peak)}, at rest ` +
        `${mib(rest.rss)}, after a full GC ${mib(collected.rss)}; per object since the first step: ` +
        `${perObjectPeak.toFixed(2)} KiB peak, ${perObjectRest.toFixed(2)} at rest, ${perObjectGc.toFixed(2)} after ` +
        `GC; idle CPU ${cpu.toFixed(2)} %`,
    );
    const at = `${(objects / 1000).toFixed(0)}k objects${CLUSTERS.length > 1 ? ` in ${String(CLUSTERS.length)} clusters` : ''}`;
    reportResult({
      figure: `hub RSS peak, ${at} (install, sampled every 100 ms)`,
      target: '< 1024',
      measured: peak / MiB,
      unit: 'MiB',
    });
    reportResult({
      figure: `hub RSS at rest, ${at}`,
      target: '< 1024',
      measured: rest.rss / MiB,
      unit: 'MiB',
    });
    if (from.objects !== objects) {
      const since = `${at}, since ${(from.objects / 1000).toFixed(0)}k`;
      reportResult({
        figure: `hub RSS per object at rest, ${since}`,
        target: '< 4',
        measured: perObjectRest,
        unit: 'KiB',
      });
      reportResult({
        figure: `hub RSS per object after a forced full GC, ${since} (what it holds; the rest is garbage)`,
        target: '< 4',
        measured: perObjectGc,
        unit: 'KiB',
      });
      reportResult({
        figure: `hub RSS per object at peak, ${since}`,
        target: '< 4',
        measured: perObjectPeak,
        unit: 'KiB',
      });
    }
    reportResult({ figure: `hub idle CPU, ${at}`, target: '< 5', measured: cpu, unit: '% of a core' });
    reportResult({
      figure: `install to green, ${at} (+${String(add)} packs)`,
      target: '-',
      measured: installS,
      unit: 's',
    });
    reportResult({
      figure: `hub CPU for the install, ${at} (+${String(add)} packs)`,
      target: '-',
      measured: installCpuS,
      unit: 's',
    });
  }
  if (objectSteps.length > 0)
    reportResult({
      figure: `hub RSS peak over the whole install to ${(objects / 1000).toFixed(0)}k objects`,
      target: '< 1024',
      measured: overallPeak / MiB,
      unit: 'MiB',
    });
  const heapProfile = values['heap-profile'];
  if (sampling !== undefined && heapProfile !== undefined) {
    process.stdout.write(`${await heapSamplingReport(sampling, heapProfile)}\n`);
    sampling.close();
  }
  reportResult({
    figure: `hub idle CPU, ${CLUSTERS.length > 1 ? `${String(CLUSTERS.length)} clusters` : 'cluster'} registered, no packs`,
    target: '< 5',
    measured: idleCpu,
    unit: '% of a core',
  });
}

try {
  await main();
} catch (error) {
  const exit = run.hub?.exited();
  if (exit !== undefined) log(`the hub ${exit}; its last output:\n${run.hub?.output().slice(-4000) ?? ''}`);
  throw error;
} finally {
  await run.teardown();
}
