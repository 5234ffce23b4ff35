// Fast reads (issue 15, item 4): p99 of GET /api/v1/clusters/{c}/page for a 200-pack cluster with 20 readers at
// once, the readers in another process (so their parsing is not charged to the hub's event loop): plain reads,
// and reads that send the ETag they hold (If-None-Match → 304 while nothing changed). The packs are installed
// for real on a control plane until green (the page is built from the runner's live statuses).
// Prints figure → target → measured → verdict and writes JSON. Asserts nothing.
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
import { dirname } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { down, up } from '../testenv/src/controlplane.js';
import SqliteDatabase from 'better-sqlite3';
import type pgModule from 'pg';
import { PostgresBackend, SqliteBackend } from '../src/store/testing/backends.js';
import { startTestHub } from '../src/server/testing/server.js';
import { ms, summarize, table, type Summary } from './engine/stats.js';

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

/** The readers' process: `readers` loops of `reads` GETs each, all at once; prints the latencies as JSON. */
const READER = `
const [url, token, readers, reads, conditional] = process.argv.slice(1);
const headers = { authorization: 'Bearer ' + token };
const times = [];
let etag;
let bytes = 0;
let notModified = 0;
async function loop() {
  for (let i = 0; i < Number(reads); i++) {
    const h = conditional === 'yes' && etag ? { ...headers, 'if-none-match': etag } : headers;
    const start = performance.now();
    const res = await fetch(url, { headers: h });
    const body = await res.arrayBuffer();
    times.push(performance.now() - start);
    if (res.status === 304) notModified++;
    else { bytes = body.byteLength; etag = res.headers.get('etag') ?? undefined; }
  }
}
(async () => {
  const first = await fetch(url, { headers });
  etag = first.headers.get('etag') ?? undefined;
  await first.arrayBuffer();
  await Promise.all(Array.from({ length: Number(readers) }, loop));
  process.stdout.write(JSON.stringify({ times, bytes, notModified }));
})();
`;

interface Readers {
  readonly summary: Summary;
  readonly bytes: number;
  readonly notModified: number;
}

async function readFromAnotherProcess(url: string, token: string, conditional: boolean): Promise<Readers> {
  const args = ['-e', READER, url, token, String(readers), String(reads), conditional ? 'yes' : 'no'];
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 });
  const out = JSON.parse(stdout) as { times: number[]; bytes: number; notModified: number };
  return { summary: summarize(out.times), bytes: out.bytes, notModified: out.notModified };
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

  const url = `${t.url}/api/v1/clusters/bench/page`;
  const cpu = process.cpuUsage();
  const plain = await readFromAnotherProcess(url, t.tokens.viewer, false);
  const plainCpu = process.cpuUsage(cpu);
  const cpu2 = process.cpuUsage();
  const conditional = await readFromAnotherProcess(url, t.tokens.viewer, true);
  const conditionalCpu = process.cpuUsage(cpu2);
  const perRead = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000 / (readers * reads);
  const verdict = (p99: number) => (p99 < TARGET_P99_MS ? 'ok' : 'FAIL');
  const label = `${String(packs)}-pack page, ${String(readers)} readers`;
  console.log(`PAGE READS (${String(readers)} × ${String(reads)} reads, readers in another process)`);
  console.log(
    table(
      ['figure', 'target', 'measured', 'verdict'],
      [
        [`p99, ${label}`, `< ${String(TARGET_P99_MS)} ms`, ms(plain.summary.p99), verdict(plain.summary.p99)],
        [`p50, ${label}`, '-', ms(plain.summary.p50), '-'],
        [`hub CPU per read`, '-', ms(perRead(plainCpu)), '-'],
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
        [`hub CPU per read, If-None-Match`, '-', ms(perRead(conditionalCpu)), '-'],
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
  // The last line, for the bench runner (one figure per BENCH_RESULT line is all it reads).
  console.log(
    `BENCH_RESULT ${JSON.stringify({
      figure: `page p99, ${label}`,
      target: `< ${String(TARGET_P99_MS)} ms`,
      measured: Number(plain.summary.p99.toFixed(2)),
      unit: 'ms',
      hubCpuPerReadMs: Number(perRead(plainCpu).toFixed(3)),
      hubCpuPerReadIfNoneMatchMs: Number(perRead(conditionalCpu).toFixed(3)),
      installStatementsPrepared: installPrepared,
      loadAverage: Number(load.toFixed(2)),
    })}`,
  );
} finally {
  await t.close();
  await backend.teardown();
  await down({ name: CP });
}
