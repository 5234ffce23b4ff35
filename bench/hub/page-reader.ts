// The readers of bench/page-readers.bench.ts: a process of its own, started with plain `node` (types stripped,
// no imports but Node's), that runs `readers` loops of `reads` GETs each, all at once, and prints what it saw as
// JSON on stdout. Each loop has one kept-alive connection and sends its next GET as soon as the last one ended.
//
// Two clients, chosen by argument:
// - `raw` (the default): HTTP/1.1 written and read on a net.Socket by this file: the request's bytes are made
//   once per header set, and a response is read by its status line, its headers and Content-Length (the hub
//   answers the page with a length; a chunked answer fails the run). What a load generator does (wrk,
//   autocannon): on a 2-core machine the readers share the cores with the hub they measure, and node:http cost
//   them about as much CPU per read as the hub (0.22 vs 0.25 ms, session 7): a browser on another machine
//   takes none of the hub's cores.
// - `http`: node:http with a keep-alive agent, what the bench used before; kept to compare.
// Either way a gzipped body is inflated (zlib, on this process's event loop) before the read counts as done,
// and each GET carries `x-bench-read: <n>` so the hub's probe can say when the hub began and finished it: with
// process.hrtime (CLOCK_MONOTONIC, the same clock in every process of the machine) the bench splits each read
// into before the hub (the kernel's queue and the hub's loop), at the hub, and after it (the kernel and this
// process's loop). This process's own event-loop delay is reported, so a stall of the readers is seen as theirs.
import { request as httpRequest, Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import {
  monitorEventLoopDelay,
  PerformanceObserver,
  constants as perf,
  type PerformanceEntry,
} from 'node:perf_hooks';
import { gunzipSync } from 'node:zlib';

interface Answer {
  readonly status: number;
  readonly etag: string | undefined;
  readonly encoding: string | undefined;
  readonly body: Buffer[];
}

type Get = (headers: Readonly<Record<string, string>>) => Promise<Answer>;

const [url = '', token = '', readersArg = '', readsArg = '', conditional, gzip, client = 'raw'] =
  process.argv.slice(2);
const target = new URL(url);
const readers = Number(readersArg);
const reads = Number(readsArg);
const now = () => Number(process.hrtime.bigint()) / 1e6;

/** One kept-alive connection that sends a request and resolves with the answer, one at a time. */
function rawConnection(): { get: Get; close(): void } {
  const socket: Socket = connect(Number(target.port), target.hostname);
  socket.setNoDelay(true);
  const prefix = `GET ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\n`;
  let pending: { done: (a: Answer) => void; failed: (e: Error) => void } | undefined;
  let head: Buffer = Buffer.alloc(0);
  let answer: { status: number; headers: Map<string, string>; body: Buffer[]; left: number } | undefined;
  const finish = () => {
    const a = answer;
    const p = pending;
    answer = undefined;
    pending = undefined;
    if (a === undefined || p === undefined) return;
    p.done({
      status: a.status,
      etag: a.headers.get('etag'),
      encoding: a.headers.get('content-encoding'),
      body: a.body,
    });
  };
  const fail = (error: Error) => {
    const p = pending;
    pending = undefined;
    p?.failed(error);
  };
  socket.on('data', (chunk: Buffer) => {
    let rest: Buffer = chunk;
    while (rest.length > 0) {
      if (answer === undefined) {
        head = head.length === 0 ? rest : Buffer.concat([head, rest]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const lines = head.subarray(0, end).toString('latin1').split('\r\n');
        rest = head.subarray(end + 4);
        head = Buffer.alloc(0);
        const status = Number(lines[0]?.split(' ')[1]);
        const headers = new Map<string, string>();
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(':');
          headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
        }
        if (headers.has('transfer-encoding')) {
          fail(new Error(`GET ${url}: a chunked answer (this reader reads Content-Length only)`));
          socket.destroy();
          return;
        }
        const left = status === 304 ? 0 : Number(headers.get('content-length') ?? 0);
        answer = { status, headers, body: [], left };
      }
      const take = Math.min(answer.left, rest.length);
      if (take > 0) answer.body.push(rest.subarray(0, take));
      answer.left -= take;
      rest = rest.subarray(take);
      if (answer.left === 0) finish();
    }
  });
  socket.on('error', fail);
  socket.on('close', () => {
    fail(new Error(`GET ${url}: the hub closed the connection`));
  });
  return {
    get: (headers) =>
      new Promise((done, failed) => {
        pending = { done, failed };
        let text = prefix;
        for (const [name, value] of Object.entries(headers)) text += `${name}: ${value}\r\n`;
        socket.write(`${text}\r\n`, 'latin1');
      }),
    close: () => socket.destroy(),
  };
}

function httpConnection(agent: Agent): { get: Get; close(): void } {
  return {
    get: (headers) =>
      new Promise((done, failed) => {
        const req = httpRequest(url, { agent, headers }, (res) => {
          const body: Buffer[] = [];
          res.on('data', (chunk: Buffer) => body.push(chunk));
          res.on('end', () => {
            const etag = res.headers.etag;
            done({ status: res.statusCode ?? 0, etag, encoding: res.headers['content-encoding'], body });
          });
        });
        req.on('error', failed);
        req.end();
      }),
    close: () => undefined,
  };
}

/**
 * Inflated into one output buffer the page's size fits (zlib's default 16 KiB chunks made ~10 buffers per 154 KiB
 * page, then a copy into one: 236 → 174 µs per inflate on this machine), as a browser decodes into its own buffers.
 */
const INFLATE = { chunkSize: 256 * 1024 };
const agent = new Agent({ keepAlive: true, maxSockets: readers });
const open = () => (client === 'http' ? httpConnection(agent) : rawConnection());
let counter = 0;

/** Sizes of the last full answer: decoded and on the wire. */
let bytes = 0;
let wire = 0;
let notModified = 0;
const samples: { id: number; sent: number; end: number }[] = [];

async function read(get: Get, etag: string | undefined, measured: boolean): Promise<string | undefined> {
  const id = ++counter;
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'x-bench-read': String(id) };
  if (gzip === 'yes') headers['accept-encoding'] = 'gzip, deflate, br';
  if (conditional === 'yes' && etag !== undefined) headers['if-none-match'] = etag;
  const sent = now();
  const answer = await get(headers);
  const size = answer.body.reduce((sum, b) => sum + b.length, 0);
  const decoded = answer.encoding === 'gzip' ? gunzipSync(Buffer.concat(answer.body), INFLATE).length : size;
  const end = now();
  if (measured) samples.push({ id, sent, end });
  if (answer.status === 304) {
    if (measured) notModified++;
    return etag;
  }
  if (answer.status !== 200) throw new Error(`GET ${url}: HTTP ${String(answer.status)}`);
  bytes = decoded;
  wire = size;
  return answer.etag;
}

async function loop(): Promise<void> {
  const connection = open();
  try {
    let etag = await read(connection.get, undefined, false);
    for (let i = 0; i < reads; i++) etag = await read(connection.get, etag, true);
  } finally {
    connection.close();
  }
}

/**
 * This process's garbage collections while reading, on the same clock as the samples: a read in flight during a
 * readers' pause is late for the readers' reason, not the hub's.
 */
const pauses: { start: number; end: number; major: boolean }[] = [];
const origin = now() - performance.now();
const gcs = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
    const start = origin + entry.startTime;
    pauses.push({ start, end: start + entry.duration, major: kind === perf.NODE_PERFORMANCE_GC_MAJOR });
  }
});
gcs.observe({ entryTypes: ['gc'] });
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
const cpu = process.cpuUsage();
await Promise.all(Array.from({ length: readers }, loop));
const used = process.cpuUsage(cpu);
delay.disable();
// Node delivers a GC's entry two turns of the loop after it: the last ones of the spell would be lost.
for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
gcs.disconnect();
agent.destroy();
process.stdout.write(
  JSON.stringify({
    samples,
    bytes,
    wire,
    notModified,
    cpuMs: (used.user + used.system) / 1000,
    loopDelay: { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
    pauses,
  }),
);
