import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ApiextensionsV1Api,
  ApisApi,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  RbacAuthorizationV1Api,
  type V1ClusterRole,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../kube/index.js';
import { formatIssues, loadProfileFiles } from '../profile/index.js';
import { PackPhase } from '../status/index.js';
import { down, up, type ControlPlaneState } from '../../testenv/src/controlplane.js';
import { watchUntil } from '../../testenv/src/watch-until.js';
import type { DesiredPack } from './desired.js';
import { desiredOrThrow, helmBin, startRunner, type EventLog } from './testing/runner.js';
import type { ClusterRunner } from './runner.js';

// Differential conformance (issue 11): each small chart of conformance/charts is installed with the pinned
// `helm upgrade --install --wait` into one namespace and through Strata into another on the same control
// plane; the test compares what exists, the outcome and what an uninstall leaves. Where Strata deliberately
// differs from Helm, the test asserts the difference and says why.
const CP = 'engine-conformance-it';
const CLUSTER = 'conformance';
const charts = join(import.meta.dirname, 'conformance', 'charts');
const dir = mkdtempSync(join(tmpdir(), 'strata-conformance-'));
// Local charts must sit inside the profile's folder (the loader refuses absolute paths and `..`), as a user's
// would: the test profile is written next to a copy of the charts.
cpSync(charts, join(dir, 'charts'), { recursive: true });
const run = promisify(execFile);
let cp: ControlPlaneState;
let kc: KubeConfig;
let runner: ClusterRunner;
let log: EventLog;
let kube: KubeClient;

beforeAll(async () => {
  await down({ name: CP });
  cp = await up({ name: CP, nodes: 1 });
  kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfig);
  ({ runner, log, kube } = await startRunner(cp.kubeconfig, CLUSTER));
});

afterAll(async () => {
  runner.stop();
  await down({ name: CP });
});

/** `helm upgrade --install --wait`; the outcome and Helm's own message. */
async function helmInstall(
  chart: string,
  namespace: string,
  flags: readonly string[] = [],
): Promise<{ ok: boolean; output: string }> {
  return helm([
    ...flags,
    'upgrade',
    '--install',
    '--wait',
    '--timeout=90s',
    '--create-namespace',
    `--namespace=${namespace}`,
    '--',
    'conf',
    join(charts, chart),
  ]);
}

async function helmUninstall(namespace: string): Promise<{ ok: boolean; output: string }> {
  return helm(['uninstall', '--wait', '--timeout=90s', `--namespace=${namespace}`, '--', 'conf']);
}

async function helm(args: string[]): Promise<{ ok: boolean; output: string }> {
  const home = join(dir, 'helm-home');
  try {
    const { stdout, stderr } = await run(helmBin(), args, {
      env: {
        ...process.env,
        KUBECONFIG: cp.kubeconfig,
        HELM_CACHE_HOME: home,
        HELM_CONFIG_HOME: home,
        HELM_DATA_HOME: home,
      },
    });
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? e.message}` };
  }
}

/** Every pack of the test so far, as its line in the profile's pack list. */
const packs = new Map<string, string>();

const helmPack = (name: string, chart: string, namespace: string, values = '{}') =>
  `{ name: ${name}, layer: addon, version: 0.1.0, type: helm, releaseName: conf, chart: { path: charts/${chart} }, namespace: ${namespace}, timeout: 90s, values: ${values} }`;

async function desired(): Promise<DesiredPack[]> {
  // A profile needs a pack: with none left (a run of a few tests with -t), nothing is desired.
  if (packs.size === 0) return [];
  const yaml = [
    'apiVersion: strata.dev/v1alpha1',
    'kind: ClusterProfile',
    'metadata: { name: conformance }',
    'spec:',
    '  version: 1.0.0',
    '  type: add-on',
    '  packs:',
    ...[...packs.values()].map((line) => `    - ${line}`),
    '',
  ].join('\n');
  const file = join(dir, 'conformance.yaml');
  writeFileSync(file, yaml);
  const loaded = await loadProfileFiles([file]);
  if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
  return desiredOrThrow(loaded.value, { cluster: CLUSTER });
}

async function strataInstall(name: string, chart: string, namespace: string, values?: string): Promise<void> {
  await strataApply(name, helmPack(name, chart, namespace, values));
}

async function strataApply(name: string, line: string): Promise<void> {
  packs.set(name, line);
  runner.setDesired(await desired());
  await log.until(
    (l) => {
      const phase = l.latest().get(name)?.phase;
      return phase === PackPhase.Success || phase === PackPhase.Failed;
    },
    { timeoutMs: 120_000, what: `${name} green or red` },
  );
}

async function strataUninstall(name: string): Promise<void> {
  packs.delete(name);
  runner.setDesired(await desired());
  await log.until((l) => l.events.some((e) => e.type === 'PackRemoved' && e.pack === name), {
    timeoutMs: 120_000,
    what: `${name} removed`,
  });
}

/** What a namespace holds of the kinds these charts make: `Kind/name`, sorted. */
async function contents(namespace: string): Promise<string[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const [configMaps, accounts, jobs] = await Promise.all([
    core.listNamespacedConfigMap({ namespace }),
    core.listNamespacedServiceAccount({ namespace }),
    batch.listNamespacedJob({ namespace }),
  ]);
  return [
    ...configMaps.items.map((o) => `ConfigMap/${o.metadata?.name ?? ''}`),
    ...accounts.items.map((o) => `ServiceAccount/${o.metadata?.name ?? ''}`),
    ...jobs.items.map((o) => `Job/${o.metadata?.name ?? ''}`),
  ]
    .filter((k) => k !== 'ConfigMap/kube-root-ca.crt' && k !== 'ServiceAccount/default')
    .sort();
}

/** Creates a namespaced CRD and resolves once it is Established (its kind served). */
async function createCrd(plural: string, group: string, kind: string): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const name = `${plural}.${group}`;
  await api.createCustomResourceDefinition({
    body: {
      metadata: { name },
      spec: {
        group,
        scope: 'Namespaced',
        names: { plural, singular: kind.toLowerCase(), kind },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } },
          },
        ],
      },
    },
  });
  await watchUntil<V1CustomResourceDefinition>(
    kc,
    (crd) =>
      crd.metadata?.name === name &&
      (crd.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True'),
    {
      path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      timeoutMs: 30_000,
      description: `${name} Established`,
    },
  );
}

async function crdExists(name: string): Promise<boolean> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  return api.readCustomResourceDefinition({ name }).then(
    () => true,
    () => false,
  );
}

function status(name: string) {
  const s = log.latest().get(name);
  if (!s) throw new Error(`no status for pack ${name}`);
  return s;
}

/** Phase and message together, so a failed expectation shows why. */
function outcome(name: string): string {
  const { phase, message } = status(name);
  return `${phase}: ${message}`;
}

describe('render like helm install', () => {
  it('gives charts the same .Capabilities as helm install; lookup is empty (ADR 0005)', async () => {
    // A kind only discovery can know of (Helm's built-in list has every built-in one).
    await createCrd('widgets', 'example.strata.dev', 'Widget');
    const helmResult = await helmInstall('capabilities', 'helm-caps');
    expect(helmResult.output).toBe(helmResult.ok ? helmResult.output : 'helm install to succeed');
    await strataInstall('caps', 'capabilities', 'strata-caps');
    expect(outcome('caps')).toMatch(/^success/);

    const core = kc.makeApiClient(CoreV1Api);
    const read = async (namespace: string) =>
      (await core.readNamespacedConfigMap({ name: 'conf-seen', namespace })).data ?? {};
    const [byHelm, byStrata] = await Promise.all([read('helm-caps'), read('strata-caps')]);
    const { lookupKubeSystem: helmLookup, ...helmCaps } = byHelm;
    const { lookupKubeSystem: strataLookup, ...strataCaps } = byStrata;
    expect(strataCaps).toEqual(helmCaps);
    expect(helmCaps.hasDeployment).toBe('true');
    expect(helmCaps.hasWidgets).toBe('true');
    expect(helmCaps.kubeVersion).toMatch(/^v1\.\d+\.\d+/);
    // Deliberate difference (ADR 0005): Strata renders offline, so lookup finds nothing where Helm reads
    // the live cluster; renders stay a function of the profile and the cluster's version.
    expect(helmLookup).toBe('found');
    expect(strataLookup).toBe('empty');
  });

  it("fails a chart whose kubeVersion the cluster does not meet, naming the constraint and the cluster's version", async () => {
    const helmResult = await helmInstall('kube-version', 'helm-kv');
    expect(helmResult.ok).toBe(false);
    expect(helmResult.output).toContain('>=1.99.0-0');
    await strataInstall('kv', 'kube-version', 'strata-kv');
    const s = status('kv');
    expect(s.phase).toBe(PackPhase.Failed);
    expect(s.message).toMatch(/>=1\.99\.0-0.*incompatible with Kubernetes v1\.\d+/);
    await strataUninstall('kv');
  });
});

describe('hooks as Helm runs them', () => {
  it('installs to the same objects: hook ServiceAccount used by a hook Job, two-event hook, TTL 0, policies', async () => {
    const helmResult = await helmInstall('hooks', 'helm-hooks');
    expect(helmResult.output).toBe(helmResult.ok ? helmResult.output : 'helm install to succeed');
    await strataInstall('hooks', 'hooks', 'strata-hooks');
    expect(outcome('hooks')).toMatch(/^success/);

    const byHelm = await contents('helm-hooks');
    expect(byHelm).toEqual(['ConfigMap/app-config', 'ConfigMap/both-events', 'Job/kept-unless-failed']);
    expect(await contents('strata-hooks')).toEqual(byHelm);
    // The two-event hook is one resource of the pack, and so is every hook.
    const names = status('hooks').resources.map((r) => `${r.ref.kind}/${r.ref.name}`);
    expect(names.filter((n) => n === 'ConfigMap/both-events')).toHaveLength(1);
    expect(new Set(names).size).toBe(names.length);
    // Hooks are marked as such; the chart's own objects are not.
    const hooks = status('hooks')
      .resources.filter((r) => r.hook)
      .map((r) => `${r.ref.kind}/${r.ref.name}`);
    expect(hooks).toEqual(['ConfigMap/both-events', 'Job/kept-unless-failed']);
    expect(status('hooks').resources.find((r) => r.ref.name === 'app-config')?.hook).toBeUndefined();
  });

  it('runs pre- and post-upgrade hooks on an upgrade', async () => {
    const helmResult = await helmInstall('hooks', 'helm-hooks', ['--set=revision=2']);
    expect(helmResult.output).toBe(helmResult.ok ? helmResult.output : 'helm upgrade to succeed');
    const before = log.events.length;
    await strataInstall('hooks', 'hooks', 'strata-hooks', '{ revision: 2 }');
    await log.until(
      (l) =>
        l.events
          .slice(before)
          .some(
            (e) => e.type === 'PackStatusChanged' && e.pack === 'hooks' && e.status.operation === 'upgrade',
          ) && l.latest().get('hooks')?.phase === PackPhase.Success,
      { timeoutMs: 120_000, what: 'hooks upgraded and green' },
    );
    const core = kc.makeApiClient(CoreV1Api);
    const note = async (namespace: string) =>
      (await core.readNamespacedConfigMap({ name: 'post-upgrade-note', namespace })).data?.revision;
    expect(await note('helm-hooks')).toBe('2');
    expect(await note('strata-hooks')).toBe('2');
    expect(await contents('helm-hooks')).toEqual([
      'ConfigMap/app-config',
      'ConfigMap/both-events',
      'ConfigMap/post-upgrade-note',
      'Job/kept-unless-failed',
    ]);
    // Deliberate difference: hooks of the install that stayed behind are not part of the upgraded pack, and
    // Strata prunes what a pack no longer owns; Helm leaves them until someone deletes them by hand.
    expect(await contents('strata-hooks')).toEqual(['ConfigMap/app-config', 'ConfigMap/post-upgrade-note']);
  });

  it('runs pre- and post-delete hooks on removal', async () => {
    expect((await helmUninstall('helm-hooks')).ok).toBe(true);
    await strataUninstall('hooks');
    // Helm removes the release's objects, and leaves hooks whose policy does not delete them.
    expect(await contents('helm-hooks')).toEqual([
      'ConfigMap/both-events',
      'ConfigMap/post-delete-marker',
      'ConfigMap/post-upgrade-note',
      'Job/kept-unless-failed',
    ]);
    // Deliberate difference: Strata removes leftover hooks too. They carry the pack's labels, and with no
    // release left nothing else would ever remove them. The post-delete hook did run: it was observed.
    expect(await contents('strata-hooks')).toEqual([]);
    const ran = log.events.some(
      (e) =>
        e.type === 'PackStatusChanged' &&
        e.pack === 'hooks' &&
        e.status.resources.some((r) => r.ref.name === 'post-delete-marker' && r.evaluation.state === 'Ready'),
    );
    expect(ran).toBe(true);
  });

  it('fails the install on a failed hook, naming the hook and its cause, and applies nothing after it', async () => {
    const helmResult = await helmInstall('failing-hook', 'helm-failing');
    expect(helmResult.ok).toBe(false);
    expect(helmResult.output).toContain('broken-migration');
    await strataInstall('failing', 'failing-hook', 'strata-failing');
    // Red as soon as the Job fails; the install step then stops and says which hook failed.
    await log.until((l) => l.latest().get('failing')?.stage.type === 'ApplyFailed', {
      timeoutMs: 30_000,
      what: 'the failed hook to stop the install',
    });
    const s = status('failing');
    expect(s.phase).toBe(PackPhase.Failed);
    expect(s.message).toContain('Job strata-failing/broken-migration: BackoffLimitExceeded');
    expect(s.stage).toMatchObject({
      type: 'ApplyFailed',
      error: expect.stringContaining(
        'pre-install hook Job strata-failing/broken-migration failed',
      ) as unknown,
    });
    expect(await contents('strata-failing')).toEqual(await contents('helm-failing'));
    expect(await contents('strata-failing')).not.toContain('ConfigMap/never-applied');
    await strataUninstall('failing');
  });
});

describe('removal as Helm does it', () => {
  it('keeps resource-policy keep objects and crds/ CRDs, deletes the rest', async () => {
    // Strata first, so the crds/ CRD is Strata's; Helm then finds it and leaves it, as it does with any
    // existing crds/ CRD.
    await strataInstall('removal', 'removal', 'strata-removal');
    expect(outcome('removal')).toMatch(/^success/);
    const helmResult = await helmInstall('removal', 'helm-removal');
    expect(helmResult.output).toBe(helmResult.ok ? helmResult.output : 'helm install to succeed');
    expect(await contents('strata-removal')).toEqual(await contents('helm-removal'));

    // Someone changes the crds/ CRD, as users upgrade cert-manager's CRDs by hand: an upgrade of the pack (as
    // of a helm upgrade) leaves it as it is, where re-applying it would undo the change or fail on the conflict.
    await kube.apply(
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'gadgets.conformance.strata.dev' },
        spec: { names: { plural: 'gadgets', kind: 'Gadget', singular: 'gadgetto' } },
      },
      { fieldManager: 'by-hand', force: true },
    );
    const before = log.events.length;
    await strataInstall('removal', 'removal', 'strata-removal', '{ bump: 1 }');
    await log.until(
      (l) =>
        l.events
          .slice(before)
          .some(
            (e) => e.type === 'PackStatusChanged' && e.pack === 'removal' && e.status.operation === 'upgrade',
          ) && l.latest().get('removal')?.phase === PackPhase.Success,
      { timeoutMs: 60_000, what: 'removal upgraded and green' },
    );
    const crd = await kc
      .makeApiClient(ApiextensionsV1Api)
      .readCustomResourceDefinition({ name: 'gadgets.conformance.strata.dev' });
    expect(crd.spec.names.singular).toBe('gadgetto');

    expect((await helmUninstall('helm-removal')).ok).toBe(true);
    await strataUninstall('removal');
    expect(await contents('helm-removal')).toEqual(['ConfigMap/kept']);
    expect(await contents('strata-removal')).toEqual(['ConfigMap/kept']);
    expect(await crdExists('gizmos.helm-removal.conformance.strata.dev')).toBe(false);
    expect(await crdExists('gizmos.strata-removal.conformance.strata.dev')).toBe(false);
    expect(await crdExists('gadgets.conformance.strata.dev')).toBe(true);
    // What was kept is reported: the last status before removal names it.
    const last = log.events
      .flatMap((e) => (e.type === 'PackStatusChanged' && e.pack === 'removal' ? [e.status] : []))
      .at(-1);
    expect(last?.message).toContain('kept 2 as Helm would');
    expect(last?.message).toContain('ConfigMap strata-removal/kept');
    // The custom resources of the kept CRD went with the rest of the pack.
    const custom = kc.makeApiClient(CustomObjectsApi);
    const gadgets = (await custom.listNamespacedCustomObject({
      group: 'conformance.strata.dev',
      version: 'v1',
      namespace: 'strata-removal',
      plural: 'gadgets',
    })) as { items: unknown[] };
    expect(gadgets.items).toEqual([]);
  });

  it('deletes crds/ CRDs on removal only when the pack opts in, warning how many custom resources go', async () => {
    // Helm has no such option: this is Strata's `deleteCrds`, for a profile that wants a clean slate.
    await strataApply(
      'crds-opt-in',
      helmPack('crds-opt-in', 'removal', 'strata-crds-opt-in').replace(/ }$/, ', deleteCrds: true }'),
    );
    expect(outcome('crds-opt-in')).toMatch(/^success/);
    // A custom resource that is no object of the pack: it goes with the CRD, and the warning counts it.
    await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: 'conformance.strata.dev',
      version: 'v1',
      namespace: 'default',
      plural: 'gadgets',
      body: { apiVersion: 'conformance.strata.dev/v1', kind: 'Gadget', metadata: { name: 'users-own' } },
    });
    await strataUninstall('crds-opt-in');
    expect(await crdExists('gadgets.conformance.strata.dev')).toBe(false);
    expect(await contents('strata-crds-opt-in')).toEqual(['ConfigMap/kept']);
    const last = log.events
      .flatMap((e) => (e.type === 'PackStatusChanged' && e.pack === 'crds-opt-in' ? [e.status] : []))
      .at(-1);
    const warning =
      "deleteCrds: deleting 1 CRD of the chart's crds/ and with it 2 custom resources: CustomResourceDefinition gadgets.conformance.strata.dev (2)";
    expect(last?.message).toContain(warning);
    // From the start of the removal, so the pack's history has it too.
    expect(last?.transitions.at(-1)).toMatchObject({ to: PackPhase.Processing });
    expect(last?.transitions.at(-1)?.message).toContain(warning);
  });

  it('treats an object whose kind is no longer served as gone, without a retry loop', async () => {
    // A custom resource of a CRD that is not the pack's: the CRD goes, and with it the kind.
    await createCrd('sprockets', 'unserved.strata.dev', 'Sprocket');
    await strataApply(
      'unserved',
      '{ name: unserved, layer: addon, version: 0.1.0, type: manifest, namespace: strata-unserved, timeout: 90s, manifests: [{ apiVersion: unserved.strata.dev/v1, kind: Sprocket, metadata: { name: first } }] }',
    );
    expect(outcome('unserved')).toMatch(/^success/);
    await kc
      .makeApiClient(ApiextensionsV1Api)
      .deleteCustomResourceDefinition({ name: 'sprockets.unserved.strata.dev' });
    await log.until(
      (l) =>
        l
          .latest()
          .get('unserved')
          ?.resources.some((r) => r.ref.kind === 'Sprocket' && r.evaluation.state === 'Missing') ?? false,
      { timeoutMs: 60_000, what: 'the Sprocket gone with its CRD' },
    );
    // As a restarted hub would have it: discovery no longer knows the kind.
    kube.invalidateDiscovery();
    const before = log.events.length;
    await strataUninstall('unserved');
    const transitions = log.events
      .slice(before)
      .filter((e) => e.type === 'PackStatusChanged' && e.pack === 'unserved').length;
    expect(transitions).toBeLessThan(20);
  });
});

describe('detach leaves nothing behind', () => {
  const rbac = () => kc.makeApiClient(RbacAuthorizationV1Api);
  const clusterRoles = '/apis/rbac.authorization.k8s.io/v1/clusterroles';

  /**
   * Resolves once kube-controller-manager's aggregation controller has worked through what it had queued: a
   * new aggregated ClusterRole gets its part's rules, which the controller does only after the syncs before it.
   */
  async function aggregationCaughtUp(round: number): Promise<void> {
    const name = `conformance-barrier-${round}`;
    const label = { 'conformance.strata.dev/barrier': String(round) };
    await rbac().createClusterRole({
      body: {
        metadata: { name },
        aggregationRule: { clusterRoleSelectors: [{ matchLabels: label }] },
        rules: [],
      },
    });
    await rbac().createClusterRole({
      body: {
        metadata: { name: `${name}:part`, labels: label },
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
      },
    });
    await watchUntil<V1ClusterRole>(kc, (r) => r.metadata?.name === name && (r.rules ?? []).length === 1, {
      path: clusterRoles,
      timeoutMs: 30_000,
      description: `${name} aggregated`,
    });
    await rbac().deleteClusterRole({ name: `${name}:part` });
    await rbac().deleteClusterRole({ name });
  }

  it('leaves no aggregated ClusterRole that the aggregation controller re-creates after its delete', async () => {
    const name = 'strata-agg:aggregate';
    for (let round = 1; round <= 3; round++) {
      await strataInstall('agg', 'aggregated-clusterrole', 'strata-agg');
      expect(outcome('agg')).toMatch(/^success/);
      await watchUntil<V1ClusterRole>(kc, (r) => r.metadata?.name === name && (r.rules ?? []).length === 2, {
        path: clusterRoles,
        timeoutMs: 30_000,
        description: `${name} aggregated`,
      });
      await strataUninstall('agg');
      await aggregationCaughtUp(round);
      const left = await rbac()
        .readClusterRole({ name })
        .then(
          (r) =>
            `round ${round}: ${JSON.stringify({ labels: r.metadata?.labels, managers: r.metadata?.managedFields?.map((f) => f.manager), rules: r.rules?.length })}`,
          () => undefined,
        );
      expect(left).toBeUndefined();
    }
  });
});

describe('charts as Helm composes them', () => {
  /** `ConfigMap/name` → its data, for every ConfigMap of the namespace. */
  async function configMaps(namespace: string): Promise<Record<string, Record<string, string>>> {
    const list = await kc.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace });
    return Object.fromEntries(
      list.items
        .filter((o) => o.metadata?.name !== 'kube-root-ca.crt')
        .map((o) => [o.metadata?.name ?? '', o.data ?? {}]),
    );
  }

  it('renders subcharts by condition and tags, passes values and globals, and includes a library chart', async () => {
    const helmResult = await helmInstall('subcharts', 'helm-sub');
    expect(helmResult.output).toBe(helmResult.ok ? helmResult.output : 'helm install to succeed');
    await strataInstall('sub', 'subcharts', 'strata-sub');
    expect(outcome('sub')).toMatch(/^success/);
    const byHelm = await configMaps('helm-sub');
    expect(Object.keys(byHelm).sort()).toEqual(['enabled-sub', 'parent-config']);
    expect(byHelm['enabled-sub']).toEqual({
      chart: 'enabled-sub',
      greeting: 'from-parent',
      team: 'platform',
    });
    expect(await configMaps('strata-sub')).toEqual(byHelm);

    // A tag and a condition turned on by values bring their subcharts in.
    const on = ['--set=tags.extras=true', '--set=disabledSub.enabled=true'];
    const upgraded = await helmInstall('subcharts', 'helm-sub', on);
    expect(upgraded.output).toBe(upgraded.ok ? upgraded.output : 'helm upgrade to succeed');
    const before = log.events.length;
    await strataInstall(
      'sub',
      'subcharts',
      'strata-sub',
      '{ tags: { extras: true }, disabledSub: { enabled: true } }',
    );
    await log.until(
      (l) =>
        l.events.slice(before).some((e) => e.type === 'PackStatusChanged' && e.pack === 'sub') &&
        l.latest().get('sub')?.phase === PackPhase.Success,
      { timeoutMs: 60_000, what: 'sub upgraded and green' },
    );
    const upgradedByHelm = await configMaps('helm-sub');
    expect(Object.keys(upgradedByHelm).sort()).toEqual([
      'disabled-sub',
      'enabled-sub',
      'parent-config',
      'tagged-sub',
    ]);
    expect(await configMaps('strata-sub')).toEqual(upgradedByHelm);
    expect((await helmUninstall('helm-sub')).ok).toBe(true);
    await strataUninstall('sub');
  });

  it('fails values that break values.schema.json, naming the field as Helm does, and installs once they are fixed', async () => {
    const helmResult = await helmInstall('schema', 'helm-schema', ['--set=replicas=two']);
    expect(helmResult.ok).toBe(false);
    const helmSays = "- at '/replicas': got string, want integer";
    expect(helmResult.output).toContain(helmSays);
    await strataInstall('schema', 'schema', 'strata-schema', '{ replicas: two }');
    const s = status('schema');
    expect(s.phase).toBe(PackPhase.Failed);
    expect(s.message).toContain("values don't meet the specifications of the schema(s)");
    expect(s.message).toContain(helmSays);
    expect(await configMaps('strata-schema').catch(() => ({}))).toEqual(
      await configMaps('helm-schema').catch(() => ({})),
    );

    const fixed = await helmInstall('schema', 'helm-schema', ['--set=replicas=2']);
    expect(fixed.output).toBe(fixed.ok ? fixed.output : 'helm install to succeed');
    await strataApply('schema', helmPack('schema', 'schema', 'strata-schema', '{ replicas: 2 }'));
    await log.until((l) => l.latest().get('schema')?.phase === PackPhase.Success, {
      timeoutMs: 60_000,
      what: 'schema green once its values are valid',
    });
    expect(await configMaps('strata-schema')).toEqual(await configMaps('helm-schema'));
    await strataUninstall('schema');
  });

  it("has the chart's NOTES.txt as helm install prints it", async () => {
    const helmResult = await helmInstall('notes', 'helm-notes');
    expect(helmResult.output).toBe(helmResult.ok ? helmResult.output : 'helm install to succeed');
    const printed = /\nNOTES:\n([\s\S]*)$/.exec(helmResult.output)?.[1]?.trim();
    expect(printed).toContain('Release conf in namespace helm-notes says hello.');
    expect(printed).toContain('Deployments are served.');
    // Only the parent chart's notes, as helm install prints by default.
    expect(printed).not.toContain('subchart');
    await strataInstall('notes', 'notes', 'strata-notes');
    expect(outcome('notes')).toMatch(/^success/);
    expect(runner.notes('notes')).toBe(printed?.replace('helm-notes', 'strata-notes'));
    // The notes template is Strata's means to render them, never an object of the pack.
    const names = status('notes').resources.map((r) => `${r.ref.kind}/${r.ref.name}`);
    expect(names).toContain('ConfigMap/notes-config');
    expect(names.filter((n) => n.startsWith('HelmNotes/'))).toEqual([]);
    await strataUninstall('notes');
  });
});

describe('discovery as Helm tolerates it', () => {
  // Last in the file: an unavailable aggregated API disturbs the cluster's own controllers (namespace
  // deletion, garbage collection) for everything after it.
  it('renders while an aggregated API does not answer, as helm install does', async () => {
    await kube.apply(
      {
        apiVersion: 'apiregistration.k8s.io/v1',
        kind: 'APIService',
        metadata: { name: 'v1beta1.broken.strata.dev' },
        spec: {
          group: 'broken.strata.dev',
          version: 'v1beta1',
          groupPriorityMinimum: 1000,
          versionPriority: 15,
          insecureSkipTLSVerify: true,
          service: { name: 'nothing-here', namespace: 'default', port: 443 },
        },
      },
      { fieldManager: 'conformance-test', force: true },
    );
    // The group is listed, and its own document fails: what made every render wait on discovery before.
    const groups = (await kc.makeApiClient(ApisApi).getAPIVersions()).groups.map((g) => g.name);
    expect(groups).toContain('broken.strata.dev');
    const helmResult = await helmInstall('capabilities', 'helm-broken');
    expect(helmResult.output).toBe(helmResult.ok ? helmResult.output : 'helm install to succeed');
    await strataInstall('broken', 'capabilities', 'strata-broken');
    expect(outcome('broken')).toMatch(/^success/);
  });
});
