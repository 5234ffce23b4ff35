// End to end: a real control plane, a hub started by `bin/strata serve`, and the CLI run as a subprocess the
// way a person or a pipeline runs it, asserting exit codes, stdout and stderr.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { down, up, type ControlPlaneState } from '../../testenv/src/controlplane.js';
import { freePort } from '../../testenv/src/ports.js';
import type { ClusterPage } from './types.js';

const CP = 'cli-it';
const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'strata');
let cp: ControlPlaneState;
let work: string;
let server: string;
let token: string;
let hub: ChildProcess;
let hubLog = '';
let hubPort: number;
let dataDir: string;

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `bin/strata …` from the repo root with the hub's URL and token in the environment. */
function strata(
  args: readonly string[],
  options: { env?: Record<string, string>; stopWhen?: (stdout: string) => boolean } = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        XDG_CONFIG_HOME: join(work, 'config'),
        STRATA_SERVER: server,
        STRATA_TOKEN: token,
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let stopped = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!stopped && options.stopWhen?.(stdout) === true) {
        stopped = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

async function apiPage(cluster: string): Promise<ClusterPage> {
  const response = await fetch(`${server}/api/v1/clusters/${cluster}/page`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return (await response.json()) as ClusterPage;
}

beforeAll(async () => {
  await down({ name: CP });
  cp = await up({ name: CP, nodes: 2 });
  work = await mkdtemp(join(tmpdir(), 'strata-cli-it-'));
  hubPort = await freePort();
  server = `http://127.0.0.1:${hubPort}`;
  dataDir = join(work, 'data');
  hub = await startHub();
  token = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
});

/** `bin/strata serve` on the test's port and data dir; resolves once it listens. */
async function startHub(): Promise<ChildProcess> {
  hubLog = '';
  const child = spawn(bin, ['serve'], {
    cwd: root,
    env: {
      ...process.env,
      STRATA_DATA_DIR: dataDir,
      STRATA_ADDRESS: `127.0.0.1:${hubPort}`,
      STRATA_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`the hub did not start:\n${hubLog}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      hubLog += chunk.toString();
      if (hubLog.includes('hub listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the hub exited (${String(code)}):\n${hubLog}`));
    });
  });
  return child;
}

afterAll(async () => {
  if (hub.exitCode === null) {
    const exited = new Promise((resolve) => hub.once('exit', resolve));
    hub.kill('SIGTERM');
    await exited;
  }
  await down({ name: CP });
  await rm(work, { recursive: true, force: true });
});

describe('strata CLI against a real hub', () => {
  it('says how to start the hub when it cannot reach it', async () => {
    const closed = await freePort();
    const result = await strata(['cluster', 'list'], {
      env: { STRATA_SERVER: `http://127.0.0.1:${closed}` },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: cannot reach the Strata hub at http://127.0.0.1:${closed}: is \`strata serve\` running?`,
    );
  });

  it('registers a cluster, and refuses a bad kubeconfig with a clear error', async () => {
    const good = await strata(['cluster', 'add', 'cli', '--kubeconfig', cp.kubeconfig]);
    expect(good.stderr).toBe('');
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('cluster "cli" added');

    const bad = join(work, 'bad-kubeconfig.yaml');
    await writeFile(bad, 'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n');
    const refused = await strata(['cluster', 'add', 'other', '--kubeconfig', bad]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^error: .+ \(KUBECONFIG_INVALID\)/);

    const missing = await strata(['cluster', 'add', 'other', '--kubeconfig', join(work, 'nope.yaml')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('error: cannot read kubeconfig');
    expect(missing.stderr).toContain('ENOENT');

    const list = await strata(['cluster', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+STATUS\s+PACKS\s+REACHABLE/);
    expect(list.stdout).toMatch(/cli\s+✓ Success\s+0\/0\s+yes/);
  });

  it('applies profiles, and prints positioned errors for a broken one', async () => {
    for (const file of [
      'examples/infra.yaml',
      'examples/platform-tools.yaml',
      'examples/failing/broken-addon.yaml',
    ]) {
      const result = await strata(['profile', 'apply', '-f', file]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^profile \S+@\S+ published \(\d+ packs?\)\n$/);
    }
    const broken = join(work, 'broken.yaml');
    await writeFile(
      broken,
      'apiVersion: strata.dev/v1alpha1\nkind: ClusterProfile\nmetadata:\n  name: broken\nspec:\n  version: 1.0.0\n' +
        '  type: add-on\n  packs:\n    - name: a\n      layer: network\n      version: 1.0.0\n      type: manifest\n',
    );
    const result = await strata(['profile', 'apply', '-f', broken]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^error: .*\(PROFILE_INVALID\)$/);
    expect(lines).toContain(
      `${broken}:10:14 spec.packs[0].layer: expected one of os, k8s, cni, csi, addon; got "network"`,
    );

    const validate = await strata(['profile', 'validate', '-f', broken]);
    expect(validate.code).toBe(1);
    expect(validate.stderr).toContain(`${broken}:10:14 spec.packs[0].layer:`);

    const list = await strata(['profile', 'list']);
    expect(list.stdout).toMatch(/platform-tools\s+add-on\s+0\.3\.0\s+1/);
    const get = await strata(['profile', 'get', 'platform-tools@0.3.0']);
    expect(get.stdout).toBe(await readFile(join(root, 'examples/platform-tools.yaml'), 'utf8'));
  });

  it('attaches, and status --wait exits 2 on timeout, then 0 with every pack green', async () => {
    const infra = await strata(['attach', 'cli', 'local-infra']);
    expect(infra.stderr).toBe('');
    expect(infra.code).toBe(0);
    const tools = await strata(['attach', 'cli', 'platform-tools']);
    expect(tools.code).toBe(0);

    const early = await strata(['status', 'cli', '--wait', '--timeout', '1s']);
    expect(early.code).toBe(2);
    // Progress lines (one per change) come first on stderr; then the error and what is not green.
    expect(early.stderr).toMatch(
      /^error: timed out after 1s waiting for cluster cli: \d+ packs? not green \(WAIT_TIMEOUT\)$/m,
    );
    expect(early.stderr).toMatch(/\n {2}[○◐] \S+ \((Onboarding|Processing)\): /);

    const waited = await strata(['status', 'cli', '--wait', '--timeout', '3m']);
    expect(waited.stderr.split('\n').filter((l) => l.startsWith('error'))).toEqual([]);
    expect(waited.code).toBe(0);
    expect(waited.stdout).toMatch(/^Cluster cli {2}✓ Success {2}reachable/);
    expect(waited.stdout).toContain('[##########]');
    // Not a terminal: no escape codes.
    expect(waited.stdout).not.toContain('\x1b');

    const json = await strata(['status', 'cli', '-o', 'json']);
    expect(json.code).toBe(0);
    const page = JSON.parse(json.stdout) as ClusterPage;
    const api = await apiPage('cli');
    expect(page.packs.map((p) => [p.name, p.phase, p.layer, p.order])).toEqual(
      api.packs.map((p) => [p.name, p.phase, p.layer, p.order]),
    );
    expect(page.packs.every((p) => p.phase === 'success')).toBe(true);
    expect({ ...page.cluster }).toEqual({ ...api.cluster });
    expect(page.attachments).toEqual(api.attachments);
  });

  it('attaching a failing profile: status --wait exits 1 naming the pack and ImagePullBackOff', async () => {
    expect((await strata(['attach', 'cli', 'broken-addon'])).code).toBe(0);
    const result = await strata(['status', 'cli', '--wait', '--timeout', '3m']);
    expect(result.code).toBe(1);
    // The pack turns red at the first terminal pull error the kubelet reports: ErrImagePull, then
    // ImagePullBackOff on the next attempts.
    expect(result.stderr).toMatch(
      /^error: cluster cli: 1 pack failed \(PACK_FAILED\)\n {2}✗ broken-web \(Failed\): .*(ImagePullBackOff|ErrImagePull)/m,
    );
    expect(result.stdout).toContain('✗ Failed');
    expect(result.stdout).toMatch(/↳ Error: .*(ImagePullBackOff|ErrImagePull)/);

    // A pipeline gating on another profile is not failed by this red pack.
    const scoped = await strata(['status', 'cli', '--wait', '--profile', 'platform-tools', '-o', 'json']);
    expect(scoped.stderr.split('\n').filter((l) => l.startsWith('error'))).toEqual([]);
    expect(scoped.code).toBe(0);
    const gated = JSON.parse(scoped.stdout) as ClusterPage & { waitedOn: { profiles: string[] } };
    expect(gated.waitedOn.profiles).toEqual(['platform-tools']);
    expect(gated.packs.map((p) => p.profile)).toEqual(gated.packs.map(() => 'platform-tools'));
  });

  it('prints the events, and --watch prints snapshots on a pipe until Ctrl-C', async () => {
    const events = await strata(['events', 'cli']);
    expect(events.code).toBe(0);
    expect(events.stdout).toMatch(/pack\.transition\s+broken-web\s+.*✗ Failed/);
    expect(events.stdout).toMatch(/pack\.transition\s+\S+\s+.*→ ✓ Success/);

    const watch = await strata(['status', 'cli', '--watch'], {
      stopWhen: (out) => out.includes('broken-web'),
    });
    expect(watch.code).toBe(130);
    expect(watch.stdout).toMatch(/^Cluster cli {2}✗ Failed/);
    expect(watch.stdout).not.toContain('\x1b');
  });

  it("shows a pack's rendered values and history, and retries it; re-syncs the cluster", async () => {
    const values = await strata(['pack', 'values', 'cli', 'broken-web']);
    expect(values.code).toBe(0);
    expect(values.stderr).toBe('# broken-web (manifest) on cli: namespace broken, from broken-addon 0.0.1\n');
    expect(values.stdout).toMatch(/^apiVersion: apps\/v1\nkind: Deployment\n/);
    expect(values.stdout).toContain('image: registry.example/does-not-exist:nope');
    const json = await strata(['pack', 'values', 'cli', 'broken-web', '-o', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ pack: 'broken-web', type: 'manifest', masked: false });

    const history = await strata(['pack', 'history', 'cli', 'broken-web']);
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/^TIME\s+FROM\s+TO\s+REASON\n/);
    expect(history.stdout).toMatch(/◐ Processing\s+✗ Failed\s+Error: .*(ErrImagePull|ImagePullBackOff)/);
    expect(history.stdout).toMatch(/✗ Failed\s+Error: .*Pod broken\//);

    // The status page carries the current run only; every run is a command away.
    const runs = await strata(['pack', 'runs', 'cli', 'broken-web']);
    expect(runs.code).toBe(0);
    expect(runs.stdout).toMatch(
      /^RUN\s+REVISION\s+STARTED\s+DURATION\s+OUTCOME\ninstall\s+[0-9a-f]{12}\s+\S+Z\s+\S+\s+✗ Failed\n$/,
    );

    const retry = await strata(['pack', 'retry', 'cli', 'broken-web']);
    expect(retry).toMatchObject({
      code: 0,
      stdout: 'retry of pack "broken-web" on cluster "cli" requested\n',
    });
    const resync = await strata(['cluster', 'resync', 'cli']);
    expect(resync).toMatchObject({ code: 0, stdout: 're-sync of cluster "cli" requested\n' });

    const missing = await strata(['pack', 'values', 'cli', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: pack "cli\/nope" not found \(NOT_FOUND\)/);
  });

  it('creates tokens: the plaintext alone on stdout, and it works with its role', async () => {
    const created = await strata(['token', 'create', '--role', 'viewer', '--name', 'cli-it']);
    expect(created.code).toBe(0);
    expect(created.stderr).toContain('token "cli-it" (role viewer');
    const viewer = created.stdout.trim();
    expect(viewer).toMatch(/^\S+$/);
    expect((await strata(['cluster', 'list'], { env: { STRATA_TOKEN: viewer } })).code).toBe(0);
    const denied = await strata(['token', 'create', '--role', 'admin'], { env: { STRATA_TOKEN: viewer } });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^error: .*\(FORBIDDEN\)/);

    const unauth = await strata(['cluster', 'list'], { env: { STRATA_TOKEN: 'nope' } });
    expect(unauth.code).toBe(1);
    expect(unauth.stderr).toContain('set STRATA_TOKEN=');
  });

  it('status --watch says when the hub is unreachable, shows the last known page, and recovers', async () => {
    const child = spawn(bin, ['status', 'cli', '--watch'], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        XDG_CONFIG_HOME: join(work, 'config'),
        STRATA_SERVER: server,
        STRATA_TOKEN: token,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    const lastSnapshot = () => stdout.slice(stdout.lastIndexOf('Cluster cli'));
    const until = { timeout: 60_000, interval: 100 };
    await vi.waitFor(() => {
      expect(stdout).toContain('broken-web');
    }, until);

    const killed = new Promise((resolve) => hub.once('exit', resolve));
    hub.kill('SIGKILL');
    await killed;
    await vi.waitFor(() => {
      expect(stdout).toMatch(/⚠ hub unreachable since \d\d:\d\d:\d\d, showing last known\n/);
    }, until);
    expect(lastSnapshot()).toMatch(/^Cluster cli {2}✗ Failed \(last known\)/);

    hub = await startHub();
    await vi.waitFor(() => {
      expect(stdout.lastIndexOf('Cluster cli')).toBeGreaterThan(stdout.lastIndexOf('⚠ hub unreachable'));
      // (The cluster's own "last known: the cluster is unreachable" may show while the hub reconnects to it.)
      expect(lastSnapshot()).not.toMatch(/\(last known\)/);
    }, until);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
  });
});
