// Fast reads (issue 15, item 4): p99 of GET /api/v1/clusters/{c}/page for a 200-pack cluster with 20 readers at
// once, the readers in another process (so their parsing is not charged to the hub's event loop): plain reads,
// and reads that send the ETag they hold (If-None-Match → 304 while nothing changed). The packs are installed
// for real on a control plane until green (the page is built from the runner's live statuses).
// Prints figure → target → measured → verdict and writes JSON. Asserts nothing.
//
// Where a read's time goes, measured on both sides: the readers time each GET (send → last byte) and their own
// CPU; the hub (in this process) times each request from its 'request' event to its last byte written, and its
// event-loop delay (perf_hooks.monitorEventLoopDelay) during the reads. The reads start once the hub is quiet
// (no hub event for 2 s): right after "all green" the engine is still recording statuses and re-planning, which
// blocks the event loop for tens of milliseconds at a time, and that is an install's cost, not a page read's.
// The 20 readers are 20 concurrent loops in ONE other process (not 20 processes: on 2 cores, 20 client processes
// would take the cores from the hub they measure), each sending its next GET as soon as the last one ends:
// a closed loop, so a read's latency is the queue of the 20 in flight times what each costs both processes.
//
// Also counts the SQL statements prepared during the install (issue 15: prepared statements cached): better-sqlite3
// prepares and PostgreSQL Parse messages, counted by patching the drivers, so the count means the same before and
// after a change to the store.
//
//   npx tsx bench/page-readers.bench.ts [--packs 200] [--readers 20] [--reads 50] [--store sqlite|postgres]
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { dirname } from 'node:path';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { parseArgs, promisify } from 'node:util';
import { down, up } from '../testenv/src/controlplane.js';
import SqliteDatabase from 'better-sqlite3';
import type pgModule from 'pg';
import { PostgresBackend, SqliteBackend } from '../src/store/testing/backends.js';
import type { Hub } from '../src/hub/index.js';
import { startTestHub } from '../src/server/testing/server.js';
import { ms, summarize, table, type Summary } from './engine/stats.js';
import { reportResult } from './result.js';

const { values } = parseArgs({
  options: {
    packs: { type: 'string', default: '200' },
    readers: { type: 'string', default: '20' },
    reads: { type: 'string', default: '50' },
    json: { type: 'string', default: 'test-results/bench/page-readers.json' },
    store: { type: 'string', default: 'sqlite' },
  },
});
const packs = Number(values.packs);
const readers = Number(values.readers);
const reads = Number(values.reads);
// Per process: helpers and the bench runner may run this bench at the same time on one machine.
const CP = `page-bench-${String(process.pid)}`;
const TARGET_P99_MS = 20;

/** Statements the database drivers prepared (SQLite) or parsed (PostgreSQL Parse messages) so far. */
let prepared = 0;
// eslint-disable-next-line @typescript-eslint/unbound-method -- called with its `this` below
const sqlitePrepare = SqliteDatabase.prototype.prepare;
SqliteDatabase.prototype.prepare = function (this: SqliteDatabase.Database, sql: string) {
  prepared++;
  return sqlitePrepare.call(this, sql);
} as typeof sqlitePrepare;
const pg = createRequire(import.meta.url)('pg') as typeof pgModule & {
  Connection: { prototype: { parse: (...args: unknown[]) => unknown } };
};
// eslint-disable-next-line @typescript-eslint/unbound-method -- called with its `this` below
const pgParse = pg.Connection.prototype.parse;
pg.Connection.prototype.parse = function (this: unknown, ...args: unknown[]) {
  prepared++;
  return pgParse.apply(this, args);
};

function profile(n: number): string {
  const lines = ['apiVersion: strata.dev/v1alpha1', 'kind: ClusterProfile', 'metadata: { name: bench }'];
  lines.push('spec:', '  version: 1.0.0', '  type: add-on', '  packs:');
  for (let i = 0; i < n; i++) {
    lines.push(
      `    - name: cm-${String(i)}`,
      '      layer: addon',
      '      version: 1.0.0',
      '      type: manifest',
      '      namespace: bench',
      '      manifests:',
      `        - { apiVersion: v1, kind: ConfigMap, metadata: { name: cm-${String(i)} }, data: { i: "${String(i)}" } }`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The readers' process: `readers` loops of `reads` GETs each, all at once; prints the latencies as JSON. Plain
 * node:http on kept-alive connections, the body counted and not decoded: fetch() cost this process 0.96 ms of
 * CPU per read (twice the hub's), and with 20 reads in flight in one process that alone queued each read ~20 ms.
 */
const READER = `
const http = require('node:http');
const [url, token, readers, reads, conditional] = process.argv.slice(1);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(readers) });
const times = [];
let etag;
let bytes = 0;
let notModified = 0;
function get(headers) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers }, (res) => {
      let size = 0;
      res.on('data', (chunk) => { size += chunk.length; });
      res.on('end', () => resolve({ status: res.statusCode, etag: res.headers.etag, size }));
    });
    req.on('error', reject);
  });
}
async function loop() {
  for (let i = 0; i < Number(reads); i++) {
    const headers = { authorization: 'Bearer ' + token };
    if (conditional === 'yes' && etag) headers['if-none-match'] = etag;
    const start = performance.now();
    const res = await get(headers);
    times.push(performance.now() - start);
    if (res.status === 304) notModified++;
    else if (res.status === 200) { bytes = res.size; etag = res.etag; }
    else throw new Error('GET ' + url + ': HTTP ' + res.status);
  }
}
(async () => {
  const first = await get({ authorization: 'Bearer ' + token });
  etag = first.etag;
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: Number(readers) }, loop));
  const used = process.cpuUsage(cpu);
  process.stdout.write(JSON.stringify({ times, bytes, notModified, cpuMs: (used.user + used.system) / 1000 }));
  agent.destroy();
})();
`;

interface Readers {
  readonly summary: Summary;
  readonly bytes: number;
  readonly notModified: number;
  /** The readers' process CPU per read, ms. */
  readonly readerCpuMs: number;
  /** The hub's own time per request: its 'request' event → the response's last byte written. */
  readonly hubSide: Summary;
  /** The hub's event-loop delay during the reads, ms. */
  readonly loopDelay: { readonly p99: number; readonly max: number };
  /** The hub's CPU per read, ms (this process: the hub is all it runs during the reads). */
  readonly hubCpuMs: number;
}

async function readFromAnotherProcess(
  server: Server,
  url: string,
  token: string,
  conditional: boolean,
): Promise<Readers> {
  const args = ['-e', READER, url, token, String(readers), String(reads), conditional ? 'yes' : 'no'];
  const hubSide: number[] = [];
  const onRequest = (_req: IncomingMessage, res: ServerResponse) => {
    const start = performance.now();
    res.once('finish', () => hubSide.push(performance.now() - start));
  };
  server.on('request', onRequest);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const cpu = process.cpuUsage();
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 });
  const used = process.cpuUsage(cpu);
  delay.disable();
  server.off('request', onRequest);
  const out = JSON.parse(stdout) as { times: number[]; bytes: number; notModified: number; cpuMs: number };
  const n = readers * reads;
  return {
    summary: summarize(out.times),
    bytes: out.bytes,
    notModified: out.notModified,
    readerCpuMs: out.cpuMs / n,
    // The first read (the ETag) is the reader's too: it is left out, as on the readers' side.
    hubSide: summarize(hubSide.slice(1)),
    loopDelay: { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
    hubCpuMs: (used.user + used.system) / 1000 / n,
  };
}

/** Resolves once the hub has published no event for `quietMs` (or after `maxMs`); returns how long it took. */
async function untilQuiet(hub: Hub, quietMs: number, maxMs: number): Promise<number> {
  const start = performance.now();
  let last = start;
  const unsubscribe = hub.subscribe(() => {
    last = performance.now();
  });
  try {
    while (performance.now() - last < quietMs && performance.now() - start < maxMs)
      await new Promise((r) => setTimeout(r, 100));
  } finally {
    unsubscribe();
  }
  return performance.now() - start;
}

const backend = values.store === 'postgres' ? new PostgresBackend() : new SqliteBackend();
await backend.setup();
await down({ name: CP });
const cp = await up({ name: CP, nodes: 1 });
const t = await startTestHub(backend, { server: { validateResponses: false, webRoot: false } });
try {
  const step = async (what: string, status: number, res: Promise<{ status: number; text: string }>) => {
    const answer = await res;
    if (answer.status !== status) throw new Error(`${what}: ${String(answer.status)} ${answer.text}`);
  };
  await step(
    'register',
    201,
    t.api('POST', '/api/v1/clusters', {
      body: { name: 'bench', kubeconfig: readFileSync(cp.kubeconfig, 'utf8') },
    }),
  );
  await step(
    'import',
    201,
    t.api('POST', '/api/v1/profiles', { body: { yaml: profile(packs), file: 'b.yaml' } }),
  );
  await step(
    'attach',
    201,
    t.api('POST', '/api/v1/clusters/bench/attachments', { body: { profile: 'bench' } }),
  );
  const installStart = performance.now();
  const preparedBefore = prepared;
  for (;;) {
    const page = (await t.api('GET', '/api/v1/clusters/bench/page')).json as { packs: { phase: string }[] };
    const green = page.packs.filter((p) => p.phase === 'success').length;
    if (page.packs.length === packs && green === packs) break;
    if (performance.now() - installStart > 900_000)
      throw new Error(`only ${String(green)}/${String(packs)} green`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  await t.hub.flush();
  const installPrepared = prepared - preparedBefore;
  process.stderr.write(
    `[bench] ${String(packs)} packs green in ${((performance.now() - installStart) / 1000).toFixed(0)} s\n`,
  );

  const quiet = await untilQuiet(t.hub, 2000, 60_000);
  process.stderr.write(`[bench] hub quiet (no event for 2 s) ${(quiet / 1000).toFixed(1)} s after green\n`);

  const url = `${t.url}/api/v1/clusters/bench/page`;
  const http = t.server.app.server;
  const plain = await readFromAnotherProcess(http, url, t.tokens.viewer, false);
  const conditional = await readFromAnotherProcess(http, url, t.tokens.viewer, true);
  const verdict = (p99: number) => (p99 < TARGET_P99_MS ? 'ok' : 'FAIL');
  const label = `${String(packs)}-pack page, ${String(readers)} readers`;
  console.log(`PAGE READS (${String(readers)} × ${String(reads)} reads, readers in another process)`);
  console.log(
    table(
      ['figure', 'target', 'measured', 'verdict'],
      [
        [`p99, ${label}`, `< ${String(TARGET_P99_MS)} ms`, ms(plain.summary.p99), verdict(plain.summary.p99)],
        [`p50, ${label}`, '-', ms(plain.summary.p50), '-'],
        [`hub CPU per read`, '-', ms(plain.hubCpuMs), '-'],
        [`readers' CPU per read`, '-', ms(plain.readerCpuMs), '-'],
        [`hub side p99 (request → last byte written)`, '-', ms(plain.hubSide.p99), '-'],
        [
          `hub event-loop delay p99 / max`,
          '-',
          `${ms(plain.loopDelay.p99)} / ${ms(plain.loopDelay.max)}`,
          '-',
        ],
        [`page size`, '-', `${(plain.bytes / 1024).toFixed(0)} KiB`, '-'],
        [
          `p99, ${label}, If-None-Match`,
          `< ${String(TARGET_P99_MS)} ms`,
          ms(conditional.summary.p99),
          verdict(conditional.summary.p99),
        ],
        [
          `304 answers, If-None-Match`,
          String(readers * reads),
          String(conditional.notModified),
          conditional.notModified === readers * reads ? 'ok' : 'FAIL',
        ],
        [`hub CPU per read, If-None-Match`, '-', ms(conditional.hubCpuMs), '-'],
        [`readers' CPU per read, If-None-Match`, '-', ms(conditional.readerCpuMs), '-'],
        [`hub side p99, If-None-Match`, '-', ms(conditional.hubSide.p99), '-'],
        [
          `statements prepared, ${String(packs)}-pack install (${backend.name})`,
          '-',
          String(installPrepared),
          '-',
        ],
      ],
    ),
  );
  const load = loadavg()[0] ?? Number.NaN;
  console.log(`load average (1 min) after the reads: ${load.toFixed(2)}`);
  mkdirSync(dirname(values.json), { recursive: true });
  writeFileSync(
    values.json,
    `${JSON.stringify({ packs, readers, reads, store: backend.name, installPrepared, loadAverage: load, plain, conditional }, null, 2)}\n`,
  );
  // For the bench runner: one figure per BENCH_RESULT line.
  const at = `load average ${load.toFixed(1)}`;
  reportResult({
    figure: `page p99, ${label} (${at})`,
    target: `< ${String(TARGET_P99_MS)}`,
    measured: plain.summary.p99,
    unit: 'ms',
  });
  reportResult({
    figure: `page p99, ${label}, If-None-Match → 304`,
    target: `< ${String(TARGET_P99_MS)}`,
    measured: conditional.summary.p99,
    unit: 'ms',
  });
  reportResult({
    figure: 'page p99 at the hub (request → last byte written)',
    target: '-',
    measured: plain.hubSide.p99,
    unit: 'ms',
  });
  reportResult({
    figure: 'hub event-loop delay p99 during the reads',
    target: '-',
    measured: plain.loopDelay.p99,
    unit: 'ms',
  });
  reportResult({ figure: 'hub CPU per page read', target: '-', measured: plain.hubCpuMs, unit: 'ms' });
  reportResult({
    figure: "readers' CPU per page read",
    target: '-',
    measured: plain.readerCpuMs,
    unit: 'ms',
  });
  reportResult({
    figure: `statements prepared, ${String(packs)}-pack install (${backend.name})`,
    target: '-',
    measured: installPrepared,
    unit: '',
  });
} finally {
  await t.close();
  await backend.teardown();
  await down({ name: CP });
}
