// Engine benchmark (issue 4, Performance): status latency with 2,000 watched objects, and install overhead of a
// 20-pack profile against its waves' readiness times. Prints numbers; asserts nothing about time.
//
//   export PATH=$(scripts/ensure-node)/bin:node_modules/.bin:$PATH
//   npx tsx bench/engine.bench.ts
//
// Starts its own control plane (`bench-engine`, 3 kwok nodes) and always takes it down again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { down, up } from '../testenv/src/controlplane.js';
import { measureInstall, type InstallResult } from './engine/install.js';
import { measureLatency, type LatencyResult } from './engine/latency.js';
import { mib, ms, summarize, table, type Summary } from './engine/stats.js';

const CP = 'bench-engine';
const LATENCY_TARGET_MS = 100;
const OVERHEAD_TARGET_PCT = 10;

const log = (line: string) => {
  process.stderr.write(`[bench] ${line}\n`);
};

let stopping: Promise<void> | undefined;
const teardown = (): Promise<void> => (stopping ??= down({ name: CP }));

process.once('SIGINT', () => {
  log('interrupted: taking the control plane down');
  void teardown().finally(() => process.exit(130));
});

function latencyReport(r: LatencyResult): string {
  const row = (label: string, s: Summary): string[] => [label, String(s.n), ms(s.p50), ms(s.p99), ms(s.max)];
  const of = (
    source: 'configmap' | 'deployment' | 'all',
    pick: (s: LatencyResult['samples'][number]) => number | undefined,
  ) =>
    summarize(
      r.samples
        .filter((s) => source === 'all' || s.source === source)
        .flatMap((s) => {
          const v = pick(s);
          return v === undefined ? [] : [v];
        }),
    );
  const wire = of('all', (s) => s.fromWire);
  const rows = [
    row('watch event → status (all)', wire),
    row(
      '  ConfigMap delete/re-create',
      of('configmap', (s) => s.fromWire),
    ),
    row(
      '  Deployment scale (pods/RS/Deployment)',
      of('deployment', (s) => s.fromWire),
    ),
    row(
      'handler called → status (all)',
      of('all', (s) => s.fromHandler),
    ),
    row(
      'API call → status, ConfigMap',
      of('configmap', (s) => s.endToEnd),
    ),
    row(
      'API call → first status, Deployment',
      of('deployment', (s) => s.endToEnd),
    ),
  ];
  const handled = [...r.handled].map(([kind, h]) => [
    kind,
    String(h.calls),
    ms(h.totalMs / Math.max(1, h.calls)),
    ms(h.maxMs),
    ms(h.totalMs),
  ]);
  const mem = (m: NodeJS.MemoryUsage) =>
    `rss ${mib(m.rss)}, heap used ${mib(m.heapUsed)} / total ${mib(m.heapTotal)}, external ${mib(m.external)}`;
  return [
    `1. STATUS LATENCY (${r.objects} watched objects, ${r.samples.length} colour changes)`,
    table(['measure', 'n', 'p50', 'p99', 'max'], rows),
    `p99 watch event → status: ${ms(wire.p99)} — target < ${LATENCY_TARGET_MS} ms: ${wire.p99 < LATENCY_TARGET_MS ? 'MET' : 'MISSED'}`,
    `colour changes emitted outside a watch handler (not attributable): ${r.unattributed}`,
    '',
    'Watch handler cost (whole run, list deliveries included):',
    table(['kind', 'calls', 'mean', 'max', 'total'], handled),
    '',
    `Install of ${r.objects} objects: ${(r.installMs / 1000).toFixed(2)} s, ${r.statusEventsDuringInstall} PackStatusChanged events ` +
      `(${r.phaseChanges} changed a phase; ${r.missingToMissing} only turned one resource Missing/NotYetObserved → Missing/NotFound)`,
    `Memory before the runner: ${mem(r.baseline)}`,
    `Memory after install:     ${mem(r.memory)}`,
    r.memoryAfterGc ? `  after install and GC:   ${mem(r.memoryAfterGc)}` : '  (GC not available)',
  ].join('\n');
}

function installReport(r: InstallResult): string {
  const s = (v: number) => `${(v / 1000).toFixed(3)} s`;
  let previous = r.start;
  let engine = 0;
  const rows = r.waves.map((w) => {
    const readiness = w.ready - w.applied;
    const gapBefore = w.appliedStart - previous; // previous wave green (or start) → first apply
    const applying = w.applied - w.appliedStart;
    const toGreen = w.green - w.ready;
    engine += gapBefore + applying + toGreen;
    previous = w.green;
    return [String(w.wave), String(w.packs.length), ms(gapBefore), ms(applying), s(readiness), ms(toGreen)];
  });
  const wall = r.end - r.start;
  const sum = r.waves.reduce((n, w) => n + (w.ready - w.applied), 0);
  const overhead = wall - sum;
  const pct = (overhead / sum) * 100;
  return [
    `2. INSTALL OVERHEAD (${r.packs} packs, ${r.waves.length} waves)`,
    table(['wave', 'packs', 'start→apply', 'applying', 'readiness', 'ready→green'], rows),
    '',
    table(
      ['measure', 'value'],
      [
        ['wall time (setDesired → last pack green)', s(wall)],
        ['Σ wave readiness (last apply → last Ready)', s(sum)],
        ['overhead (wall − Σ readiness)', s(overhead)],
        ['  of which itemised above', s(engine)],
        ['overhead / Σ readiness', `${pct.toFixed(2)} %`],
      ],
    ),
    `overhead target < ${OVERHEAD_TARGET_PCT} %: ${pct < OVERHEAD_TARGET_PCT ? 'MET' : 'MISSED'}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-engine-'));
  try {
    await teardown();
    stopping = undefined;
    log('starting control plane…');
    const cp = await up({ name: CP, nodes: 3, log });
    const latency = await measureLatency(cp.kubeconfig, dir, log);
    const install = await measureInstall(cp.kubeconfig, dir, log);
    process.stdout.write(`\n${latencyReport(latency)}\n\n${installReport(install)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    log('taking the control plane down…');
    await teardown();
  }
}

await main();
