// `strata status --watch` in a real terminal (issue 18: "--watch with the hub down says so, tmux or a pty"):
// the built CLI runs inside tmux at 80×30, against an HTTP server that answers as the hub does (the command
// tests' FakeHub behind a real socket, so the hub can really die: its port closed, its stream cut). What is
// asserted is the screen tmux shows, as a user in tmux would see it.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeHub } from '../testing/fake-hub.js';
import { pack, page } from '../testing/page.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'bin', 'strata');
/**
 * Our own tmux server on a socket in a folder of ours: nothing of the user's tmux is touched, killing it ends
 * everything it ran, and removing the folder leaves no socket file behind (kill-server does not remove it).
 */
const work = mkdtempSync(join(tmpdir(), 'strata-status-watch-'));
const SOCKET = join(work, 'tmux.sock');
const SESSION = 'watch';

const tmux = async (...args: string[]) => (await run('tmux', ['-S', SOCKET, ...args])).stdout;
const screen = () => tmux('capture-pane', '-p', '-t', SESSION);

const appPage = (phase: 'processing' | 'success') =>
  page(
    [
      pack({ name: 'web', layer: 'addon', phase, profile: 'app', progress: { ready: 1, total: 2 } }),
      pack({
        name: 'broken-web',
        layer: 'addon',
        phase: 'failed',
        profile: 'other',
        reason: 'ImagePullBackOff',
        message: 'Pod broken/broken-web-7d9: image "registry.example/nope" not found',
      }),
    ],
    { name: 'dev' },
  );

const hub = new FakeHub(appPage('processing'));
let server: Server;
let port = 0;

/** Answers HTTP with the fake hub: its status, headers and body, streamed (the event stream stays open). */
async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => {
    abort.abort();
  });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers))
    if (typeof value === 'string') headers[name] = value;
  const response = await hub.fetch(`http://127.0.0.1:${port}${req.url ?? '/'}`, {
    method: req.method ?? 'GET',
    headers,
    signal: abort.signal,
  });
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.flushHeaders();
  if (response.body === null) {
    res.end();
    return;
  }
  Readable.fromWeb(response.body)
    .on('error', () => {
      res.destroy();
    })
    .pipe(res);
}

async function startServer(): Promise<void> {
  server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
}

/** The hub dies: its port refuses connections and the open event stream breaks. */
async function killServer(): Promise<void> {
  hub.kill();
  server.closeAllConnections();
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
}

/** What the screen showed, kept as text (STRATA_SHOTS: a folder, as the UI tests' screenshots). */
function keep(name: string, text: string): void {
  const dir = process.env.STRATA_SHOTS;
  if (dir === undefined) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.txt`), text);
}

beforeAll(async () => {
  if (!existsSync('/usr/bin/tmux')) {
    execFileSync('bash', [join(root, 'scripts', 'ensure-apt'), 'tmux'], { stdio: 'inherit' });
  }
  await startServer();
});

afterAll(async () => {
  await tmux('kill-server').catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
  if (server.listening) await killServer();
});

describe('strata status --watch in tmux', () => {
  it('says on screen since when the hub is unreachable, marks the page last known, and is live again when it is back', async () => {
    const env = [
      `PATH=${process.env.PATH ?? ''}`,
      `HOME=${process.env.HOME ?? ''}`,
      'XDG_CONFIG_HOME=/nonexistent',
      `STRATA_SERVER=http://127.0.0.1:${port}`,
      'STRATA_TOKEN=e2e',
      'TERM=xterm-256color',
    ].flatMap((e) => ['-e', e]);
    await tmux(
      'new-session',
      '-d',
      '-s',
      SESSION,
      '-x',
      '80',
      '-y',
      '30',
      ...env,
      bin,
      'status',
      'dev',
      '--watch',
    );
    // The pane stays after the command ends, so a crash is on screen for the assertion's message.
    await tmux('set-option', '-t', SESSION, 'remain-on-exit', 'on');
    const until = { timeout: 60_000, interval: 200 };
    await vi.waitFor(async () => {
      expect(await screen()).toMatch(/◐ Processing\s+web/);
    }, until);
    expect(await screen()).not.toContain('hub unreachable');
    keep('cli-watch-1-live', await screen());

    await killServer();
    await vi.waitFor(async () => {
      const lines = (await screen()).split('\n');
      expect(lines[0]).toMatch(/^⚠ hub unreachable since \d\d:\d\d:\d\d, showing last known$/);
    }, until);
    const down = await screen();
    keep('cli-watch-2-hub-down', down);
    expect(down).toMatch(/◐ Processing\s+web .*\(last known\)/);
    // A real 80-column terminal: the notice and the page fit, nothing wraps.
    for (const line of down.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);

    hub.page = appPage('success');
    hub.up();
    await startServer();
    await vi.waitFor(async () => {
      const now = await screen();
      expect(now).toMatch(/✓ Success\s+web/);
      expect(now).not.toContain('hub unreachable');
      expect(now).not.toContain('last known');
    }, until);
    keep('cli-watch-3-hub-back', await screen());

    // Ctrl-C ends it (kubectl's habit: 130). tmux once reported the pane dead with no exit status (as for a
    // process killed by the signal) in 1 run of 6; either way the watch is over.
    await tmux('send-keys', '-t', SESSION, 'C-c');
    await vi.waitFor(async () => {
      const [dead, status, signal] = (
        await tmux(
          'display-message',
          '-p',
          '-t',
          SESSION,
          '#{pane_dead},#{pane_dead_status},#{pane_dead_signal}',
        )
      )
        .trim()
        .split(',');
      expect(dead).toBe('1');
      expect(status === '130' || signal === '2' || status === '', `exit ${status}, signal ${signal}`).toBe(
        true,
      );
    }, until);
  });
});
