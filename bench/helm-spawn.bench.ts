// helm spawns off the event loop (issue 15, item 3): how long a burst of `helm template` renders blocks the
// event loop of a process the size of a hub, when the process spawns helm itself (as the engine did: execFile
// forks the calling process, page tables and all) and when the engine's spawner process does (spawner.ts).
// Same process, same heap, same chart, same run: the time spent inside each spawn call (the event loop is
// blocked for all of it) and the event-loop delay from perf_hooks.monitorEventLoopDelay, which on a loaded
// machine also counts the time the process waits for a CPU (helm itself is CPU-bound).
// Prints figure → measured and a BENCH_RESULT line; asserts nothing.
//
//   npx tsx bench/helm-spawn.bench.ts [--renders 50] [--heap-mib 300] [--concurrency 4]
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { templateArgs } from '../src/engine/helm.js';
import { Spawner } from '../src/engine/spawner.js';
import { helmPack } from '../src/engine/testing/packs.js';
import { helmBin, repoRoot } from '../src/engine/testing/runner.js';
import { ChartSourceKind } from '../src/profile/index.js';
import { percentile, table } from './engine/stats.js';

const { values } = parseArgs({
  options: {
    renders: { type: 'string', default: '50' },
    'heap-mib': { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '4' },
  },
});
const renders = Number(values.renders);
const heapMib = Number(values['heap-mib']);
const concurrency = Number(values.concurrency);

// A hub's resident memory: a fork copies the page tables of every mapped page. Touched buffers, not millions of
// small objects, so the garbage collector (which would dwarf what is measured here) has nothing to walk.
const ballast: Buffer[] = [];
while (process.memoryUsage().rss < heapMib * 1024 * 1024) ballast.push(Buffer.alloc(16 * 1024 * 1024, 1));

const pack = helmPack({ name: 'bench', chart: { kind: ChartSourceKind.Local, path: 'metrics-store' } });
// Once: helmBin() asks testenv/build (a synchronous child process) each time it is called.
const helm = helmBin();
const args = templateArgs(pack, {
  helmBin: helm,
  chartFile: join(repoRoot, 'examples/charts/metrics-store'),
});
const env = { ...process.env, HELM_NAMESPACE: '' };

/**
 * The wall time (ms) inside each synchronous spawn call: the event loop does nothing else meanwhile (a fork
 * copies the page tables of the whole process). The thread's CPU time would not depend on the load, but this
 * machine accounts it in scheduler ticks (a 20 µs call reads 0 or 10 ms), so it is not reported.
 */
let blocked: number[] = [];
function timed<T>(call: () => T): T {
  const start = performance.now();
  const out = call();
  blocked.push(performance.now() - start);
  return out;
}

/** execFile from this process, as helm.ts did before the spawner. */
function direct(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = timed(() =>
      execFile(helm, args, { maxBuffer: 64 * 1024 * 1024, env }, (error, stdout) => {
        if (error) reject(new Error(`helm template failed: ${error.message}`, { cause: error }));
        else resolve(stdout);
      }),
    );
    child.stdin?.end('{}');
  });
}

const spawner = new Spawner(concurrency);
const pooled = async () => (await timed(() => spawner.run(helm, args, { input: '{}', env }))).stdout;

interface Burst {
  /** Wall time inside the spawn calls: per call p50, p99, max, and the burst's total (ms). */
  readonly blockedP50: number;
  readonly blockedP99: number;
  readonly blockedMax: number;
  readonly blockedTotal: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly wallMs: number;
}

/** `renders` renders, at most `concurrency` at once, with the event-loop delay measured throughout (1 ms). */
async function burst(render: () => Promise<string>): Promise<Burst> {
  blocked = [];
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < renders) {
      next++;
      const out = await render();
      if (!out.includes('kind:')) throw new Error('helm rendered nothing');
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallMs = performance.now() - start;
  histogram.disable();
  const ms = (ns: number) => ns / 1e6;
  return {
    blockedP50: percentile(blocked, 50),
    blockedP99: percentile(blocked, 99),
    blockedMax: Math.max(...blocked),
    blockedTotal: blocked.reduce((a, b) => a + b, 0),
    p50: ms(histogram.percentile(50)),
    p99: ms(histogram.percentile(99)),
    max: ms(histogram.max),
    wallMs,
  };
}

// Warm both paths once (helm's first start reads its caches; the spawner process starts).
await direct();
await pooled();
const before = await burst(direct);
const after = await burst(pooled);
spawner.close();
const load = loadavg()[0] ?? Number.NaN;
const f = (n: number) => `${n.toFixed(1)} ms`;
console.log(
  `HELM SPAWN: ${String(renders)} renders, ${String(concurrency)} at once, hub-sized process ` +
    `(RSS ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MiB), load ${load.toFixed(2)}`,
);
console.log(
  table(
    ['figure', 'spawned by the hub', 'spawner process'],
    [
      ['event loop blocked per spawn call, p50', f(before.blockedP50), f(after.blockedP50)],
      ['event loop blocked per spawn call, p99', f(before.blockedP99), f(after.blockedP99)],
      ['event loop blocked per spawn call, max', f(before.blockedMax), f(after.blockedMax)],
      [`event loop blocked, all ${String(renders)} calls`, f(before.blockedTotal), f(after.blockedTotal)],
      ['event-loop delay p50', f(before.p50), f(after.p50)],
      ['event-loop delay p99', f(before.p99), f(after.p99)],
      ['event-loop delay max', f(before.max), f(after.max)],
      ['burst wall time', f(before.wallMs), f(after.wallMs)],
    ],
  ),
);
console.log(
  `BENCH_RESULT ${JSON.stringify({
    figure: `event-loop delay p99 during ${String(renders)} helm renders`,
    target: 'off the critical path (spawner well below direct spawn)',
    measured: Number(after.p99.toFixed(2)),
    unit: 'ms',
    directSpawnP99Ms: Number(before.p99.toFixed(2)),
    directSpawnMaxMs: Number(before.max.toFixed(2)),
    blockedPerSpawnP99Ms: {
      direct: Number(before.blockedP99.toFixed(3)),
      spawner: Number(after.blockedP99.toFixed(3)),
    },
    blockedTotalMs: {
      direct: Number(before.blockedTotal.toFixed(1)),
      spawner: Number(after.blockedTotal.toFixed(1)),
    },
    spawnerMaxMs: Number(after.max.toFixed(2)),
    loadAverage: Number(load.toFixed(2)),
  })}`,
);
