// The benchmark suite in one command (`make bench`, or `npx tsx bench/run.ts`): runs each bench below in its
// own process, one after the other (they share 2 cores with nothing else of ours), collects the
// `BENCH_RESULT {json}` lines they print (bench/result.ts), and ends with one table
// figure | target | measured | verdict, also written as JSON to bench/results/latest.json (git-ignored).
// Each bench's whole output goes to bench/results/<name>.log. A bench that fails or overruns its time limit
// gets an ERROR row and the suite goes on. Asserts nothing: the verdicts are for a reader.
//
//   npx tsx bench/run.ts [--only name,name] [--skip name,name] [--list]
//
// Repetitions are cut to fit the suite in 20 minutes on a 2-core machine (each step says what it runs); run a
// bench on its own with its defaults for steadier numbers.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { formatMeasured, parseResultLine, Verdict, verdictOf, type BenchResult } from './result.js';

const repoRoot = join(import.meta.dirname, '..');
const resultsDir = join(repoRoot, 'bench', 'results');

interface Step {
  readonly name: string;
  readonly file: string;
  readonly args: readonly string[];
  /** Killed (and reported as ERROR) after this long. */
  readonly limitMinutes: number;
}

const STEPS: readonly Step[] = [
  // Growth with packs: events and engine CPU per install at 20 / 200 / 1,000 packs (fake kube, no control plane).
  { name: 'engine-events', file: 'bench/engine-events.bench.ts', args: [], limitMinutes: 4 },
  // Idle hub RSS: the compiled hub only, one run (the full bench also runs the tsx hub and --optimize-for-size).
  { name: 'hub-rss', file: 'bench/hub-rss.bench.ts', args: ['--suite'], limitMinutes: 3 },
  // P2: install wall time vs the critical-path lower bound and kubectl per wave at 20, 200 and 1,000 packs, and
  // vs a sequential helm loop at 20 (over an hour at 1,000).
  {
    name: 'install-compare',
    file: 'bench/install-compare.bench.ts',
    args: ['--sizes', '20,200,1000', '--helm-up-to', '20'],
    limitMinutes: 15,
  },
  // P1, and RSS / idle CPU at 1k / 10k / 50k objects spread over 5 clusters (the issue's "across clusters"):
  // 10 delete/re-create cycles (20 by default), 10 s for RSS to settle and 5 s of idle CPU per step. Its fan-out
  // part is sse-fanout's (--clients 0).
  {
    name: 'hub-scale',
    file: 'bench/hub-scale.bench.ts',
    args: [
      '--clients',
      '0',
      '--cycles',
      '10',
      '--clusters',
      '5',
      '--settle-ms',
      '10000',
      '--idle-ms',
      '5000',
    ],
    limitMinutes: 16,
  },
  // SSE fan-out to 10,000 clients in 4 other processes, one event's delivery at a time.
  { name: 'sse-fanout', file: 'bench/sse-fanout.bench.ts', args: ['--cycles', '10'], limitMinutes: 4 },
  // Page reads with 20 concurrent readers in another process, 200 packs, 200 reads each (a spell of ~1.5 s).
  { name: 'page-readers', file: 'bench/page-readers.bench.ts', args: ['--reads', '200'], limitMinutes: 5 },
  // helm renders off the event loop: event-loop delay during a burst of renders, direct spawn vs the spawner.
  { name: 'helm-spawn', file: 'bench/helm-spawn.bench.ts', args: [], limitMinutes: 3 },
  // Status writes and reads on SQLite and PostgreSQL.
  {
    name: 'store',
    file: 'bench/store.bench.ts',
    args: ['--seconds', '3', '--reads', '200'],
    limitMinutes: 3,
  },
];

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    skip: { type: 'string' },
    list: { type: 'boolean', default: false },
  },
});
const names = (list: string | undefined) => new Set(list?.split(',').map((s) => s.trim()) ?? []);
const only = names(values.only);
const skip = names(values.skip);
for (const name of [...only, ...skip])
  if (!STEPS.some((s) => s.name === name))
    throw new Error(`no bench step named "${name}": the steps are ${STEPS.map((s) => s.name).join(', ')}`);
if (values.list) {
  for (const s of STEPS) console.log(`${s.name.padEnd(16)} ${s.file} ${s.args.join(' ')}`);
  process.exit(0);
}
const steps = STEPS.filter((s) => (only.size === 0 || only.has(s.name)) && !skip.has(s.name));

interface StepRun {
  readonly name: string;
  readonly seconds: number;
  readonly exit: number | string;
  readonly results: readonly BenchResult[];
}

const progress = (line: string) => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

/** Runs one bench with tsx; its output goes to its log, its result lines are kept. */
async function run(step: Step): Promise<StepRun> {
  const log = createWriteStream(join(resultsDir, `${step.name}.log`));
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, step.file), ...step.args], {
    cwd: repoRoot,
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so an overrun kills the bench's children (client processes, hubs) with it.
    detached: true,
  });
  const results: BenchResult[] = [];
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    log.write(`${line}\n`);
    results.push(...parseResultLine(line));
  });
  child.stderr.on('data', (chunk: Buffer) => log.write(chunk));
  const limit = { overran: false };
  const timer = setTimeout(() => {
    limit.overran = true;
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGINT');
    // A bench that does not stop on SIGINT within 30 s is killed.
    setTimeout(() => {
      if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, 30_000).unref();
  }, step.limitMinutes * 60_000);
  const code = await new Promise<number | string>((done) => {
    child.on('exit', (exitCode, signal) => {
      done(exitCode ?? signal ?? 'unknown');
    });
  });
  clearTimeout(timer);
  await new Promise((done) => log.end(done));
  const exit = limit.overran ? `over ${String(step.limitMinutes)} min` : code;
  return { name: step.name, seconds: (performance.now() - started) / 1000, exit, results };
}

/** Busy and total CPU time of the whole machine so far (the first line of /proc/stat, in clock ticks). */
function machineTicks(): { busy: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
  return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
}

/** Below this share of the machine's CPU busy over a second, the machine is quiet enough to start a bench. */
const QUIET_SHARE = 0.25;
/** The longest wait for a quiet machine before a bench starts anyway. */
const QUIET_WAIT_MS = 60_000;

/**
 * Waits until the machine's CPU is less than QUIET_SHARE busy over a second (at most QUIET_WAIT_MS), so a bench
 * does not start while the previous one's processes are still going away (a control plane stopping, 10,000
 * client sockets closing, etcd compacting): those seconds were charged to the next bench's latencies. Returns
 * the seconds waited and the last second's busy share.
 */
async function quietMachine(): Promise<{ waitedS: number; busy: number }> {
  const started = performance.now();
  for (;;) {
    const before = machineTicks();
    await new Promise((done) => setTimeout(done, 1000));
    const after = machineTicks();
    const busy = (after.busy - before.busy) / Math.max(1, after.total - before.total);
    const waited = performance.now() - started;
    if (busy < QUIET_SHARE || waited >= QUIET_WAIT_MS) return { waitedS: waited / 1000, busy };
  }
}

mkdirSync(resultsDir, { recursive: true });
const startedAt = new Date();
const loadBefore = loadavg();
const runs: StepRun[] = [];
for (const step of steps) {
  const quiet = await quietMachine();
  progress(
    `machine quiet after ${quiet.waitedS.toFixed(0)} s (${(quiet.busy * 100).toFixed(0)} % of ` +
      `${String(cpus().length)} cores busy${quiet.busy >= QUIET_SHARE ? ': started anyway' : ''})`,
  );
  progress(`${step.name}: ${step.file} ${step.args.join(' ')} (log: bench/results/${step.name}.log)`);
  const r = await run(step);
  runs.push(r);
  progress(
    `${step.name}: ${r.exit === 0 ? 'done' : `FAILED (${String(r.exit)})`} in ${r.seconds.toFixed(0)} s, ` +
      `${String(r.results.length)} figures, load average ${loadavg()[0]?.toFixed(2) ?? '?'}`,
  );
}
const seconds = (Date.now() - startedAt.getTime()) / 1000;

interface Row {
  readonly bench: string;
  readonly figure: string;
  readonly target: string;
  readonly measured: string;
  readonly verdict: Verdict;
  readonly value: number;
  readonly unit: string;
}
const rows: Row[] = runs.flatMap((r) => {
  const figures = r.results.map((result) => ({
    bench: r.name,
    figure: result.figure,
    target: result.target,
    measured: formatMeasured(result),
    verdict: result.verdict ?? verdictOf(result.target, result.measured),
    value: result.measured,
    unit: result.unit,
  }));
  if (r.exit === 0 && figures.length > 0) return figures;
  const why = r.exit === 0 ? 'printed no BENCH_RESULT line' : `exited: ${String(r.exit)}`;
  return [
    ...figures,
    {
      bench: r.name,
      figure: `${why} (see bench/results/${r.name}.log)`,
      target: '-',
      measured: '-',
      verdict: Verdict.Error,
      value: Number.NaN,
      unit: '',
    },
  ];
});

const header = ['figure', 'target', 'measured', 'verdict'] as const;
const cells = rows.map((r) => [`${r.bench}: ${r.figure}`, r.target, r.measured, r.verdict]);
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
const line = (c: readonly string[]) =>
  c
    .map((cell, i) => cell.padEnd(widths[i] ?? 0))
    .join(' | ')
    .trimEnd();
const load = loadavg();
console.log('');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const c of cells) console.log(line(c));
const count = (v: Verdict) => rows.filter((r) => r.verdict === v).length;
console.log(
  `\n${String(count(Verdict.Pass))} PASS, ${String(count(Verdict.Fail))} FAIL, ${String(count(Verdict.Error))} ERROR, ` +
    `${String(count(Verdict.Info))} info; ${(seconds / 60).toFixed(1)} min; load average before ` +
    `${loadBefore.map((n) => n.toFixed(2)).join(' ')}, after ${load.map((n) => n.toFixed(2)).join(' ')}`,
);
const json = join(resultsDir, 'latest.json');
writeFileSync(
  json,
  `${JSON.stringify(
    {
      startedAt: startedAt.toISOString(),
      seconds: Math.round(seconds),
      loadAverage: { before: loadBefore, after: load },
      node: process.version,
      steps: runs.map((r) => ({ name: r.name, seconds: Math.round(r.seconds), exit: r.exit })),
      results: rows.map(({ bench, figure, target, value, unit, verdict }) => ({
        bench,
        figure,
        target,
        measured: Number.isFinite(value) ? value : null,
        unit,
        verdict,
      })),
    },
    null,
    2,
  )}\n`,
);
console.log(`JSON: ${json}`);
