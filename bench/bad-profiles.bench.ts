// Hub memory under bad input (issue 12, "Tests"): a compiled `strata serve` process (as bin/strata runs it) on
// an empty data dir gets 300 generated bad profiles (invalid YAML, alias bombs, a self-referencing alias, deep
// nesting, huge strings, unknown fields, a ReDoS variable regex, an unclosed macro), each sent to
// POST /api/v1/profiles/validate and POST /api/v1/profiles with a client timeout. RSS is read before (after it
// settles), sampled during (peak), and after the pass once it stops dropping. Target: the end within 50 MB of
// the start. Prints numbers and each kind's answers; asserts nothing.
//
//   npx tsx bench/bad-profiles.bench.ts [--count 300] [--timeout-ms 10000] [--depth 5000]
//     [--huge-chars 1500000] [--redos-chars 24]
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { badProfiles, type BadKind } from './bad-profiles.js';
import {
  collectGarbage,
  mib,
  peakSampler,
  printTable,
  repoRoot,
  settledMemory,
  startHub,
} from './hub-process.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '300' },
    'timeout-ms': { type: 'string', default: '10000' },
    depth: { type: 'string', default: '5000' },
    'huge-chars': { type: 'string', default: '1500000' },
    'redos-chars': { type: 'string', default: '24' },
  },
});
const count = Number(values.count);
const timeoutMs = Number(values['timeout-ms']);
const TARGET = 50e6; // 50 MB, as issue 12 states it

execFileSync(join(repoRoot, 'scripts', 'build-dist'), { stdio: 'inherit' });

const profiles = badProfiles(count, {
  depth: Number(values.depth),
  hugeChars: Number(values['huge-chars']),
  redosChars: Number(values['redos-chars']),
});
const endpoints = ['/api/v1/profiles/validate', '/api/v1/profiles'] as const;

/** Per kind and endpoint: how many answers of each status ("timeout" when the client gave up). */
const answers = new Map<string, Map<string, number>>();
const slowest = new Map<BadKind, number>();
function record(kind: BadKind, endpoint: string, outcome: string, ms: number): void {
  const key = `${kind} -> ${endpoint}`;
  const counts = answers.get(key) ?? new Map<string, number>();
  counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  answers.set(key, counts);
  slowest.set(kind, Math.max(slowest.get(kind) ?? 0, ms));
}

const hub = await startHub('dist', { inspect: true });
try {
  await collectGarbage(hub); // the start as clean as the end below gets
  const start = await settledMemory(hub.pid, { minMs: 20_000 });
  const sampler = peakSampler(hub.pid);
  const began = Date.now();
  for (const { kind, yaml } of profiles) {
    for (const endpoint of endpoints) {
      const t0 = performance.now();
      let outcome: string;
      try {
        const response = await fetch(`${hub.url}${endpoint}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${hub.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ yaml }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        await response.arrayBuffer();
        outcome = String(response.status);
      } catch (error) {
        outcome = error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'connection error';
      }
      record(kind, endpoint, outcome, performance.now() - t0);
    }
  }
  const passSeconds = (Date.now() - began) / 1000;
  const peak = await sampler.stop();
  const end = await settledMemory(hub.pid, {
    intervalMs: 1000,
    stableSamples: 10,
    minMs: 20_000,
    maxMs: 120_000,
  });
  const growth = end.rss - start.rss;
  // What is still held once garbage is collected: a leak shows here, lazy collection does not.
  await collectGarbage(hub);
  const collected = await settledMemory(hub.pid, { intervalMs: 500, stableSamples: 4, maxMs: 30_000 });
  const retained = collected.rss - start.rss;

  console.log(
    `${String(count)} bad profiles x ${String(endpoints.length)} endpoints in ${passSeconds.toFixed(1)} s ` +
      `(client timeout ${String(timeoutMs)} ms), compiled hub on an empty SQLite data dir`,
  );
  printTable([
    ['hub RSS at start (settled)', '-', mib(start.rss), 'info'],
    ['hub RSS peak during the pass', '-', mib(peak), 'info'],
    ['hub RSS at end (settled)', '-', mib(end.rss), 'info'],
    ['end - start', '< 50 MB (47.7 MiB)', mib(growth), growth < TARGET ? 'PASS' : 'FAIL'],
    ['hub RSS after a forced full GC', '-', mib(collected.rss), 'info'],
    ['after GC - start', '< 50 MB (47.7 MiB)', mib(retained), retained < TARGET ? 'PASS' : 'FAIL'],
  ]);
  console.log('\nanswers (status: count), slowest request per kind');
  for (const [key, counts] of answers) {
    const kind = key.split(' -> ')[0] as BadKind;
    const shown = [...counts].map(([status, n]) => `${status}: ${String(n)}`).join(', ');
    console.log(`  ${key.padEnd(56)} ${shown.padEnd(30)} slowest ${(slowest.get(kind) ?? 0).toFixed(0)} ms`);
  }
} finally {
  await hub.stop();
}
