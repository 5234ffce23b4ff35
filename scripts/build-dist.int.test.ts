// bin/strata runs the compiled dist/ (issue 15), never code older than src/: a real `strata serve` process
// from dist/ serving the UI, and a stale build rebuilt before it runs. An integration test because it
// compiles the project (tsc, tens of seconds on a busy machine); it needs web/dist (`make web-build`).
import { execFile, execFileSync, spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { access, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freePort } from '../testenv/src/ports.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin', 'strata');
const stamp = join(root, 'dist', '.build-stamp');
const run = promisify(execFile);

/** Resolves once a started `strata serve` says it listens; fails with its output if it exits first. */
function listening(hub: ChildProcessByStdio<null, Readable, Readable>) {
  let log = '';
  return new Promise<void>((ready, failed) => {
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('hub listening on')) ready();
    };
    hub.stdout.on('data', onData);
    hub.stderr.on('data', onData);
    hub.on('exit', (code) => {
      failed(new Error(`strata serve exited with ${String(code)}:\n${log}`));
    });
  });
}

describe('bin/strata', () => {
  it('serves the hub and its UI from the compiled dist/, with source maps loaded first', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'strata-dist-it-'));
    const port = await freePort();
    const hub = spawn(bin, ['serve', '--address', `127.0.0.1:${port}`, '--data-dir', dataDir], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      await listening(hub);
      // bin/strata execs node, so the hub's own command line says what it runs.
      const cmdline = (await readFile(`/proc/${String(hub.pid)}/cmdline`, 'utf8')).split('\0');
      expect(cmdline).toContain(join(root, 'dist', 'src', 'source-maps.js'));
      expect(cmdline).toContain(join(root, 'dist', 'src', 'cli', 'main.js'));
      expect(cmdline.join(' ')).not.toContain('tsx');
      // V8's memory flags from scripts/node-flags (issue 15: idle RSS and the peak of a large install).
      expect(cmdline).toContain('--max-semi-space-size=1');
      expect(cmdline).toContain('--heap-growing-percent=25');
      // No pretenured literals keeping young request objects alive (issue 15, fast reads: page p99).
      expect(cmdline).toContain('--no-allocation-site-pretenuring');
      // …and glibc malloc's settings from the same file, as its environment.
      const environ = (await readFile(`/proc/${String(hub.pid)}/environ`, 'utf8')).split('\0');
      expect(environ).toContain('MALLOC_ARENA_MAX=2');
      expect(environ).toContain('MALLOC_MMAP_THRESHOLD_=131072');

      // The UI's root is found from dist/src/server/ as it is from src/server/.
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('<div id="root">');
    } finally {
      const exited = new Promise((done) => hub.once('exit', done));
      hub.kill('SIGTERM');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  // The bundle's entry exports the command table: `strata serve` with a bad flag throws from src/config.ts,
  // which is inside a chunk of the bundle.
  const badFlagScript =
    "import { findSourceMap } from 'node:module';\n" +
    "import { readdirSync } from 'node:fs';\n" +
    `const dir = ${JSON.stringify(join(root, 'dist', 'src', 'cli'))};\n` +
    `const { commands } = await import(${JSON.stringify(join(root, 'dist', 'src', 'cli', 'main.js'))});\n` +
    "const serve = commands.find((command) => command.path[0] === 'serve');\n" +
    'const io = { env: {}, cwd: dir, stdout: { write() {} } };\n' +
    // Node's own source map support keeps every loaded module's map (findSourceMap finds it).
    "const held = () => readdirSync(dir).filter((f) => f.endsWith('.js') && findSourceMap(`${dir}/${f}`) !== undefined);\n" +
    'const heldBefore = held();\n' +
    "let stack = '';\n" +
    "try { await serve.run(io, { options: { 'log-level': 'nope' } }); } catch (error) { stack = error.stack; }\n" +
    'console.log(JSON.stringify({ heldBefore, stack }));\n';

  it("maps stack traces of the compiled code back to Strata's TypeScript", async () => {
    const { stdout } = await run(process.execPath, [
      '--import',
      join(root, 'dist', 'src', 'source-maps.js'),
      '--input-type=module',
      '--eval',
      badFlagScript,
    ]);
    const { stack } = JSON.parse(stdout) as { stack: string };
    expect(stack).toContain('--log-level');
    expect(stack).toMatch(/at loadConfig \(\/.*\/src\/config\.ts:\d+:\d+\)/);
    expect(stack).not.toMatch(/dist\/src\/cli\/[\w-]+\.js:\d+/);
  });

  it('holds no source map until a stack trace needs one (an idle hub keeps none: issue 15)', async () => {
    const { stdout } = await run(process.execPath, [
      '--import',
      join(root, 'dist', 'src', 'source-maps.js'),
      '--input-type=module',
      '--eval',
      badFlagScript,
    ]);
    const { heldBefore, stack } = JSON.parse(stdout) as { heldBefore: string[]; stack: string };
    expect(heldBefore).toEqual([]);
    expect(stack).toMatch(/at loadConfig \(\/.*\/src\/config\.ts:\d+:\d+\)/);
  });

  it('starts the hub from a bundle, without loading client-node or pg: they load when a cluster or PostgreSQL needs them', async () => {
    const work = await mkdtemp(join(tmpdir(), 'strata-dist-it-'));
    // A module hook in the hub's process that names every package it loads, on stderr.
    await writeFile(
      join(work, 'hooks.mjs'),
      'export async function load(url, context, next) {\n' +
        '  const name = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(url)?.[1];\n' +
        '  if (name) process.stderr.write(`package loaded: ${name}\\n`);\n' +
        "  if (url.includes('/dist/src/')) process.stderr.write(`dist file loaded: ${url}\\n`);\n" +
        '  return next(url, context);\n' +
        '}\n',
    );
    await writeFile(
      join(work, 'register.mjs'),
      `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${join(work, 'hooks.mjs')}`)});\n` +
        // Node's own modules it has loaded, listed when asked (SIGUSR2).
        "process.on('SIGUSR2', () => process.stderr.write(`builtins loaded: ${JSON.stringify(process.moduleLoadList)}\\n`));\n",
    );
    const port = await freePort();
    const hub = spawn(
      process.execPath,
      [
        '--import',
        join(work, 'register.mjs'),
        join(root, 'dist', 'src', 'cli', 'main.js'),
        'serve',
        '--address',
        `127.0.0.1:${port}`,
        '--data-dir',
        join(work, 'data'),
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    let asked = false;
    try {
      await new Promise<void>((ready, failed) => {
        const onData = (chunk: Buffer) => {
          log += chunk.toString();
          // Listening: it has started, and it is asked for the list once.
          if (!asked && log.includes('hub listening on')) {
            asked = true;
            hub.kill('SIGUSR2');
          }
          if (/builtins loaded: .*\n/.test(log)) ready();
        };
        hub.stdout.on('data', onData);
        hub.stderr.on('data', onData);
        hub.on('exit', (code) => {
          failed(new Error(`strata serve exited with ${String(code)}:\n${log}`));
        });
      });
    } finally {
      const exited = new Promise((done) => hub.once('exit', done));
      hub.kill('SIGTERM');
      await exited;
      await rm(work, { recursive: true, force: true });
    }
    const loaded = new Set([...log.matchAll(/package loaded: (\S+)/g)].map((m) => m[1]));
    // The hook sees the hub's packages: the native SQLite driver stays in node_modules/…
    expect(loaded).toContain('better-sqlite3');
    // …while what the hub runs on is in the bundle (issue 15: Node's module loader costs memory per module,
    // ~300 of Strata's and ~700 of node_modules' when compiled file by file).
    expect(loaded).not.toContain('fastify');
    expect(loaded).not.toContain('kysely');
    expect(loaded).not.toContain('zod');
    // Fastify and prom-client require node:https and node:http2 as they load, for servers and pushes the hub
    // never makes: the bundle gives them stand-ins that load the real ones on first use (~4 MiB with node:tls).
    const builtins = JSON.parse(/builtins loaded: (.*)/.exec(log)?.[1] ?? '[]') as string[];
    expect(builtins).toContain('NativeModule http');
    expect(builtins).not.toContain('NativeModule https');
    expect(builtins).not.toContain('NativeModule http2');
    expect(builtins).not.toContain('NativeModule tls');
    const distFiles = [...log.matchAll(/dist file loaded: (\S+)/g)].map((m) => m[1]);
    expect(distFiles.length).toBeGreaterThan(0);
    expect(distFiles.length).toBeLessThan(40);
    expect(loaded).not.toContain('@kubernetes/client-node');
    expect(loaded).not.toContain('pg');
  });

  it("runs the checkout's pinned helm, found from the bundle's folder as from src/", async () => {
    const pinned = `${
      execFileSync(join(root, 'testenv', 'build'), ['--print'], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .at(-1) ?? ''
    }/helm`;
    const dataDir = await mkdtemp(join(tmpdir(), 'strata-dist-it-'));
    const port = await freePort();
    const hub = spawn(
      bin,
      ['serve', '--address', `127.0.0.1:${port}`, '--data-dir', dataDir, '--log-level', 'debug'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STRATA_HELM: '' } },
    );
    try {
      let log = '';
      const line = await new Promise<string>((found, failed) => {
        const onData = (chunk: Buffer) => {
          log += chunk.toString();
          const match = /^.*"the helm this hub runs".*$/m.exec(log);
          if (match) found(match[0]);
        };
        hub.stdout.on('data', onData);
        hub.stderr.on('data', onData);
        hub.on('exit', (code) => {
          failed(new Error(`strata serve exited with ${String(code)}:\n${log}`));
        });
      });
      expect((JSON.parse(line) as { helm: string }).helm).toBe(pinned);
    } finally {
      const exited = new Promise((done) => hub.once('exit', done));
      hub.kill('SIGTERM');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('reaches a cluster through the lazily loaded kube transport (undici) of the bundle', async () => {
    // A stand-in API server on 127.0.0.1: whatever the hub asks first is enough to show its request got out.
    const seen: string[] = [];
    const apiServer = createServer((request, response) => {
      seen.push(`${request.method ?? ''} ${request.url ?? ''} ${request.headers.authorization ?? ''}`);
      response.writeHead(503, { 'content-type': 'application/json' });
      response.end('{"kind":"Status","apiVersion":"v1","status":"Failure","message":"stand-in","code":503}');
    });
    await new Promise<void>((listening) => apiServer.listen(0, '127.0.0.1', listening));
    const apiPort = (apiServer.address() as AddressInfo).port;
    const work = await mkdtemp(join(tmpdir(), 'strata-dist-it-'));
    const kubeconfig = join(work, 'kubeconfig');
    await writeFile(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{ name: c, cluster: { server: "http://127.0.0.1:${String(apiPort)}", insecure-skip-tls-verify: true } }]`,
        'users: [{ name: u, user: { token: stand-in-token } }]',
        'contexts: [{ name: c, context: { cluster: c, user: u } }]',
        'current-context: c',
        '',
      ].join('\n'),
    );
    const port = await freePort();
    const hub = spawn(
      bin,
      ['serve', '--address', `127.0.0.1:${port}`, '--data-dir', join(work, 'data'), '--log-level', 'warn'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      await listening(hub);
      const token = (await readFile(join(work, 'data', 'admin-token'), 'utf8')).trim();
      // Whether `cluster add` accepts a cluster that answers 503 is not the point; the request reaching it is.
      await run(bin, ['cluster', 'add', 'stand-in', '--kubeconfig', kubeconfig], {
        cwd: root,
        env: { ...process.env, STRATA_SERVER: `http://127.0.0.1:${port}`, STRATA_TOKEN: token },
      }).catch(() => undefined);
      await expect.poll(() => seen.length, { timeout: 30_000 }).toBeGreaterThan(0);
      expect(seen[0]).toContain('Bearer stand-in-token');
    } finally {
      const exited = new Promise((done) => hub.once('exit', done));
      hub.kill('SIGTERM');
      await exited;
      apiServer.close();
      await rm(work, { recursive: true, force: true });
    }
  }, 60_000);

  it('compacts its heap once, a few seconds after it starts (issue 15: idle RSS)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'strata-dist-it-'));
    const port = await freePort();
    const hub = spawn(
      bin,
      ['serve', '--address', `127.0.0.1:${port}`, '--data-dir', dataDir, '--log-level', 'debug'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      let log = '';
      const line = await new Promise<string>((found, failed) => {
        const onData = (chunk: Buffer) => {
          log += chunk.toString();
          const match = /^.*compacted the heap once after start.*$/m.exec(log);
          if (match) found(match[0]);
        };
        hub.stdout.on('data', onData);
        hub.stderr.on('data', onData);
        hub.on('exit', (code) => {
          failed(new Error(`strata serve exited with ${String(code)} before compacting:\n${log}`));
        });
      });
      const fields = JSON.parse(line) as { rssBeforeMiB: number; rssAfterMiB: number; pauseMs: number };
      expect(fields.rssBeforeMiB).toBeGreaterThan(0);
      expect(fields.rssAfterMiB).toBeGreaterThan(0);
      expect(fields.pauseMs).toBeGreaterThanOrEqual(0);
    } finally {
      const exited = new Promise((done) => hub.once('exit', done));
      hub.kill('SIGTERM');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('compiles src/ again when dist/ is older than the sources, and only then', async () => {
    const before = Date.now();
    const past = new Date('2000-01-01T00:00:00Z');
    await utimes(stamp, past, past);

    const stale = await run(bin, ['--help'], { cwd: root });
    expect(stale.stderr).toContain('compiling src/ into dist/');
    expect(stale.stdout).toContain('Usage: strata COMMAND');
    expect((await stat(stamp)).mtimeMs).toBeGreaterThanOrEqual(before - 1000);

    const fresh = await run(bin, ['--help'], { cwd: root });
    expect(fresh.stderr).not.toContain('compiling');
    expect(fresh.stdout).toContain('Usage: strata COMMAND');
  });

  it("keeps the old build's files while a strata process runs from them, and removes them at the next build after", async () => {
    // A hub loads chunks lazily, by content-hashed names, long after it starts: a rebuild under it (the
    // checkout changed while it served) must not delete them. Stands in for the previous build's chunk:
    const previous = join(root, 'dist', 'src', 'cli', 'chunk-PREVIOUSBUILD.js');
    const dataDir = await mkdtemp(join(tmpdir(), 'strata-dist-it-'));
    const port = await freePort();
    const hub = spawn(bin, ['serve', '--address', `127.0.0.1:${port}`, '--data-dir', dataDir], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((done) => hub.once('exit', done));
    const past = new Date('2000-01-01T00:00:00Z');
    try {
      await listening(hub);
      await writeFile(previous, '// a chunk of the build the hub runs\n');
      await utimes(stamp, past, past);
      const underHub = await run(bin, ['--help'], { cwd: root });
      expect(underHub.stderr).toContain('compiling src/ into dist/');
      await access(previous);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    } finally {
      hub.kill('SIGTERM');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    }
    await utimes(stamp, past, past);
    const alone = await run(bin, ['--help'], { cwd: root });
    expect(alone.stderr).toContain('compiling src/ into dist/');
    await expect(access(previous)).rejects.toThrow(/ENOENT/);
    expect(alone.stdout).toContain('Usage: strata COMMAND');
  }, 120_000);
});
