// Hub-side figures of a hub in its own process, taken through its inspector (bench/hub-process.ts starts it with
// `inspect: true`), so the hub runs exactly the code bin/strata runs and nothing is added to it but while a bench
// measures: the time per request (diagnostics_channel 'http.server.request.start' → 'http.server.response.finish',
// the same span as a 'request' listener → the response's 'finish'; per read when the request names one), the event-loop delay
// (perf_hooks.monitorEventLoopDelay, 1 ms resolution), garbage collections with their pauses
// (PerformanceObserver 'gc' entries) and the process's CPU. A CPU profile of the same spell is optional.
import { writeFile } from 'node:fs/promises';
import type { InspectorSession } from '../hub-process.js';
import { summarize, type Summary } from '../engine/stats.js';

/** What the hub did between `start()` and `stop()`. */
export interface HubSpell {
  /** Each request's time at the hub, ms: request start → last byte of the response handed to the socket. */
  readonly requests: Summary;
  /**
   * The requests that named a bench read (`x-bench-read: <n>`): when the hub began each (its HTTP parser handed
   * it over) and when it wrote the last byte, ms on process.hrtime's clock (CLOCK_MONOTONIC, shared by every
   * process of the machine, so a reader's own times compare with these).
   */
  readonly reads: readonly { readonly id: number; readonly start: number; readonly finish: number }[];
  readonly loopDelay: { readonly p50: number; readonly p99: number; readonly max: number };
  /** CPU (user + system) over the spell, ms. */
  readonly cpuMs: number;
  /** Collections in the spell: how many, their pauses' total and longest, ms, by kind (scavenge, mark-compact, …). */
  readonly gc: {
    readonly count: number;
    readonly totalMs: number;
    readonly maxMs: number;
    readonly byKind: Readonly<Record<string, { count: number; totalMs: number; maxMs: number }>>;
  };
  /** Statements prepared (better-sqlite3) or parsed (pg Parse messages) by the hub since the probe was installed. */
  readonly prepared: number;
}

// Evaluated in the hub's global scope: plain JavaScript, no imports (process.getBuiltinModule), state on one
// global. Installed once; start() resets what a spell counts.
const INSTALL = `(() => {
  if (globalThis.__benchProbe) return true;
  const perf = process.getBuiltinModule('node:perf_hooks');
  const channels = process.getBuiltinModule('node:diagnostics_channel');
  const { createRequire } = process.getBuiltinModule('node:module');
  const probe = { on: false, starts: new WeakMap(), times: [], reads: [], gc: [], delay: undefined, cpu: undefined, prepared: 0 };
  const clock = () => Number(process.hrtime.bigint()) / 1e6;
  channels.subscribe('http.server.request.start', ({ request, response }) => {
    if (probe.on) probe.starts.set(response, { at: clock(), read: request.headers['x-bench-read'] });
  });
  channels.subscribe('http.server.response.finish', ({ response }) => {
    const start = probe.starts.get(response);
    if (start === undefined) return;
    const at = clock();
    probe.times.push(at - start.at);
    if (start.read !== undefined) probe.reads.push([Number(start.read), start.at, at]);
  });
  new perf.PerformanceObserver((list) => {
    if (!probe.on) return;
    for (const e of list.getEntries()) probe.gc.push({ kind: e.detail?.kind ?? 0, ms: e.duration });
  }).observe({ entryTypes: ['gc'] });
  // The database drivers the hub loaded (the same module instances: required from the hub's own path).
  const require = createRequire(process.argv[1]);
  try {
    const Database = require('better-sqlite3');
    const prepare = Database.prototype.prepare;
    Database.prototype.prepare = function (...args) { probe.prepared++; return prepare.apply(this, args); };
  } catch {}
  try {
    const Connection = require('pg').Connection;
    const parse = Connection.prototype.parse;
    Connection.prototype.parse = function (...args) { probe.prepared++; return parse.apply(this, args); };
  } catch {}
  globalThis.__benchProbe = probe;
  return true;
})()`;

const START = `(() => {
  const probe = globalThis.__benchProbe;
  probe.times = []; probe.reads = []; probe.gc = []; probe.starts = new WeakMap();
  probe.delay = process.getBuiltinModule('node:perf_hooks').monitorEventLoopDelay({ resolution: 1 });
  probe.delay.enable();
  probe.cpu = process.cpuUsage();
  probe.on = true;
  return true;
})()`;

const STOP = `(() => {
  const probe = globalThis.__benchProbe;
  probe.on = false;
  probe.delay.disable();
  const cpu = process.cpuUsage(probe.cpu);
  const ns = (p) => probe.delay.percentile(p) / 1e6;
  return JSON.stringify({
    times: probe.times, reads: probe.reads, gc: probe.gc, cpuMs: (cpu.user + cpu.system) / 1000,
    delay: { p50: ns(50), p99: ns(99), max: probe.delay.max / 1e6 },
  });
})()`;

const PREPARED = `globalThis.__benchProbe.prepared`;

// perf_hooks' NODE_PERFORMANCE_GC_* kinds.
const GC_KINDS: Readonly<Record<number, string>> = {
  1: 'scavenge',
  2: 'mark-compact',
  4: 'incremental marking',
  8: 'weak callbacks',
  16: 'minor mark-sweep',
};

async function evaluate(session: InspectorSession, expression: string): Promise<unknown> {
  const reply = (await session.call('Runtime.evaluate', { expression, returnByValue: true })) as {
    result: { value?: unknown };
    exceptionDetails?: { exception?: { description?: string }; text: string };
  };
  if (reply.exceptionDetails !== undefined)
    throw new Error(
      `the hub probe failed: ${reply.exceptionDetails.exception?.description ?? reply.exceptionDetails.text}`,
    );
  return reply.result.value;
}

export interface LoopProbe {
  /**
   * Starts a spell; with `cpuProfile`, the hub's CPU is sampled (every 250 µs) until `stop()`; with
   * `allocationProfile`, every allocation (garbage included: what makes the scavenges), sampled every 4 KiB.
   */
  start(options?: { cpuProfile?: string; allocationProfile?: string }): Promise<void>;
  stop(): Promise<HubSpell>;
  /** Statements prepared since the probe was installed. */
  prepared(): Promise<number>;
}

/** Installs the probe in the hub (once per session's hub; safe to call again). */
export async function loopProbe(session: InspectorSession): Promise<LoopProbe> {
  await evaluate(session, INSTALL);
  let profileTo: string | undefined;
  let allocationsTo: string | undefined;
  return {
    async start(options = {}) {
      profileTo = options.cpuProfile;
      allocationsTo = options.allocationProfile;
      if (allocationsTo !== undefined)
        await session.call('HeapProfiler.startSampling', {
          samplingInterval: 4096,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: true,
        });
      if (profileTo !== undefined) {
        await session.call('Profiler.enable');
        await session.call('Profiler.setSamplingInterval', { interval: 250 });
        await session.call('Profiler.start');
      }
      await evaluate(session, START);
    },
    async stop() {
      const raw = JSON.parse(String(await evaluate(session, STOP))) as {
        times: number[];
        reads: [number, number, number][];
        gc: { kind: number; ms: number }[];
        cpuMs: number;
        delay: { p50: number; p99: number; max: number };
      };
      if (profileTo !== undefined) {
        const { profile } = (await session.call('Profiler.stop')) as { profile: unknown };
        await writeFile(profileTo, JSON.stringify(profile));
        await session.call('Profiler.disable');
      }
      if (allocationsTo !== undefined) {
        const { profile } = (await session.call('HeapProfiler.getSamplingProfile')) as { profile: unknown };
        await session.call('HeapProfiler.stopSampling');
        await writeFile(allocationsTo, JSON.stringify(profile));
      }
      const byKind: Record<string, { count: number; totalMs: number; maxMs: number }> = {};
      for (const { kind, ms } of raw.gc) {
        const name = GC_KINDS[kind] ?? `kind ${String(kind)}`;
        const k = (byKind[name] ??= { count: 0, totalMs: 0, maxMs: 0 });
        k.count++;
        k.totalMs += ms;
        k.maxMs = Math.max(k.maxMs, ms);
      }
      return {
        requests: summarize(raw.times),
        reads: raw.reads.map(([id, start, finish]) => ({ id, start, finish })),
        loopDelay: raw.delay,
        cpuMs: raw.cpuMs,
        gc: {
          count: raw.gc.length,
          totalMs: raw.gc.reduce((sum, g) => sum + g.ms, 0),
          maxMs: Math.max(0, ...raw.gc.map((g) => g.ms)),
          byKind,
        },
        prepared: Number(await evaluate(session, PREPARED)),
      };
    },
    prepared: async () => Number(await evaluate(session, PREPARED)),
  };
}
