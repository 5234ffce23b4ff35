// Linear cost (issue 15, item 3): status events and engine CPU per pack for one install of 20, 200 and 1,000
// packs in 5 waves, on the in-memory fake kube (src/kube/testing/fake-kube.ts). Each status event is one store
// write and one stream event at the hub, so events per pack is the hub's own cost per install; the fake kube
// takes the control plane's time out, so what remains is the engine's CPU (evaluations, scheduling, statuses),
// not the hub's store and SSE work, nor wall time on a real control plane (bench/engine.bench.ts measures that).
// Prints figure → target → measured → verdict and writes the numbers as JSON. Asserts nothing.
//
// How the CPU is measured, so that the 200- and 1,000-pack installs are measured alike (the figure still means
// the engine's CPU for one install, all threads):
// - Each install runs in a process of its own (bench/engine/events-install.ts), started with bin/strata's node
//   flags and malloc settings (scripts/node-flags: a 1 MiB young generation and a heap that grows by 50 %
//   decide how often V8 collects), on the engine bundled as bin/strata runs it, without tsx. Before,
//   every install ran in this one tsx process with node's default flags, each on the heap the ones before it
//   had left: the 200-pack install paid for the previous one's garbage, and a major GC landed in one install
//   or the next by chance (per round 3.4–10.3 ×).
// - In that process, one warm-up install of 1,000 packs (the same for every size) loads the modules and lets
//   the JIT tier up; after a 200-pack warm-up, the measured 1,000-pack install still paid for optimising
//   what only it ran often enough (up to twice the CPU). A full GC then leaves the heap as before it.
// - CPU is process.cpuUsage() of that process (user + system, every thread: V8's GC and compiler threads do
//   a good part of it), from setDesired() to every pack green, plus a full GC right after, which collects
//   the install's leftover garbage (each install pays for its own garbage), minus a reference full GC right
//   before it (marking what the process held before: modules, compiled code; not the install's).
// - Rounds interleave 200 and 1,000 packs (in alternating order), `--repeat` times (21: the 20-pack install,
//   whose events and CPU are only shown, runs once, and its time goes to more rounds); the figure is the ratio
//   of the median CPU times, printed with the spread of the per-round ratios. Linear cost is exactly 5 ×, so the
//   verdict says whether the median cost per pack at 1,000 packs is above the one at 200. The main thread's
//   share alone is printed too, and the load average before and after.
//
//   npx tsx bench/engine-events.bench.ts [--repeat 21] [--json test-results/bench/engine-events.json]
import { spawn } from 'node:child_process';
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, strataNodeEnv, strataNodeFlags } from './hub-process.js';
import type { InstallRun } from './engine/events-install.js';
import { percentile, table } from './engine/stats.js';
import { reportResult } from './result.js';

const { values } = parseArgs({
  options: {
    json: { type: 'string', default: 'test-results/bench/engine-events.json' },
    repeat: { type: 'string', default: '21' },
  },
});
const repeat = Number(values.repeat);
const SIZES = [20, 200, 1000] as const;
/** The sizes the verdict compares, installed every round; 20 packs only once (its events are the same each time). */
const COMPARED = [200, 1000] as const;
const WAVES = 5;

/** One install of `packs` packs in a fresh process, as bin/strata would run the engine. */
async function install(packs: number): Promise<InstallRun> {
  const env: NodeJS.ProcessEnv = { ...strataNodeEnv, ...process.env };
  const child = spawn(
    process.execPath,
    [
      ...strataNodeFlags,
      '--expose-gc',
      join(repoRoot, 'bench', 'engine', 'events-install.ts'),
      '--engine',
      engine,
      '--packs',
      String(packs),
      '--waves',
      String(WAVES),
    ],
    { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  const line = stdout.trimEnd().split('\n').at(-1);
  if (code !== 0 || line === undefined)
    throw new Error(`the ${String(packs)}-pack install exited with ${String(code)}:\n${stderr.slice(-4000)}`);
  return JSON.parse(line) as InstallRun;
}

// The engine and the fake kube in one bundle, built as scripts/build-dist bundles the hub bin/strata runs (the
// same esbuild settings and externals), inside the repo so that its external packages resolve.
const engine = join(repoRoot, 'test-results', 'bench', 'engine-events', 'engine.js');
await build({
  entryPoints: [join(repoRoot, 'bench', 'engine', 'engine-entry.ts')],
  outfile: engine,
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  sourcemap: true,
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  external: ['better-sqlite3', 'pg', '@kubernetes/client-node', '@bufbuild/cel', 'undici'],
  banner: {
    js: "import { createRequire as __strataCreateRequire } from 'node:module'; const require = __strataCreateRequire(import.meta.url);",
  },
});
const loadBefore = loadavg()[0] ?? Number.NaN;
const rounds: InstallRun[][] = [];
for (let round = 0; round < repeat; round++) {
  const order = round % 2 === 0 ? COMPARED : [...COMPARED].reverse();
  const runsOfRound: InstallRun[] = round === 0 ? [await install(20)] : [];
  for (const packs of order) runsOfRound.push(await install(packs));
  runsOfRound.sort((a, b) => a.packs - b.packs);
  rounds.push(runsOfRound);
  process.stderr.write(
    `[bench] round ${String(round + 1)}: ${runsOfRound.map((r) => `${String(r.packs)} packs ${r.cpuMs.toFixed(0)} ms CPU`).join(', ')}\n`,
  );
}
const loadAfter = loadavg()[0] ?? Number.NaN;

const noRun = (packs: number): InstallRun => ({
  packs,
  events: NaN,
  cpuMs: NaN,
  mainMs: NaN,
  installCpuMs: NaN,
  closingGcCpuMs: NaN,
  referenceGcCpuMs: NaN,
  wallMs: NaN,
  gc: { minor: NaN, minorMs: NaN, major: NaN, majorMs: NaN },
  heapBeforeMiB: NaN,
  heapAfterMiB: NaN,
});
const runsOf = (packs: number) =>
  rounds.map((r) => r.find((run) => run.packs === packs)).filter((r) => r !== undefined);
/** Per size, the run of median CPU time (its events are the same in every round). */
const runs: InstallRun[] = SIZES.map((packs) => {
  const all = runsOf(packs);
  const median = percentile(
    all.map((r) => r.cpuMs),
    50,
  );
  return all.find((r) => r.cpuMs === median) ?? noRun(packs);
});
const roundRatios = rounds.map((r) => {
  const cpu = (packs: number) => r.find((run) => run.packs === packs)?.cpuMs ?? NaN;
  return cpu(1000) / cpu(200);
});
const medianOf = (packs: number, pick: (r: InstallRun) => number) => percentile(runsOf(packs).map(pick), 50);
const mainRatio = medianOf(1000, (r) => r.mainMs) / medianOf(200, (r) => r.mainMs);
const spread = `per round ${percentile(roundRatios, 0).toFixed(2)}–${percentile(roundRatios, 100).toFixed(2)}`;

const at = (packs: number) => runs.find((r) => r.packs === packs) ?? noRun(packs);
const ratio = (pick: (r: InstallRun) => number) => pick(at(1000)) / pick(at(200));
const rows = [
  ...runs.map((r) => [
    `events per pack, ${r.packs} packs`,
    '≤ 12',
    (r.events / r.packs).toFixed(1),
    r.events / r.packs <= 12 ? 'ok' : 'FAIL',
  ]),
  ...runs.map((r) => [
    `engine CPU per pack, ${r.packs} packs (GCs in the install: ${String(r.gc.minor)} minor, ${String(r.gc.major)} major)`,
    '-',
    `${(r.cpuMs / r.packs).toFixed(3)} ms`,
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
console.log(
  `STATUS EVENTS AND ENGINE CPU PER INSTALL (${WAVES} waves, fake kube; load ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)})`,
);
console.log(table(['figure', 'target', 'measured', 'verdict'], rows));
mkdirSync(dirname(values.json), { recursive: true });
writeFileSync(
  values.json,
  `${JSON.stringify({ waves: WAVES, load: [loadBefore, loadAfter], runs, rounds, roundRatios }, null, 2)}\n`,
);
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
