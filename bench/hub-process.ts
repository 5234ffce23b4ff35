// A real hub process for the memory benchmarks: `strata serve` on an empty data dir, started either from the
// compiled dist/ (what bin/strata runs) or from src/ through tsx (what it ran before), and its RSS read from
// /proc. RSS counts the node binary's own pages (~45 MiB shared with every node process); PSS counts them
// once per sharing process, so both are printed.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../testenv/src/ports.js';

export const repoRoot = resolve(import.meta.dirname, '..');
export const MiB = 2 ** 20;

export type HubMode = 'dist' | 'tsx';

/** scripts/node-flags, comments and blank lines dropped: `--flag` lines and `NAME=value` lines. */
const nodeFlagsLines = readFileSync(join(repoRoot, 'scripts', 'node-flags'), 'utf8')
  .split('\n')
  .map((line) => line.replace(/#.*/, '').trim())
  .filter((line) => line !== '');
/** The Node/V8 flags bin/strata runs the hub with. */
export const strataNodeFlags: readonly string[] = nodeFlagsLines.filter((line) => line.startsWith('--'));
/** The environment bin/strata adds (glibc malloc's settings), unless the variable is set already. */
export const strataNodeEnv: Readonly<Record<string, string>> = Object.fromEntries(
  nodeFlagsLines
    .filter((line) => !line.startsWith('--') && line.includes('='))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);

export interface HubProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  readonly token: string;
  /** The inspector's WebSocket URL when started with `inspect`. */
  readonly inspector: string | undefined;
  /** The last 64 KiB of its stdout and stderr, and how it exited (undefined while it runs). */
  output(): string;
  exited(): string | undefined;
  stop(): Promise<void>;
}

/**
 * Starts `strata serve` on a fresh data dir and resolves once it listens. With `inspect`, the hub opens the
 * inspector on a free local port so the benchmark can force a full GC (`collectGarbage`).
 */
export async function startHub(
  mode: HubMode,
  options: {
    inspect?: boolean;
    nodeFlags?: readonly string[];
    /** Open event streams the hub allows, for one token and in all (its defaults are 32 and 20,000). */
    maxStreams?: number;
    /** `--log-level`; default warn (a hub's own default is info: a line per request). */
    logLevel?: string;
    /** More `strata serve` arguments, e.g. `--database-url postgres://…`. */
    serveArgs?: readonly string[];
  } = {},
): Promise<HubProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-bench-hub-'));
  const port = await freePort();
  const entry =
    mode === 'dist'
      ? [
          // As bin/strata runs it (its node flags come first, below, so nodeFlags can override them).
          '--expose-gc',
          '--import',
          join(repoRoot, 'dist', 'src', 'source-maps.js'),
          join(repoRoot, 'dist', 'src', 'cli', 'main.js'),
        ]
      : ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'main.ts')];
  const inspect = options.inspect === true ? ['--inspect=127.0.0.1:0'] : [];
  const child = spawn(
    process.execPath,
    [
      ...(mode === 'dist' ? strataNodeFlags : []),
      ...inspect,
      ...(options.nodeFlags ?? []),
      ...entry,
      'serve',
      '--address',
      `127.0.0.1:${port}`,
      '--data-dir',
      dataDir,
      '--log-level',
      options.logLevel ?? 'warn',
      ...(options.maxStreams === undefined
        ? []
        : [
            '--max-streams-per-token',
            String(options.maxStreams),
            '--max-streams',
            String(options.maxStreams),
            // The bench's clients share one token: each stream is a connection of it.
            '--max-connections-per-token',
            String(options.maxStreams),
          ]),
      ...(options.serveArgs ?? []),
    ],
    {
      cwd: repoRoot,
      env: { ...(mode === 'dist' ? strataNodeEnv : {}), ...process.env, NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  let exit: string | undefined;
  await new Promise<void>((ready, failed) => {
    const onData = (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-65_536);
      if (log.includes('hub listening on')) ready();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => {
      exit = `exited with ${String(code ?? signal)}`;
      failed(new Error(`the ${mode} hub exited with ${String(code ?? signal)} before listening:\n${log}`));
    });
  });
  const token = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
  const inspector = /Debugger listening on (ws:\/\/\S+)/.exec(log)?.[1];
  return {
    child,
    pid: child.pid ?? -1,
    url: `http://127.0.0.1:${port}`,
    token,
    inspector,
    output: () => log,
    exited: () => exit,
    async stop() {
      if (exit === undefined) {
        const exited = new Promise((done) => child.once('exit', done));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Memory {
  readonly rss: number;
  readonly pss: number;
}

/** RSS and PSS of a process, in bytes. */
export async function memoryOf(pid: number): Promise<Memory> {
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? NaN) * 1024;
  return { rss: field('Rss'), pss: field('Pss') };
}

/**
 * Waits until the process's RSS stops dropping: sampled every `intervalMs`, settled once `stableSamples`
 * samples in a row moved less than 1 MiB down (V8 gives memory back in steps after idle GCs) and at least
 * `minMs` have passed (V8 schedules its first memory-reducing GC 8 s after a full one), or after `maxMs`.
 * Returns the last sample.
 */
export async function settledMemory(
  pid: number,
  options: { intervalMs?: number; stableSamples?: number; minMs?: number; maxMs?: number } = {},
): Promise<Memory> {
  const { intervalMs = 500, stableSamples = 6, minMs = 0, maxMs = 60_000 } = options;
  const earliest = Date.now() + minMs;
  const deadline = Date.now() + maxMs;
  let last = await memoryOf(pid);
  let stable = 0;
  while ((stable < stableSamples || Date.now() < earliest) && Date.now() < deadline) {
    await sleep(intervalMs);
    const next = await memoryOf(pid);
    stable = last.rss - next.rss < MiB ? stable + 1 : 0;
    last = next;
  }
  return last;
}

/** Samples RSS every `intervalMs` until stopped; `peak` is the highest seen. */
export function peakSampler(pid: number, intervalMs = 100): { stop(): Promise<number> } {
  let peak = 0;
  const stopped = new AbortController();
  const loop = (async () => {
    while (!stopped.signal.aborted) {
      // A process that exited has no /proc entry: the peak stays what it was, and the caller finds out how
      // the process ended from its own next call to it.
      const rss = await memoryOf(pid).then(
        (m) => m.rss,
        () => undefined,
      );
      if (rss === undefined) break;
      peak = Math.max(peak, rss);
      await sleep(intervalMs);
    }
  })();
  return {
    async stop() {
      stopped.abort();
      await loop;
      return peak;
    },
  };
}

export const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

/** Prints rows as an aligned table: figure, target, measured, verdict. */
export function printTable(rows: readonly (readonly string[])[]): void {
  const header = ['figure', 'target', 'measured', 'verdict'];
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  for (const row of all)
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    );
}

/** A full garbage collection in the hub, through its inspector (HeapProfiler.collectGarbage). */
export async function collectGarbage(hub: HubProcess): Promise<void> {
  if (hub.inspector === undefined) throw new Error('the hub was started without { inspect: true }');
  const socket = new WebSocket(hub.inspector);
  await new Promise<void>((done, failed) => {
    socket.addEventListener('open', () => {
      socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
    });
    socket.addEventListener('message', (event) => {
      const reply = JSON.parse(String(event.data)) as { id?: number; error?: { message: string } };
      if (reply.id !== 1) return;
      socket.close();
      if (reply.error === undefined) done();
      else failed(new Error(`HeapProfiler.collectGarbage: ${reply.error.message}`));
    });
    socket.addEventListener('error', () => {
      failed(new Error(`cannot reach the hub's inspector at ${hub.inspector ?? ''}`));
    });
  });
}

/** A session on the hub's inspector (Chrome DevTools Protocol): state such as a running profiler lives as long as it. */
export interface InspectorSession {
  call(method: string, params?: object): Promise<unknown>;
  close(): void;
}

export async function openInspector(hub: HubProcess): Promise<InspectorSession> {
  const url = hub.inspector;
  if (url === undefined) throw new Error('the hub was started without { inspect: true }');
  const socket = new WebSocket(url);
  const pending = new Map<
    number,
    { done: (result: unknown) => void; failed: (error: Error) => void; method: string }
  >();
  let next = 1;
  await new Promise<void>((open, failed) => {
    socket.addEventListener('open', () => {
      open();
    });
    socket.addEventListener('error', () => {
      failed(new Error(`cannot reach the hub's inspector at ${url}`));
    });
  });
  socket.addEventListener('message', (event) => {
    const reply = JSON.parse(String(event.data)) as {
      id?: number;
      result?: unknown;
      error?: { message: string };
    };
    const call = reply.id === undefined ? undefined : pending.get(reply.id);
    if (call === undefined || reply.id === undefined) return;
    pending.delete(reply.id);
    if (reply.error === undefined) call.done(reply.result);
    else call.failed(new Error(`${call.method}: ${reply.error.message}`));
  });
  return {
    call: (method, params = {}) =>
      new Promise((done, failed) => {
        const id = next++;
        pending.set(id, { done, failed, method });
        socket.send(JSON.stringify({ id, method, params }));
      }),
    close: () => {
      socket.close();
    },
  };
}
