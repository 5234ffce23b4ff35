// A sensitive value the cluster echoes back in an error must not be stored, logged or served in clear, not even
// after the profile is detached and the hub restarted (then no live runtime knows the secret to redact it at
// display). A unique canary goes in as the value; every byte the hub wrote and every answer it gives is
// searched for it, on SQLite and on PostgreSQL.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { down, up, type ControlPlaneState } from '../../testenv/src/controlplane.js';
import { freePort } from '../../testenv/src/ports.js';
import { backends } from '../store/testing/backends.js';
import { Backend } from '../store/url.js';
import { SseClient, type SseMessage } from './testing/server.js';

const root = resolve(import.meta.dirname, '..', '..');
const CP = 'secrets-at-rest-it';
const CANARY = `canary${randomBytes(8).toString('hex')}`;
let cp: ControlPlaneState;

beforeAll(async () => {
  await down({ name: CP });
  cp = await up({ name: CP, nodes: 1 });
});

afterAll(async () => {
  await down({ name: CP });
});

/** The image tag is the sensitive value; kwok's image-pull-backoff makes the cluster echo the image back. */
function profileYaml(namespace: string): string {
  return [
    'apiVersion: strata.dev/v1alpha1',
    'kind: ClusterProfile',
    'metadata: { name: secretive }',
    'spec:',
    '  version: 1.0.0',
    '  type: add-on',
    '  variables:',
    '    - { name: tag, sensitive: true, required: true }',
    '  packs:',
    '    - name: leaky',
    '      layer: addon',
    '      version: 1.0.0',
    '      type: manifest',
    `      namespace: ${namespace}`,
    '      manifests:',
    '        - apiVersion: apps/v1',
    '          kind: Deployment',
    '          metadata: { name: leaky }',
    '          spec:',
    '            selector: { matchLabels: { app: leaky } }',
    '            template:',
    '              metadata: { labels: { app: leaky }, annotations: { testenv.strata.dev/behavior: image-pull-backoff } }',
    '              spec: { containers: [{ name: main, image: "registry.local/leaky:{{ .strata.var.tag }}" }] }',
    '',
  ].join('\n');
}

/** Every file under `dir`, as bytes. */
function filesUnder(dir: string): { path: string; bytes: Buffer }[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return { path, bytes: readFileSync(path) };
    });
}

describe.each(backends())('a sensitive value echoed by the cluster, on $name', (env) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-secrets-'));
  let databaseUrl: string | undefined;
  let port = 0;
  let hub: ChildProcess | undefined;
  let log = '';

  beforeAll(async () => {
    await env.setup();
    if (env.name === Backend.Postgres) databaseUrl = await env.freshUrl();
    port = await freePort();
  });

  afterAll(async () => {
    await stop();
    await env.teardown();
  });

  /** A real hub process on the same data each time, at the default log level; its output goes to `log`. */
  async function start(): Promise<void> {
    const args = ['--import', 'tsx', 'src/main.ts', 'serve', '--address', `127.0.0.1:${port}`];
    args.push('--data-dir', dataDir, ...(databaseUrl === undefined ? [] : ['--database-url', databaseUrl]));
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    hub = child;
    let out = '';
    await new Promise<void>((ready, failed) => {
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        out += chunk.toString();
        if (out.includes('hub listening on')) ready();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => {
        failed(new Error(`hub exited with ${String(code)}:\n${out}`));
      });
    });
  }

  async function stop(): Promise<void> {
    const child = hub;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }

  const url = () => `http://127.0.0.1:${port}`;
  const token = () => readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  /** The raw answer text (whatever its status): the canary must not be in an error either. */
  async function get(path: string): Promise<string> {
    const res = await fetch(`${url()}/api/v1${path}`, { headers: { authorization: `Bearer ${token()}` } });
    return res.text();
  }
  async function send(method: string, path: string, body?: unknown): Promise<void> {
    const res = await fetch(`${url()}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token()}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  }
  /** `bin/strata …` against the hub, stdout and stderr together. */
  function strata(args: readonly string[]): Promise<string> {
    return new Promise((done, failed) => {
      const child = spawn(join(root, 'bin', 'strata'), [...args], {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: dataDir,
          XDG_CONFIG_HOME: join(dataDir, 'cli-config'),
          STRATA_SERVER: url(),
          STRATA_TOKEN: token(),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.on('error', failed);
      child.on('close', () => {
        done(out);
      });
    });
  }
  const removed = (messages: readonly SseMessage[]) =>
    messages.some((m) => m.event === 'pack.removed' && m.data.pack === 'leaky');

  it('is stored, logged and served only redacted, after attach, detach and a restart', async () => {
    await start();
    await send('POST', '/clusters', { name: 'local', kubeconfig: readFileSync(cp.kubeconfig, 'utf8') });
    await send('POST', '/profiles', { yaml: profileYaml(`leaky-${env.name}`), file: 'secretive.yaml' });
    const live = await SseClient.open(url(), { token: token(), cluster: 'local' });
    await send('POST', '/clusters/local/attachments', { profile: 'secretive', values: { tag: CANARY } });
    await live.until(
      (messages) =>
        messages.some(
          (m) =>
            m.event === 'pack.status' &&
            m.data.pack === 'leaky' &&
            (m.data.data as { phase: string }).phase === 'failed',
        ),
      90_000,
      'the pack red with the pull error',
    );
    // The cluster really echoed the value: the page names the image, masked.
    const page = await get('/clusters/local/page');
    expect(page).toContain('registry.local/leaky:******');
    const attached = [
      page,
      await get('/clusters/local/packs/leaky/history'),
      await get('/clusters/local/transitions'),
      await get('/clusters/local/packs/leaky/values'),
      await get('/clusters/local/attachments'),
    ];
    await send('DELETE', '/clusters/local/attachments/secretive');
    await live.until(removed, 90_000, 'the pack removed after the detach');
    await live.close();
    await stop();

    // Restarted on the same data: nothing knows the secret any more, so only what was stored can be served.
    await start();
    const replay = await SseClient.open(url(), { token: token(), cluster: 'local', lastEventId: 0 });
    await replay.until(removed, 30_000, 'the replay of the stored events');
    await replay.close();
    const replayed = JSON.stringify(replay.messages);
    expect(replayed).toContain('registry.local/leaky:******');
    const served = [
      ...attached,
      replayed,
      JSON.stringify(live.messages),
      await get('/clusters/local/page'),
      await get('/clusters/local/transitions'),
      await get('/clusters/local/packs/leaky/history'),
      await get('/clusters/local/packs/leaky/values'),
      await strata(['events', 'local', '-o', 'json']),
      await strata(['pack', 'history', 'local', 'leaky']),
    ];
    // Read while the hub runs (its -wal and -shm exist now) and again once it stopped.
    const running = filesUnder(dataDir);
    expect(running.map((f) => f.path).join(' ')).toContain(
      env.name === Backend.Sqlite ? 'strata.db-wal' : 'admin-token',
    );
    await stop();

    const leaks: string[] = [];
    served.forEach((text, i) => {
      if (text.includes(CANARY)) leaks.push(`API/CLI answer ${i}: ${text.slice(0, 200)}`);
    });
    if (log.includes(CANARY)) leaks.push('the hub log');
    // The SQLite database, its -wal and -shm, the key and token files: every byte the hub wrote.
    for (const file of [...running, ...filesUnder(dataDir)])
      if (file.bytes.includes(CANARY)) leaks.push(file.path);
    if (databaseUrl !== undefined) {
      const tables = await env.query(
        databaseUrl,
        "select table_name from information_schema.tables where table_schema = 'public'",
      );
      expect(tables.map((t) => t.table_name)).toContain('events');
      for (const { table_name: table } of tables) {
        const rows = await env.query(databaseUrl, `select t::text as row from "${String(table)}" t`);
        if (JSON.stringify(rows).includes(CANARY)) leaks.push(`PostgreSQL table ${String(table)}`);
      }
    }
    expect(leaks).toEqual([]);
  }, 300_000);
});
