// P2 (issue 15, item 3): install wall time of one profile, 20 packs in 5 waves (each pack a ConfigMap and a
// Deployment of 2 pods that kwok makes ready 3 s after they start), on ONE control plane in ONE run, by:
//  - Strata: a compiled hub process (`strata serve`), from the attach call to every pack green;
//  - a sequential `helm upgrade --install --wait` loop over the same packs as charts, in wave order;
//  - `kubectl apply` of each wave, then `kubectl rollout status` of its Deployments (in parallel), wave by wave.
// Each in its own namespace, one after the other. The critical-path lower bound is waves × the pods' ready
// delay: no installer can finish sooner; how close kubectl gets shows the control plane's own pace on this
// machine. Verdicts are ratios: Strata no worse than kubectl per wave (10 % allowed for noise), faster than the
// helm loop. Prints BENCH_RESULT lines; asserts nothing.
//
//   npx tsx bench/install-compare.bench.ts [--waves 5] [--per-wave 4] [--ready-after 3]
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { stringify } from 'yaml';
import { down, up } from '../testenv/src/controlplane.js';
import { binDir } from '../testenv/src/paths.js';
import { apiOk, attachProfile, cpuMsOf, untilGreen, type BenchPackSpec } from './hub/hub-api.js';
import { repoRoot, startHub, type HubProcess } from './hub-process.js';
import { reportResult } from './result.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    waves: { type: 'string', default: '5' },
    'per-wave': { type: 'string', default: '4' },
    'ready-after': { type: 'string', default: '3' },
  },
});
const waves = Number(values.waves);
const perWave = Number(values['per-wave']);
const readyAfterS = Number(values['ready-after']);
const CP = 'bench-p2';
const CLUSTER = 'p2';

const log = (line: string) => {
  process.stderr.write(`[install-compare ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

let hub: HubProcess | undefined;
let stopping: Promise<void> | undefined;
const teardown = (): Promise<void> =>
  (stopping ??= (async () => {
    await hub?.stop().catch(() => undefined);
    await down({ name: CP });
  })());
process.once('SIGINT', () => {
  log('interrupted: stopping the hub and the control plane');
  void teardown().finally(() => process.exit(130));
});

interface Pack {
  readonly spec: BenchPackSpec;
  readonly wave: number;
}

function packsIn(namespace: string): Pack[] {
  const packs: Pack[] = [];
  for (let w = 0; w < waves; w++)
    for (let j = 0; j < perWave; j++)
      packs.push({
        wave: w,
        spec: {
          name: `w${String(w + 1)}-p${String(j + 1)}`,
          namespace,
          configMaps: 1,
          deployment: { replicas: 2, readyAfter: `${String(readyAfterS)}s` },
          priority: w * 10,
        },
      });
  return packs;
}

/** The pack's objects as the profile declares them (the same for helm and kubectl), in `namespace`. */
function objectsOf(spec: BenchPackSpec, namespace: string | undefined): Record<string, unknown>[] {
  const meta = (name: string) => ({ name, ...(namespace === undefined ? {} : { namespace }) });
  const objects: Record<string, unknown>[] = [];
  for (let i = 0; i < spec.configMaps; i++)
    objects.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(`${spec.name}-${String(i)}`),
      data: { i: String(i) },
    });
  if (spec.deployment !== undefined)
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(spec.name),
      spec: {
        replicas: spec.deployment.replicas,
        selector: { matchLabels: { app: spec.name } },
        template: {
          metadata: {
            labels: { app: spec.name },
            annotations: { 'testenv.strata.dev/ready-after': spec.deployment.readyAfter },
          },
          spec: { containers: [{ name: 'main', image: `registry.local/${spec.name}:1` }] },
        },
      },
    });
  return objects;
}

const docs = (objects: readonly Record<string, unknown>[]) => objects.map((o) => stringify(o)).join('---\n');

async function strata(h: HubProcess, packs: readonly Pack[]): Promise<{ seconds: number; cpuMs: number }> {
  const cpu = await cpuMsOf(h.pid);
  const start = performance.now();
  await attachProfile(
    h,
    CLUSTER,
    'p2',
    packs.map((p) => p.spec),
  );
  await untilGreen(h, CLUSTER, packs.length, { timeoutMs: 300_000, intervalMs: 100 });
  const seconds = (performance.now() - start) / 1000;
  return { seconds, cpuMs: (await cpuMsOf(h.pid)) - cpu };
}

async function helmLoop(dir: string, kubeconfig: string, packs: readonly Pack[]): Promise<number> {
  const helm = join(binDir({ build: false }), 'helm');
  for (const p of packs) {
    const chart = join(dir, 'charts', p.spec.name);
    mkdirSync(join(chart, 'templates'), { recursive: true });
    writeFileSync(join(chart, 'Chart.yaml'), `apiVersion: v2\nname: ${p.spec.name}\nversion: 1.0.0\n`);
    writeFileSync(join(chart, 'templates', 'all.yaml'), docs(objectsOf(p.spec, undefined)));
  }
  const start = performance.now();
  for (const p of packs)
    await run(helm, [
      'upgrade',
      '--install',
      '--wait',
      '--timeout',
      '5m',
      '--create-namespace',
      '--namespace',
      p.spec.namespace,
      '--kubeconfig',
      kubeconfig,
      p.spec.name,
      join(dir, 'charts', p.spec.name),
    ]);
  return (performance.now() - start) / 1000;
}

async function kubectlWaves(dir: string, kubeconfig: string, packs: readonly Pack[]): Promise<number> {
  const kubectl = join(binDir({ build: false }), 'kubectl');
  const namespace = packs[0]?.spec.namespace ?? 'p2-kubectl';
  const files: string[] = [];
  for (let w = 0; w < waves; w++) {
    const objects = packs.filter((p) => p.wave === w).flatMap((p) => objectsOf(p.spec, namespace));
    const ns = w === 0 ? [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }] : [];
    const file = join(dir, `wave-${String(w)}.yaml`);
    writeFileSync(file, docs([...ns, ...objects]));
    files.push(file);
  }
  const start = performance.now();
  for (let w = 0; w < waves; w++) {
    await run(kubectl, ['--kubeconfig', kubeconfig, 'apply', '-f', files[w] ?? '']);
    await Promise.all(
      packs
        .filter((p) => p.wave === w)
        .map((p) =>
          run(kubectl, [
            '--kubeconfig',
            kubeconfig,
            'rollout',
            'status',
            '--timeout',
            '5m',
            '--namespace',
            namespace,
            `deployment/${p.spec.name}`,
          ]),
        ),
    );
  }
  return (performance.now() - start) / 1000;
}

async function main(): Promise<void> {
  execFileSync(join(repoRoot, 'scripts', 'build-dist'), { stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-p2-'));
  try {
    await down({ name: CP });
    log('starting the control plane');
    const cp = await up({ name: CP, nodes: 3, log });
    hub = await startHub('dist');
    await apiOk(hub, 'POST', '/api/v1/clusters', 201, {
      name: CLUSTER,
      kubeconfig: readFileSync(cp.kubeconfig, 'utf8'),
    });
    const lowerBound = waves * readyAfterS;
    log(`${String(waves * perWave)} packs in ${String(waves)} waves; lower bound ${String(lowerBound)} s`);
    const s = await strata(hub, packsIn('p2-strata'));
    log(`strata: ${s.seconds.toFixed(1)} s, hub CPU ${(s.cpuMs / 1000).toFixed(2)} s`);
    await hub.stop();
    hub = undefined;
    const k = await kubectlWaves(dir, cp.kubeconfig, packsIn('p2-kubectl'));
    log(`kubectl apply + rollout status per wave: ${k.toFixed(1)} s`);
    const hl = await helmLoop(dir, cp.kubeconfig, packsIn('p2-helm'));
    log(`helm upgrade --install --wait loop: ${hl.toFixed(1)} s`);
    const packs = String(waves * perWave);
    reportResult({
      figure: `P2 Strata install ÷ critical-path lower bound (${packs} packs, ${String(waves)} waves, ${String(lowerBound)} s)`,
      // Context, not a verdict: the control plane's own pace (kubectl's ratio below) sets how close anyone gets.
      target: '-',
      measured: s.seconds / lowerBound,
      unit: '×',
    });
    reportResult({
      figure: 'P2 kubectl per wave ÷ critical-path lower bound (the control plane pace)',
      target: '-',
      measured: k / lowerBound,
      unit: '×',
    });
    reportResult({
      figure: 'P2 Strata ÷ kubectl apply + rollout status per wave (no worse, 10 % noise allowed)',
      target: '≤ 1.10',
      measured: s.seconds / k,
      unit: '×',
    });
    reportResult({
      figure: 'P2 Strata ÷ sequential helm upgrade --install --wait loop',
      target: '< 1',
      measured: s.seconds / hl,
      unit: '×',
    });
    reportResult({ figure: 'P2 Strata install wall time', target: '-', measured: s.seconds, unit: 's' });
    reportResult({ figure: 'P2 kubectl per wave wall time', target: '-', measured: k, unit: 's' });
    reportResult({ figure: 'P2 helm loop wall time', target: '-', measured: hl, unit: 's' });
    reportResult({
      figure: `P2 hub CPU per pack (${packs}-pack install)`,
      target: '-',
      measured: s.cpuMs / (waves * perWave),
      unit: 'ms',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await teardown();
  }
}

await main();
