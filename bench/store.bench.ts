// Store throughput and latency on both backends: sustained pack status writes per second (each write is the
// view row plus its events, in one transaction) and the p99 of reading a 200-pack cluster's status view
// (the Cluster Profile page's data). Prints numbers; asserts nothing (timings belong in benchmarks, not tests).
//
//   npx tsx bench/store.bench.ts [--seconds 5] [--packs 200] [--resources 10]
//
// PostgreSQL: STRATA_TEST_POSTGRES_URL, or the throwaway server of testenv/postgres (started and stopped here
// when it is not already running). Its defaults are durable (fsync on), like a real deployment.
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { PackPhase } from '../src/status/index.js';
import type { Store } from '../src/store/index.js';
import { PostgresBackend, SqliteBackend, type TestBackend } from '../src/store/testing/backends.js';
import { packStatus } from '../src/store/testing/fixtures.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    packs: { type: 'string', default: '200' },
    resources: { type: 'string', default: '10' },
    reads: { type: 'string', default: '500' },
  },
});
const seconds = Number(values.seconds);
const packs = Number(values.packs);
const resourceCount = Number(values.resources);
const reads = Number(values.reads);

const phases: readonly PackPhase[] = ['onboarding', 'processing', 'processing', 'success', 'failed'];

/** One engine-like writer: status writes over the cluster's packs, cycling colours, until `stop()`. */
async function writeUntil(store: Store, stop: () => boolean, offset: number): Promise<number> {
  let n = 0;
  while (!stop()) {
    const pack = `pack-${(n * 7 + offset) % packs}`;
    const phase = phases[(n + offset) % phases.length] ?? 'processing';
    await store.packStatus.record({
      cluster: 'bench',
      pack,
      status: packStatus(phase, { resourceCount, message: `write ${n}` }),
    });
    n++;
  }
  return n;
}

/** What the hub's StatusWriter does under a burst: `batch` statuses of different packs per transaction. */
async function writeBatchedUntil(store: Store, stop: () => boolean, batch: number): Promise<number> {
  let n = 0;
  while (!stop()) {
    const inputs = Array.from({ length: batch }, (_, i) => {
      const k = n + i;
      return {
        cluster: 'bench',
        pack: `pack-${(k * 7) % packs}`,
        status: packStatus(phases[k % phases.length] ?? 'processing', {
          resourceCount,
          message: `write ${k}`,
        }),
      };
    });
    await store.packStatus.recordMany(inputs);
    n += batch;
  }
  return n;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function readLatencies(store: Store, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const rows = await store.packStatus.list('bench');
    times.push(performance.now() - start);
    if (rows.length !== packs) throw new Error(`expected ${packs} packs, read ${rows.length}`);
  }
  return times.sort((a, b) => a - b);
}

const after = (ms: number) => {
  const end = performance.now() + ms;
  return () => performance.now() >= end;
};

const fmt = (n: number, digits = 1) => n.toFixed(digits).padStart(9);

/** Batched writes per second per backend, for the BENCH_RESULT line. */
const batchedPerSecond = new Map<string, number>();
const bigBatchPerSecond = new Map<string, number>();

async function bench(env: TestBackend): Promise<void> {
  await env.setup();
  try {
    const { store } = await env.open();
    await store.clusters.create({ name: 'bench', kubeconfig: 'k' });
    for (let i = 0; i < packs; i++) {
      await store.packStatus.record({
        cluster: 'bench',
        pack: `pack-${i}`,
        status: packStatus('processing', { resourceCount }),
      });
    }
    const ms = seconds * 1000;

    const before = await store.history.latestId();
    const one = await writeUntil(store, after(ms), 0);
    const oneEvents = (await store.history.latestId()) - before;
    const writers = 4;
    const before4 = await store.history.latestId();
    const stopFour = after(ms);
    const four = (
      await Promise.all(Array.from({ length: writers }, (_, i) => writeUntil(store, stopFour, i)))
    ).reduce((a, b) => a + b, 0);
    const fourEvents = (await store.history.latestId()) - before4;

    const batch = 50;
    const beforeBatched = await store.history.latestId();
    const batchedCpu = process.cpuUsage();
    const batched = await writeBatchedUntil(store, after(ms), batch);
    const batchedCpuUs = process.cpuUsage(batchedCpu);
    const batchedEvents = (await store.history.latestId()) - beforeBatched;
    // The StatusWriter's largest flush (src/hub/status-writer.ts): what a long burst is written in.
    const bigBatch = 200;
    const big = await writeBatchedUntil(store, after(ms), bigBatch);

    const idle = await readLatencies(store, reads);
    let reading = true;
    const load = writeUntil(store, () => !reading, 1);
    const loaded = await readLatencies(store, reads);
    reading = false;
    await load;
    await store.close();
    batchedPerSecond.set(env.name, batched / seconds);
    bigBatchPerSecond.set(env.name, big / seconds);

    console.log(`\n${env.name} (load average ${(loadavg()[0] ?? Number.NaN).toFixed(2)})`);
    console.log(
      `  status writes/s, 1 writer:        ${fmt(one / seconds)}  (${fmt(oneEvents / seconds)} events/s incl. transitions)`,
    );
    console.log(
      `  status writes/s, ${writers} writers:       ${fmt(four / seconds)}  (${fmt(fourEvents / seconds)} events/s incl. transitions)`,
    );
    console.log(
      `  status writes/s, ${batch} per commit:   ${fmt(batched / seconds)}  (${fmt(batchedEvents / seconds)} events/s; target ≥ 3000 on PostgreSQL)`,
    );
    console.log(`  status writes/s, ${bigBatch} per commit:  ${fmt(big / seconds)}`);
    console.log(
      `  this process's CPU per write, ${batch} per commit: ${fmt((batchedCpuUs.user + batchedCpuUs.system) / batched, 0)} µs (the database server's not included)`,
    );
    console.log(
      `  ${packs}-pack view read, idle:        p50 ${fmt(percentile(idle, 50), 2)} ms   p99 ${fmt(percentile(idle, 99), 2)} ms`,
    );
    console.log(
      `  ${packs}-pack view read, under writes: p50 ${fmt(percentile(loaded, 50), 2)} ms   p99 ${fmt(percentile(loaded, 99), 2)} ms`,
    );
  } finally {
    await env.teardown();
  }
}

console.log(
  `store benchmark: ${seconds} s per write run, ${packs} packs × ${resourceCount} resources each, ${reads} reads; ` +
    `Node ${process.version}, ${cpus().length} CPUs`,
);
await bench(new SqliteBackend());
await bench(new PostgresBackend());
// The last line, for the bench runner.
console.log(
  `BENCH_RESULT ${JSON.stringify({
    figure: 'PostgreSQL status writes/s, 50 per commit',
    target: '>= 3000',
    measured: Math.round(batchedPerSecond.get('postgres') ?? Number.NaN),
    unit: 'writes/s',
    postgres200PerCommit: Math.round(bigBatchPerSecond.get('postgres') ?? Number.NaN),
    sqliteBatchedPerSecond: Math.round(batchedPerSecond.get('sqlite') ?? Number.NaN),
    loadAverage: Number((loadavg()[0] ?? Number.NaN).toFixed(2)),
  })}`,
);
