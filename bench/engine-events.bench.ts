// Linear cost (issue 15, item 3): status events and engine CPU per pack for one install of 20, 200 and 1,000
// packs in 5 waves, on the in-memory fake kube (src/kube/testing/fake-kube.ts). Each status event is one store
// write and one stream event at the hub, so events per pack is the hub's own cost per install; the fake kube
// takes the control plane's time out, so what remains is the engine's CPU (evaluations, scheduling, statuses),
// not the hub's store and SSE work, nor wall time on a real control plane (bench/engine.bench.ts measures that).
// Prints figure → target → measured → verdict and writes the numbers as JSON. Asserts nothing.
//
//   npx tsx bench/engine-events.bench.ts [--json test-results/bench/engine-events.json]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { FakeKube } from '../src/kube/testing/fake-kube.js';
import { ClusterRunner } from '../src/engine/runner.js';
import type { RunnerEvent } from '../src/engine/events.js';
import { wavedPacks } from '../src/engine/testing/waved-packs.js';
import { table } from './engine/stats.js';
import { reportResult } from './result.js';

const { values } = parseArgs({
  options: { json: { type: 'string', default: 'test-results/bench/engine-events.json' } },
});
const WAVES = 5;
const SIZES = [20, 200, 1000] as const;

interface Run {
  readonly packs: number;
  readonly events: number;
  readonly cpuMs: number;
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
  const cpu = process.cpuUsage();
  const start = performance.now();
  runner.setDesired(desired);
  await done;
  const used = process.cpuUsage(cpu);
  const wallMs = performance.now() - start;
  runner.stop();
  return { packs, events, cpuMs: (used.user + used.system) / 1000, wallMs };
}

// One small install first, so module loading and JIT warm-up are not charged to the 20-pack figure.
await install(20);
const runs: Run[] = [];
for (const packs of SIZES) {
  const run = await install(packs);
  runs.push(run);
  process.stderr.write(`[bench] ${packs} packs: ${run.events} events, ${run.cpuMs.toFixed(0)} ms CPU\n`);
}

const at = (packs: number) =>
  runs.find((r) => r.packs === packs) ?? { packs, events: NaN, cpuMs: NaN, wallMs: NaN };
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
    'engine CPU 1,000 ÷ 200 packs',
    '≤ 5',
    ratio((r) => r.cpuMs).toFixed(2),
    ratio((r) => r.cpuMs) <= 5 ? 'ok' : 'FAIL',
  ],
];
console.log(`STATUS EVENTS AND ENGINE CPU PER INSTALL (${WAVES} waves, fake kube)`);
console.log(table(['figure', 'target', 'measured', 'verdict'], rows));
mkdirSync(dirname(values.json), { recursive: true });
writeFileSync(values.json, `${JSON.stringify({ waves: WAVES, runs }, null, 2)}\n`);
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
  figure: 'engine CPU per install, 1,000 ÷ 200 packs (fake kube)',
  target: '≤ 5',
  measured: ratio((r) => r.cpuMs),
  unit: '×',
});
