import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { down, up, type ControlPlaneState } from '../../testenv/src/controlplane.js';
import { freePort } from '../../testenv/src/ports.js';
import { profileUpload } from '../profile/index.js';
import { SseClient } from './test-support.js';

const root = resolve(import.meta.dirname, '..', '..');
const CP = 'hub-restart-it';
const dataDir = mkdtempSync(join(tmpdir(), 'strata-restart-'));
let cp: ControlPlaneState;
let port: number;
let hub: ChildProcess | undefined;

/** A real hub process (`src/main.ts serve`) on the same data dir each time; resolves once it listens. */
async function startHub(): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/main.ts',
      'serve',
      '--address',
      `127.0.0.1:${port}`,
      '--data-dir',
      dataDir,
      '--log-level',
      'warn',
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  await new Promise<void>((ready, failed) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('hub listening on')) ready();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      failed(new Error(`hub exited with ${String(code)}:\n${out}`));
    });
  });
  return child;
}

beforeAll(async () => {
  await down({ name: CP });
  cp = await up({ name: CP, nodes: 2 });
  port = await freePort();
  hub = await startHub();
});

afterAll(async () => {
  hub?.kill('SIGKILL');
  await down({ name: CP });
});

const url = () => `http://127.0.0.1:${port}`;
const token = () => readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
/** A Buffer body is a profile bundle (application/gzip); anything else goes as JSON. */
async function api(method: string, path: string, body?: unknown): Promise<unknown> {
  const bundle = Buffer.isBuffer(body);
  const res = await fetch(`${url()}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token()}`,
      ...(body === undefined ? {} : { 'content-type': bundle ? 'application/gzip' : 'application/json' }),
    },
    ...(body === undefined ? {} : { body: bundle ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

interface Page {
  packs: { name: string; phase: string }[];
}
interface Transition {
  from: string;
  to: string;
}

describe('a hub killed mid-install', () => {
  it('is restarted on the same data, converges, and every pack history is an unbroken chain ending green', async () => {
    const examples = join(root, 'examples');
    await api('POST', '/clusters', { name: 'local', kubeconfig: readFileSync(cp.kubeconfig, 'utf8') });
    for (const file of ['monitoring.yaml', 'platform-tools.yaml']) {
      const upload = await profileUpload(join(examples, file));
      if (upload.bundle === undefined) await api('POST', '/profiles', { yaml: upload.yaml, file });
      else await api('POST', `/profiles?file=${file}`, upload.bundle);
    }
    const events = await SseClient.open(url(), { token: token(), cluster: 'local' });
    await api('POST', '/clusters/local/attachments', {
      profile: 'monitoring',
      values: { adminPassword: 'correct-horse-battery' },
    });
    await api('POST', '/clusters/local/attachments', { profile: 'platform-tools' });

    // Kill it (SIGKILL: no shutdown code runs) once some packs are green and others are still installing.
    await events.until(
      (messages) =>
        messages.some(
          (m) => m.event === 'pack.transition' && JSON.stringify(m.data).includes('"to":"success"'),
        ),
      60_000,
      'a first pack green',
    );
    const before = (await api('GET', '/clusters/local/page')) as Page;
    expect(before.packs.some((p) => p.phase !== 'success')).toBe(true);
    await events.close();
    hub?.kill('SIGKILL');
    await new Promise((r) => hub?.once('exit', r));

    hub = await startHub();
    const after = await SseClient.open(url(), { token: token(), cluster: 'local' });
    const green = async () =>
      ((await api('GET', '/clusters/local/page')) as Page).packs.every((p) => p.phase === 'success');
    let done = await green();
    while (!done) {
      const seen = after.messages.length;
      await after.until((m) => m.length > seen, 90_000, 'progress after the restart');
      done = await green();
    }
    await after.close();

    const page = (await api('GET', '/clusters/local/page')) as Page;
    expect(page.packs.map((p) => p.name).sort()).toEqual([
      'alert-relay',
      'dashboards',
      'echo',
      'metrics-store',
      'tenant-quotas',
    ]);
    for (const pack of page.packs) {
      const history = (await api('GET', `/clusters/local/packs/${pack.name}/history`)) as Transition[];
      expect(history.length, pack.name).toBeGreaterThan(0);
      expect(history[0]?.from, pack.name).toBe('onboarding');
      history.slice(1).forEach((t, i) => {
        expect(t.from, `${pack.name} transition ${i + 1}`).toBe(history[i]?.to);
      });
      expect(history.at(-1)?.to, pack.name).toBe('success');
    }
  });
});
