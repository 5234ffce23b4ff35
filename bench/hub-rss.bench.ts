// Idle memory of `strata serve` on an empty data dir (SQLite, no cluster): the hub run from src/ through tsx
// (how bin/strata ran it before issue 15) and from the compiled dist/ (how it runs now). Each is measured
// after its RSS stops dropping. Target (issue 15): an idle hub under 80 MiB RSS. Prints numbers; asserts
// nothing.
//
//   npx tsx bench/hub-rss.bench.ts [--runs 1] [--suite]   (each run of each row waits 20 s or more for RSS to
//   settle; --suite, as bench/run.ts runs it, measures the compiled hub only)
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { reportResult } from './result.js';
import {
  collectGarbage,
  mib,
  MiB,
  printTable,
  repoRoot,
  settledMemory,
  startHub,
  type HubMode,
  type Memory,
} from './hub-process.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '1' }, suite: { type: 'boolean', default: false } },
});
const runs = Number(values.runs);
const TARGET = 80 * MiB;

// dist/ must be what src/ says (the same check bin/strata makes).
execFileSync(join(repoRoot, 'scripts', 'build-dist'), { stdio: 'inherit' });

/**
 * The median run (by RSS) of `runs` fresh hubs, read once RSS stops dropping, or after a forced full GC
 * (through the inspector) with `gc`: the difference is startup garbage V8 has not collected yet.
 */
async function idle(
  mode: HubMode,
  options: { gc?: boolean; nodeFlags?: readonly string[] } = {},
): Promise<Memory> {
  const samples: Memory[] = [];
  for (let i = 0; i < runs; i++) {
    const hub = await startHub(mode, { inspect: options.gc === true, nodeFlags: options.nodeFlags ?? [] });
    try {
      if (options.gc === true) await collectGarbage(hub);
      samples.push(await settledMemory(hub.pid, { minMs: 20_000, maxMs: 40_000 }));
    } finally {
      await hub.stop();
    }
  }
  samples.sort((a, b) => a.rss - b.rss);
  const median = samples[Math.floor(samples.length / 2)];
  if (median === undefined) throw new Error('--runs must be at least 1');
  return median;
}

const dist = await idle('dist');
reportResult({
  figure: 'idle hub RSS, compiled, empty data dir, settled',
  target: '< 80',
  measured: dist.rss / MiB,
  unit: 'MiB',
});
if (values.suite) process.exit(0);
const tsx = await idle('tsx');

const distGc = await idle('dist', { gc: true });
// V8 trading speed for size (smaller heap growth steps, less inlining): not what bin/strata runs, printed to
// show what it would save.
const forSize = await idle('dist', { nodeFlags: ['--optimize-for-size'] });
const verdict = (bytes: number) => (bytes < TARGET ? 'PASS' : 'FAIL');
console.log(
  `idle strata serve, empty data dir, median of ${String(runs)} runs, after RSS stopped dropping ` +
    '(RSS includes ~45 MiB of the node binary shared with other node processes; PSS shares it out)',
);
printTable([
  ['idle hub RSS, tsx (before)', '< 80 MiB', mib(tsx.rss), verdict(tsx.rss)],
  ['idle hub RSS, dist (after)', '< 80 MiB', mib(dist.rss), verdict(dist.rss)],
  ['idle hub RSS, dist, after a full GC', '< 80 MiB', mib(distGc.rss), verdict(distGc.rss)],
  ['idle hub RSS, dist, --optimize-for-size', '< 80 MiB', mib(forSize.rss), verdict(forSize.rss)],
  ['idle hub PSS, tsx (before)', '-', mib(tsx.pss), 'info'],
  ['idle hub PSS, dist (after)', '-', mib(dist.pss), 'info'],
  ['RSS dist / tsx', '-', (dist.rss / tsx.rss).toFixed(2), 'info'],
]);
