import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { down, up, type ControlPlaneState } from '../../testenv/src/controlplane.js';
import { freePort } from '../../testenv/src/ports.js';
import { profileUpload } from '../profile/index.js';
import { SseClient, type SseMessage } from './testing/server.js';

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
  await kill();
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
  time: string;
  from: string;
  to: string;
  reason: string;
}

const PACKS: Readonly<Record<string, readonly string[]>> = {
  monitoring: ['metrics-store', 'dashboards', 'alert-relay'],
  'platform-tools': ['tenant-quotas', 'echo'],
};
const VALUES: Readonly<Record<string, Record<string, string>>> = {
  monitoring: { adminPassword: 'correct-horse-battery' },
  'platform-tools': {},
};

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with STRATA_KILL_SEED. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function kill(): Promise<void> {
  const child = hub;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

const isPackEvent = (m: SseMessage) =>
  m.event === 'pack.status' || m.event === 'pack.transition' || m.event === 'pack.removed';

describe('a hub killed with -9 at random moments', () => {
  const seed = Number(process.env.STRATA_KILL_SEED ?? 20261206);
  it(`keeps every pack history one unbroken chain across 20 kills (seed ${seed})`, async () => {
    const random = seeded(seed);
    const examples = join(root, 'examples');
    await api('POST', '/clusters', { name: 'local', kubeconfig: readFileSync(cp.kubeconfig, 'utf8') });
    for (const file of ['monitoring.yaml', 'platform-tools.yaml']) {
      const upload = await profileUpload(join(examples, file));
      if (upload.bundle === undefined) await api('POST', '/profiles', { yaml: upload.yaml, file });
      else await api('POST', `/profiles?file=${file}`, upload.bundle);
    }
    const attached = new Set<string>();
    const moments: string[] = [];
    for (let kills = 0; kills < 20; kills++) {
      const events = await SseClient.open(url(), { token: token(), cluster: 'local' });
      // Attach or detach one profile (alternating per profile), then kill after the k-th pack event that
      // follows: 0 is the instant the API answered; larger k lands mid-wave (monitoring's dashboards wait
      // for metrics-store) or mid-uninstall. An attach waits at most until its packs settled.
      const profile = random() < 0.5 ? 'monitoring' : 'platform-tools';
      const attach = !attached.has(profile);
      const packs = PACKS[profile] ?? [];
      const k = Math.floor(random() * (attach ? 4 * packs.length : 2 * packs.length + 1));
      const seen = events.messages.length;
      if (attach) {
        await api('POST', '/clusters/local/attachments', { profile, values: VALUES[profile] });
        attached.add(profile);
      } else {
        await api('DELETE', `/clusters/local/attachments/${profile}`);
        attached.delete(profile);
      }
      const settled = (messages: readonly SseMessage[]) =>
        attach &&
        packs.every((pack) => {
          const last = messages.findLast((m) => m.event === 'pack.status' && m.data.pack === pack);
          const phase = (last?.data.data as { phase?: string } | undefined)?.phase;
          return phase === 'success' || phase === 'failed';
        });
      await events.until(
        (messages) => messages.slice(seen).filter(isPackEvent).length >= k || settled(messages),
        120_000,
        `${k} pack events after ${attach ? 'attaching' : 'detaching'} ${profile}`,
      );
      moments.push(`${attach ? 'attach' : 'detach'} ${profile} +${k}`);
      await events.close();
      await kill();
      hub = await startHub();
    }

    // Everything attached again, then wait until the restarted hub has installed it all.
    for (const profile of Object.keys(PACKS).filter((p) => !attached.has(p))) {
      await api('POST', '/clusters/local/attachments', { profile, values: VALUES[profile] });
    }
    const after = await SseClient.open(url(), { token: token(), cluster: 'local' });
    const page = async () => (await api('GET', '/clusters/local/page')) as Page;
    const green = async () => {
      const p = await page();
      return p.packs.length === 5 && p.packs.every((x) => x.phase === 'success');
    };
    while (!(await green())) {
      const seen = after.messages.length;
      await after.until((m) => m.length > seen, 120_000, `progress after ${moments.join(', ')}`);
    }
    await after.close();

    const final = await page();
    expect(final.packs.map((p) => p.name).sort()).toEqual([
      'alert-relay',
      'dashboards',
      'echo',
      'metrics-store',
      'tenant-quotas',
    ]);
    for (const pack of final.packs) {
      const history = (
        (await api('GET', `/clusters/local/packs/${pack.name}/history`)) as { transitions: Transition[] }
      ).transitions;
      const where = `${pack.name} after ${moments.join(', ')}`;
      expect(history.length, where).toBeGreaterThan(0);
      expect(history[0]?.from, where).toBe('onboarding');
      history.slice(1).forEach((t, i) => {
        expect(t.from, `${where}: transition ${i + 1} of ${JSON.stringify(history)}`).toBe(history[i]?.to);
      });
      const keys = history.map((t) => `${t.time} ${t.from}→${t.to}`);
      expect(new Set(keys).size, `${where}: a transition stored twice`).toBe(keys.length);
      expect(history.at(-1)?.to, where).toBe(pack.phase);
    }
  }, 600_000);
});
