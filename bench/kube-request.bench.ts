// The hub's client cost of one request to an API server (issue 15: installs over five clusters at once set the
// hub's peak memory by the garbage of their requests): KubeClient.get of a small object against a real control
// plane, sequentially and 16 at a time, as this process's CPU time per call (the API server is another
// process) and the heap it allocated per call (garbage included).
// Prints BENCH_RESULT lines (bench/result.ts); asserts nothing.
//
//   npx tsx bench/kube-request.bench.ts [--kubeconfig path] [--calls 3000] [--rounds 3]
//
// Without --kubeconfig it starts its own control plane (testenv) and stops it at the end; with one, runs of two
// builds can alternate against the same API server.
import { readFile } from 'node:fs/promises';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { down, up } from '../testenv/src/controlplane.js';
import { KubeClient } from '../src/kube/client.js';
import { reportResult } from './result.js';

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    calls: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '3' },
  },
});
const calls = Number(values.calls);
const rounds = Number(values.rounds);
const CP = `bench-kube-request-${String(process.pid)}`;

/**
 * Heap bytes allocated while `run` runs, collected or not: what the heap grew by plus what every GC meanwhile
 * collected (V8 has no allocation counter Node exposes).
 */
async function allocatedBy(run: () => Promise<void>): Promise<number> {
  const profiler = new GCProfiler();
  profiler.start();
  const before = getHeapStatistics().used_heap_size;
  await run();
  const after = getHeapStatistics().used_heap_size;
  const collected = profiler
    .stop()
    .statistics.reduce(
      (sum, gc) => sum + gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize,
      0,
    );
  return after - before + collected;
}

async function measure(
  kube: KubeClient,
  concurrency: number,
): Promise<{ cpuUs: number; wallUs: number; bytes: number }> {
  const ref = { apiVersion: 'v1', kind: 'Namespace', name: 'default' };
  let left = calls;
  const worker = async () => {
    while (left-- > 0) await kube.get(ref);
  };
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const bytes = await allocatedBy(async () => {
    await Promise.all(Array.from({ length: concurrency }, worker));
  });
  const wallUs = ((performance.now() - wall0) * 1000) / calls;
  const cpu = process.cpuUsage(cpu0);
  return { cpuUs: (cpu.user + cpu.system) / calls, wallUs, bytes: bytes / calls };
}

async function main(): Promise<void> {
  let kubeconfig = values.kubeconfig;
  if (kubeconfig === undefined) kubeconfig = (await up({ name: CP, nodes: 1 })).kubeconfig;
  try {
    const kube = KubeClient.fromString(await readFile(kubeconfig, 'utf8'));
    try {
      // Warm: discovery, the connection pool, JIT.
      for (let i = 0; i < 300; i++) await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' });
      for (const concurrency of [1, 16]) {
        const runs = [];
        for (let r = 0; r < rounds; r++) runs.push(await measure(kube, concurrency));
        const best = runs.reduce((a, b) => (b.cpuUs < a.cpuUs ? b : a));
        const kib = (best.bytes / 1024).toFixed(1);
        console.log(
          `${String(concurrency).padStart(2)} at a time: ${runs.map((x) => x.cpuUs.toFixed(0)).join(' / ')} µs CPU per call ` +
            `(best ${best.cpuUs.toFixed(0)}), ${best.wallUs.toFixed(0)} µs wall, ${kib} KiB allocated per call; ` +
            `load ${loadavg()
              .map((l) => l.toFixed(2))
              .join(' ')}`,
        );
        reportResult({
          figure: `KubeClient.get client CPU per call, ${String(concurrency)} at a time`,
          target: '-',
          measured: Math.round(best.cpuUs),
          unit: 'µs',
        });
        reportResult({
          figure: `KubeClient.get heap allocated per call, ${String(concurrency)} at a time`,
          target: '-',
          measured: Math.round(best.bytes / 1024),
          unit: 'KiB',
        });
      }
    } finally {
      await kube.close();
    }
  } finally {
    if (values.kubeconfig === undefined) await down({ name: CP });
  }
}

await main();
