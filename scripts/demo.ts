/**
 * `make demo`: the whole system on one machine. Starts a local control plane (testenv), starts the hub on
 * SQLite, registers the cluster, imports and attaches the example profiles (examples/), and prints the page's
 * URL and an admin token. The packs go gray → blue → green live; once they are green, the failing example
 * (examples/failing) is attached and turns red with its reason. Ctrl-C stops everything it started.
 *
 *   --ci            non-interactive: exit 0 once every pack of the green example is green and the failing
 *                   example is red with its reason, non-zero otherwise (or after --timeout)
 *   --name N        control plane and cluster name (default "demo")
 *   --address A     where the hub listens (default 127.0.0.1:7400, or a free port when that is taken)
 *   --data-dir D    hub data (default .strata/demo; wiped at start: this is a demo)
 *   --timeout D     give up after this long (default 10m)
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDuration, profileUpload } from '../src/profile/index.js';
import { serve, type RunningHub } from '../src/server/index.js';
import type { HubEvent, PackView } from '../src/hub/index.js';
import { down, up } from '../testenv/src/controlplane.js';
import { binDir } from '../testenv/src/paths.js';
import { freePort, isPortFree } from '../testenv/src/ports.js';

const root = resolve(import.meta.dirname, '..');
const examples = join(root, 'examples');
const green: { file: string; profile: string; values: Record<string, string> }[] = [
  { file: 'infra.yaml', profile: 'local-infra', values: {} },
  { file: 'monitoring.yaml', profile: 'monitoring', values: { adminPassword: 'demo-password-123' } },
  { file: 'platform-tools.yaml', profile: 'platform-tools', values: {} },
];
const failing = { file: 'failing/broken-addon.yaml', profile: 'broken-addon' };
const actor = { name: 'demo' };

const { values: flags } = parseArgs({
  options: {
    ci: { type: 'boolean', default: process.env.CI === 'true' },
    name: { type: 'string', default: 'demo' },
    address: { type: 'string' },
    'data-dir': { type: 'string', default: join(root, '.strata', 'demo') },
    timeout: { type: 'string', default: '10m' },
  },
});
const name = flags.name;
const timeoutMs = parseDuration(flags.timeout);
if (timeoutMs === undefined) fail(`--timeout: not a duration: ${flags.timeout}`);

const say = (line: string) => process.stdout.write(`${line}\n`);
let running: RunningHub | undefined;
let stopping = false;

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    say('demo: stopping the hub and the control plane…');
    await running?.close().catch(() => undefined);
    await down({ name }).catch(() => undefined);
  }
  process.exit(code);
}

function fail(message: string): never {
  process.stderr.write(`demo: ${message}\n`);
  void stop(1);
  throw new Error(message);
}

process.once('SIGINT', () => void stop(130));
process.once('SIGTERM', () => void stop(143));

async function main(): Promise<void> {
  say(
    `demo: starting the local control plane "${name}" (real kube-apiserver, etcd, controllers, 3 kwok nodes)…`,
  );
  const cp = await up({ name, nodes: 3, log: (line) => say(`  ${line}`) });

  const address =
    flags.address ?? ((await isPortFree(7400)) ? '127.0.0.1:7400' : `127.0.0.1:${await freePort()}`);
  await rm(flags['data-dir'], { recursive: true, force: true });
  running = await serve({
    argv: ['--address', address, '--data-dir', flags['data-dir'], '--log-level', 'warn'],
    handleSignals: false,
    // The token is printed below with the rest of what a user needs.
    print: (line) => {
      if (!line.startsWith('strata: first start') && !line.startsWith('strata_')) say(line);
    },
  });
  const { hub, url, adminToken } = running;

  await hub.registerCluster({ name, kubeconfig: readFileSync(cp.kubeconfig, 'utf8') }, actor);
  for (const { file } of [...green, failing]) {
    await hub.importProfile({ ...(await profileUpload(join(examples, file))), file }, actor);
  }

  say('');
  say(`  Cluster Profile page:  ${url}/#/clusters/${name}`);
  say(`  API token (admin):     ${adminToken ?? '(see the data dir)'}`);
  say(`  In a terminal:         STRATA_SERVER=${url} STRATA_TOKEN=<token> bin/strata status ${name} --watch`);
  say(
    `  kubectl:               KUBECONFIG=${cp.kubeconfig} ${join(binDir({ build: false }), 'kubectl')} get pods -A`,
  );
  say('');

  // Follow every colour change as it happens.
  hub.subscribe((event: HubEvent) => {
    if (event.kind !== 'pack.transition' || !event.pack) return;
    const t = (event.data as { transition?: { from: string; to: string; message: string } }).transition;
    if (!t) return;
    say(`  ${icon(t.from)} → ${icon(t.to)} ${event.pack.padEnd(18)} ${t.message}`);
  });

  for (const { profile, values } of green) await hub.attach({ cluster: name, profile, values }, actor);
  const greenPacks = await waitFor(
    (packs) => packs.length > 0 && packs.every((p) => p.phase === 'success'),
    'every pack green',
  );
  say(`demo: all ${greenPacks.length} packs of the example profiles are green.`);

  say('demo: now the failing example: a Deployment whose image cannot be pulled.');
  await hub.attach({ cluster: name, profile: failing.profile }, actor);
  const after = await waitFor(
    (packs) => packs.some((p) => p.profile === failing.profile && p.phase === 'failed'),
    'the failing pack to turn red',
  );
  const red = after.find((p) => p.profile === failing.profile && p.phase === 'failed');
  say(`demo: ${red?.name ?? ''} is red: ${red?.message ?? ''}`);

  if (flags.ci) {
    const ok =
      greenPacks.every((p) => p.phase === 'success') &&
      /ImagePullBackOff|ErrImagePull/.test(red?.message ?? '');
    say(ok ? 'demo: OK' : 'demo: the failing pack is red for another reason than expected');
    await stop(ok ? 0 : 1);
  }
  say(`demo: running. Open ${url}/#/clusters/${name} (token above). Ctrl-C stops everything.`);
}

/** Resolves with the page's packs once `done` holds, re-checked on every hub event; fails after the timeout. */
function waitFor(done: (packs: readonly PackView[]) => boolean, what: string): Promise<readonly PackView[]> {
  const hub = running?.hub;
  if (!hub) throw new Error('hub not running');
  return new Promise((resolvePromise) => {
    let last: readonly PackView[] = [];
    const timer = setTimeout(() => {
      const summary = last
        .filter((p) => p.phase !== 'success')
        .map((p) => `${p.name}: ${p.phase}: ${p.message}`);
      fail(`timed out after ${flags.timeout} waiting for ${what}:\n  ${summary.join('\n  ')}`);
    }, timeoutMs);
    const check = async () => {
      last = (await hub.clusterPage(name)).packs;
      if (!done(last)) return;
      clearTimeout(timer);
      unsubscribe();
      resolvePromise(last);
    };
    const unsubscribe = hub.subscribe(() => void check());
    void check();
  });
}

function icon(phase: string): string {
  return (
    ({ onboarding: '○', processing: '◐', success: '✓', failed: '✗' } as Record<string, string>)[phase] ?? '?'
  );
}

main().catch((error: unknown) => {
  fail(error instanceof Error ? error.message : String(error));
});
