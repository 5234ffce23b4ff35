// One measured install for bench/engine-events.bench.ts, in a process of its own (started with bin/strata's
// node flags): `--packs` manifest packs in 5 waves on the in-memory fake kube, running the engine bundled as
// bin/strata runs it, after one unmeasured warm-up install of `--warmup` packs (1,000 by default, the
// same for every size) so that module loading and the JIT's tiering up are charged to neither figure: with a
// 200-pack warm-up, functions still being optimised during the measured 1,000-pack install cost it up to
// twice the CPU of a later one. Prints an InstallRun as JSON, the last line of its stdout.
//
// CPU is this process's (user + system, every thread: V8's GC and compiler threads included), read around:
// - the install: setDesired() → every pack green;
// - a closing full GC right after it, which collects what the install left (its garbage is charged to it,
//   not to whatever runs next) and marks what it keeps;
// - a reference full GC right before the install (the median of 3), on the heap as it was: what marking
//   the process's own heap (modules, compiled code) costs, which the closing GC pays again and is not
//   the install's.
// cpuMs = install + closing GC − reference GC.
//
// `--cpu-profile FILE` writes a V8 CPU profile (.cpuprofile) of the install and its closing GC;
// `--heap-profile FILE` a sampling heap profile (.heapprofile) of what they allocated. Both cost CPU: read
// their figures apart from the bench's.
//
// Node runs this file as it is (its types stripped), without tsx: the process holds the engine and little else.
//
//   node --expose-gc bench/engine/events-install.ts --engine BUNDLE --packs 1000 [--waves 5]
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { setImmediate } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { RunnerEvent } from '../../src/engine/events.js';

// The engine as bin/strata runs it: bundled by esbuild (bench/engine-events.bench.ts builds `--engine` from
// engine-entry.ts as scripts/build-dist bundles the hub), not transformed by tsx at load time (tsx wraps every
// function in a naming helper, which allocates on each closure created).
const { values } = parseArgs({
  options: {
    engine: { type: 'string' },
    packs: { type: 'string' },
    waves: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1000' },
    'cpu-profile': { type: 'string' },
    'heap-profile': { type: 'string' },
  },
});
if (values.engine === undefined) throw new Error('--engine: the bundle of bench/engine/engine-entry.ts');
const { FakeKube, ClusterRunner, wavedPacks } = (await import(
  pathToFileURL(values.engine).href
)) as typeof import('./engine-entry.js');

export interface InstallRun {
  readonly packs: number;
  /** PackStatusChanged events of the install. */
  readonly events: number;
  /** install + closing GC − reference GC, every thread. */
  readonly cpuMs: number;
  /** The same, the main thread only. */
  readonly mainMs: number;
  /** setDesired() → every pack green, every thread. */
  readonly installCpuMs: number;
  readonly closingGcCpuMs: number;
  readonly referenceGcCpuMs: number;
  /** setDesired() → every pack green. */
  readonly wallMs: number;
  /** GCs during the install (not the closing one): scavenges and mark-compacts, and their pause times. */
  readonly gc: { minor: number; minorMs: number; major: number; majorMs: number };
  /** Heap used before the install, and after the closing GC. */
  readonly heapBeforeMiB: number;
  readonly heapAfterMiB: number;
}

const forceGc = (globalThis as { gc?: () => void }).gc;
if (!forceGc) throw new Error('start node with --expose-gc (bench/engine-events.bench.ts does)');
const gc: () => void = forceGc;

interface Cpu {
  readonly all: NodeJS.CpuUsage;
  readonly main: NodeJS.CpuUsage;
}
const cpuNow = (): Cpu => ({ all: process.cpuUsage(), main: process.threadCpuUsage() });
const msOf = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
/** CPU ms from `from` to now: every thread, and the main thread. */
function since(from: Cpu): { all: number; main: number } {
  return { all: msOf(process.cpuUsage(from.all)), main: msOf(process.threadCpuUsage(from.main)) };
}

/** Counts the GCs V8 reports until the returned function is called. */
function countGcs(): () => InstallRun['gc'] {
  const counts = { minor: 0, minorMs: 0, major: 0, majorMs: 0 };
  const add = (entries: readonly PerformanceEntry[]) => {
    for (const entry of entries) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        counts.minor++;
        counts.minorMs += entry.duration;
      } else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        counts.major++;
        counts.majorMs += entry.duration;
      }
    }
  };
  const observer = new PerformanceObserver((list) => {
    add(list.getEntries());
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    // Entries are delivered asynchronously: take what is still buffered before disconnecting.
    add(observer.takeRecords());
    observer.disconnect();
    return counts;
  };
}

async function profiled(options: { cpuProfile?: string; heapProfile?: string }) {
  if (options.cpuProfile === undefined && options.heapProfile === undefined) return undefined;
  const session = new Session();
  session.connect();
  if (options.cpuProfile !== undefined) {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
  }
  if (options.heapProfile !== undefined)
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  return async () => {
    if (options.cpuProfile !== undefined)
      writeFileSync(options.cpuProfile, JSON.stringify((await session.post('Profiler.stop')).profile));
    if (options.heapProfile !== undefined)
      writeFileSync(
        options.heapProfile,
        JSON.stringify((await session.post('HeapProfiler.stopSampling')).profile),
      );
    session.disconnect();
  };
}

async function install(
  packs: number,
  options: { cpuProfile?: string; heapProfile?: string } = {},
): Promise<InstallRun> {
  // No log of requests: it would keep every applied object, memory the engine does not hold on a real cluster.
  const kube = new FakeKube({ listWatch: { backoff: { initialMs: 1, maxMs: 8 } }, recordActions: false });
  const desired = wavedPacks(packs, waves);
  // Counted as they come (an EventLog's latest() over every event would cost more than the engine).
  let events = 0;
  const green = new Set<string>();
  let allGreen = () => {};
  const done = new Promise<void>((resolve) => {
    allGreen = resolve;
  });
  const onEvent = (event: RunnerEvent) => {
    if (event.type !== 'PackStatusChanged') return;
    events++;
    if (event.status.phase === 'success') green.add(event.pack);
    else green.delete(event.pack);
    if (green.size === desired.length) allGreen();
  };
  const runner = new ClusterRunner({
    cluster: 'bench',
    kube,
    helmBin: '/nonexistent/helm: manifest packs only',
    onEvent,
  });
  await runner.start();
  gc();
  const references = [0, 1, 2].map(() => {
    const referenceFrom = cpuNow();
    gc();
    return since(referenceFrom);
  });
  const reference = references.sort((a, b) => a.all - b.all)[1] ?? { all: NaN, main: NaN };
  const heapBefore = process.memoryUsage().heapUsed;
  const stopProfiling = await profiled(options);
  const gcs = countGcs();
  const from = cpuNow();
  const start = performance.now();
  runner.setDesired(desired);
  await done;
  const wallMs = performance.now() - start;
  const installed = since(from);
  const gcCounts = gcs();
  const closingFrom = cpuNow();
  gc();
  const closing = since(closingFrom);
  await stopProfiling?.();
  const heapAfter = process.memoryUsage().heapUsed;
  runner.stop();
  // The reconcile it queued last runs (and returns, stopped) before the next install's reference GC, which
  // would otherwise still see this whole install's state.
  await setImmediate();
  const MiB = 2 ** 20;
  return {
    packs,
    events,
    cpuMs: installed.all + closing.all - reference.all,
    mainMs: installed.main + closing.main - reference.main,
    installCpuMs: installed.all,
    closingGcCpuMs: closing.all,
    referenceGcCpuMs: reference.all,
    wallMs,
    gc: gcCounts,
    heapBeforeMiB: heapBefore / MiB,
    heapAfterMiB: heapAfter / MiB,
  };
}

const waves = Number(values.waves);
const packs = Number(values.packs);
if (!Number.isInteger(packs) || packs < waves)
  throw new Error(`--packs: a whole number ≥ --waves (${waves})`);
await install(Number(values.warmup));
const result = await install(packs, {
  ...(values['cpu-profile'] === undefined ? {} : { cpuProfile: values['cpu-profile'] }),
  ...(values['heap-profile'] === undefined ? {} : { heapProfile: values['heap-profile'] }),
});
// The last line of stdout.
console.log(JSON.stringify(result));
