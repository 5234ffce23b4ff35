// Linear cost (issue 15, item 3): status events and engine CPU per pack for one install of 20, 200 and 1,000
// packs in 5 waves, on the in-memory fake kube (src/kube/testing/fake-kube.ts). Each status event is one store
// write and one stream event at the hub, so events per pack is the hub's own cost per install; the fake kube
// takes the control plane's time out, so what remains is the engine's CPU (evaluations, scheduling, statuses),
// not the hub's store and SSE work, nor wall time on a real control plane (bench/engine.bench.ts measures that).
// Prints figure → target → measured → verdict and writes the numbers as JSON. Asserts nothing.
//
// Engine CPU is this process's CPU time (user + system, every thread: V8's GC and compiler threads do about
// half of it) during one install, ~50 ms at 200 packs. From one run, the ratio swung around the 5 × line (5.49
// in one run, under 5 in the next). Each size is now installed `--repeat` times, the sizes interleaved, after
// a full GC each (so one install's garbage is not collected on the next one's time); the figure is the ratio
// of the median CPU times, printed with the spread of the per-round ratios. Linear cost is exactly 5 ×, so the
// verdict says whether the median cost per pack at 1,000 packs is above the one at 200; the spread says by how
// much one round can miss. The main thread's share alone is printed too (its GC pauses grow with the heap).
//
//   npx tsx bench/engine-events.bench.ts [--repeat 15] [--json test-results/bench/engine-events.json]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FakeKube } from '../src/kube/testing/fake-kube.js';
import { ClusterRunner } from '../src/engine/runner.js';
import type { RunnerEvent } from '../src/engine/events.js';
import { wavedPacks } from '../src/engine/testing/waved-packs.js';
import { percentile, table } from './engine/stats.js';
import { reportResult } from './result.js';

const { values } = parseArgs({
  options: {
    json: { type: 'string', default: 'test-results/bench/engine-events.json' },
    repeat: { type: 'string', default: '15' },
  },
});
const repeat = Number(values.repeat);
// A full GC on demand without starting node with --expose-gc (bench/run.ts starts every bench the same way).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const WAVES = 5;
const SIZES = [20, 200, 1000] as const;

interface Run {
  readonly packs: number;
  readonly events: number;
  readonly cpuMs: number;
  /** The main thread's share of cpuMs. */
  readonly mainMs: number;
  readonly wallMs: number;
}

async function install(packs: number): Promise<Run> {
  const kube = new FakeKube({ listWatch: { backoff: { initialMs: 1, maxMs: 8 } } });
  const desired = wavedPacks(packs, WAVES);
  // Counted as they come (an EventLog's latest() over every event would cost more than the engine).
  let events = 0;
  const green = new Set<string>();
  let resolveDone = () => {};
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const onEvent = (event: RunnerEvent) => {
    if (event.type !== 'PackStatusChanged') return;
    events++;
    if (event.status.phase === 'success') green.add(event.pack);
    else green.delete(event.pack);
    if (green.size === desired.length) resolveDone();
  };
  const runner = new ClusterRunner({
    cluster: 'bench',
    kube,
    helmBin: '/nonexistent/helm: manifest packs only',
    onEvent,
  });
  await runner.start();
  gc();
  const cpu = process.cpuUsage();
  const main = process.threadCpuUsage();
  const start = performance.now();
  runner.setDesired(desired);
  await done;
  const used = process.cpuUsage(cpu);
  const usedMain = process.threadCpuUsage(main);
  const wallMs = performance.now() - start;
  runner.stop();
  const ms = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
  return { packs, events, cpuMs: ms(used), mainMs: ms(usedMain), wallMs };
}

// One small install first, so module loading and JIT warm-up are not charged to the 20-pack figure.
await install(20);
const rounds: Run[][] = [];
for (let round = 0; round < repeat; round++) {
  const runsOfRound: Run[] = [];
  for (const packs of SIZES) runsOfRound.push(await install(packs));
  rounds.push(runsOfRound);
  process.stderr.write(
    `[bench] round ${String(round + 1)}: ${runsOfRound.map((r) => `${String(r.packs)} packs ${r.cpuMs.toFixed(0)} ms CPU`).join(', ')}\n`,
  );
}
/** Per size, the run of median CPU time (its events are the same in every round). */
const runs: Run[] = SIZES.map((packs) => {
  const all = rounds.map((r) => r.find((run) => run.packs === packs)).filter((r) => r !== undefined);
  const median = percentile(
    all.map((r) => r.cpuMs),
    50,
  );
  return all.find((r) => r.cpuMs === median) ?? { packs, events: NaN, cpuMs: NaN, mainMs: NaN, wallMs: NaN };
});
const roundRatios = rounds.map((r) => {
  const cpu = (packs: number) => r.find((run) => run.packs === packs)?.cpuMs ?? NaN;
  return cpu(1000) / cpu(200);
});
const medianOf = (packs: number, pick: (r: Run) => number) =>
  percentile(
    rounds.map((r) => {
      const run = r.find((x) => x.packs === packs);
      return run === undefined ? NaN : pick(run);
    }),
    50,
  );
const mainRatio = medianOf(1000, (r) => r.mainMs) / medianOf(200, (r) => r.mainMs);
const spread = `per round ${percentile(roundRatios, 0).toFixed(2)}–${percentile(roundRatios, 100).toFixed(2)}`;

const at = (packs: number) =>
  runs.find((r) => r.packs === packs) ?? { packs, events: NaN, cpuMs: NaN, mainMs: NaN, wallMs: NaN };
const ratio = (pick: (r: Run) => number) => pick(at(1000)) / pick(at(200));
const rows = [
  ...runs.map((r) => [
    `events per pack, ${r.packs} packs`,
    '≤ 12',
    (r.events / r.packs).toFixed(1),
    r.events / r.packs <= 12 ? 'ok' : 'FAIL',
  ]),
  ...runs.map((r) => [
    `engine CPU per pack, ${r.packs} packs`,
    '-',
    `${(r.cpuMs / r.packs).toFixed(2)} ms`,
    '-',
  ]),
  [
    'events 1,000 ÷ 200 packs',
    '≤ 5',
    ratio((r) => r.events).toFixed(2),
    ratio((r) => r.events) <= 5 ? 'ok' : 'FAIL',
  ],
  [
    `engine CPU 1,000 ÷ 200 packs, median of ${String(repeat)} (${spread})`,
    '≤ 5',
    ratio((r) => r.cpuMs).toFixed(2),
    ratio((r) => r.cpuMs) <= 5 ? 'ok' : 'FAIL',
  ],
  ['main thread CPU 1,000 ÷ 200 packs, medians', '-', mainRatio.toFixed(2), '-'],
];
console.log(`STATUS EVENTS AND ENGINE CPU PER INSTALL (${WAVES} waves, fake kube)`);
console.log(table(['figure', 'target', 'measured', 'verdict'], rows));
mkdirSync(dirname(values.json), { recursive: true });
writeFileSync(values.json, `${JSON.stringify({ waves: WAVES, runs, rounds, roundRatios }, null, 2)}\n`);
console.log(`JSON: ${values.json}`);
for (const r of runs)
  reportResult({
    figure: `status events per pack, ${String(r.packs)} packs (fake kube)`,
    target: '≤ 12',
    measured: r.events / r.packs,
    unit: '',
  });
reportResult({
  figure: 'status events, 1,000 ÷ 200 packs (fake kube)',
  target: '≤ 5',
  measured: ratio((r) => r.events),
  unit: '×',
});
reportResult({
  figure: `engine CPU per install, 1,000 ÷ 200 packs (fake kube; median of ${String(repeat)}, ${spread})`,
  target: '≤ 5',
  measured: ratio((r) => r.cpuMs),
  unit: '×',
});
reportResult({
  figure: 'engine main-thread CPU per install, 1,000 ÷ 200 packs (medians)',
  target: '-',
  measured: mainRatio,
  unit: '×',
});
