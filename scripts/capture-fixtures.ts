// Regenerates src/status/fixtures/captured/: starts its own testenv control plane (real kube-apiserver,
// controllers and scheduler, kwok nodes), drives objects into the states the status rules must judge, watches
// them until each state is reached, and writes each object with its related ReplicaSets/Pods and the
// evaluation pack-status.md asks for. The control plane is always stopped again.
//
// Run: npx tsx scripts/capture-fixtures.ts [name-filter …]
//   With filters (substrings of scenario names, e.g. `deployment/` or `pod/crash`) only those scenarios run
//   and only their files are rewritten; without, the whole folder is replaced.
import { relative } from 'node:path';
import { KubeConfig, type V1Namespace } from '@kubernetes/client-node';
import { down, up } from '../testenv/src/controlplane.js';
import { watchUntil } from '../testenv/src/watch-until.js';
import { clusterScenarios } from './capture/cluster.js';
import { controllerScenarios } from './capture/controllers.js';
import { deploymentScenarios } from './capture/deployments.js';
import { capturedDir, writeFixtures, type CapturedFixture } from './capture/fixture.js';
import { C, NS, type Context, type Scenario } from './capture/kube.js';
import { podScenarios } from './capture/pods.js';
import { Rest } from './capture/rest.js';
import { Store } from './capture/store.js';

const NAME = 'capture';
const scenarios: Scenario[] = [
  ...deploymentScenarios,
  ...controllerScenarios,
  ...podScenarios,
  ...clusterScenarios,
];

const log = (line: string) => {
  console.log(`[capture] ${line}`);
};

async function capture(selected: readonly Scenario[]): Promise<CapturedFixture[]> {
  log('starting control plane');
  const state = await up({ name: NAME, nodes: 3, log });
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  const rest = await Rest.of(kc);
  const store = new Store(kc);
  try {
    await Promise.all(Object.values(C).map((c) => store.watch(c)));
    await rest.create<V1Namespace>('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NS },
    });
    // Pods are refused until the namespace's default ServiceAccount exists.
    await watchUntil(kc, (sa) => sa.metadata?.name === 'default', {
      path: `/api/v1/namespaces/${NS}/serviceaccounts`,
      timeoutMs: 30_000,
      description: `ServiceAccount ${NS}/default`,
    });
    const ctx: Context = { kc, rest, store, log };
    // Independent scenarios run side by side; each waits on its own objects only.
    const results = await Promise.allSettled(
      selected.map(async (s) => {
        const started = Date.now();
        const fixtures = await s.run(ctx);
        log(`${s.name}: ${fixtures.length} captured in ${((Date.now() - started) / 1000).toFixed(1)}s`);
        return fixtures;
      }),
    );
    const failures = results.flatMap((r, i) =>
      r.status === 'rejected' ? [`${selected[i]?.name ?? '?'}: ${String(r.reason)}`] : [],
    );
    if (failures.length > 0)
      throw new Error(`${failures.length} scenario(s) failed:\n${failures.join('\n')}`);
    return results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
  } finally {
    store.stop();
  }
}

async function main(): Promise<void> {
  const filters = process.argv.slice(2);
  const selected =
    filters.length === 0 ? scenarios : scenarios.filter((s) => filters.some((f) => s.name.includes(f)));
  if (selected.length === 0) throw new Error(`no scenario matches ${filters.join(', ')}`);

  let fixtures: CapturedFixture[];
  try {
    fixtures = await capture(selected);
  } finally {
    log('stopping control plane');
    await down({ name: NAME });
  }
  // Written only when every scenario succeeded, so a failed run leaves the previous set untouched.
  const written = await writeFixtures(fixtures, { replaceAll: filters.length === 0 });
  for (const file of written) log(`wrote ${relative(process.cwd(), file)}`);
  log(`${written.length} fixtures in ${relative(process.cwd(), capturedDir)}`);
}

process.on('SIGINT', () => {
  void down({ name: NAME }).finally(() => process.exit(130));
});

await main();
