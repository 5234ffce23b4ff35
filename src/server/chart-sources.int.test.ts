// Remote charts from real sources with credentials (issue 13): an OCI registry with htpasswd auth and an
// HTTPS Helm repository with basic auth (testenv/src/chart-servers.ts), both with TLS from their own CA. A
// version's charts are fetched once, when it is published, with the credentials of `strata source add`; after
// that the sources can go away: a hub restart and a resync keep every pack green.
import { cp as copy, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChartServers, type ChartServers } from '../../testenv/src/chart-servers.js';
import { down, up, type ControlPlaneState } from '../../testenv/src/controlplane.js';
import { main } from '../cli/main.js';
import { backends } from '../store/testing/backends.js';
import type { Problem } from './problem.js';
import { startTestHub, type TestHub } from './testing/server.js';

const CP = 'sources-it';
const dashboards = resolve(import.meta.dirname, '../../examples/charts/dashboards');
const backend = backends().find((b) => b.name === 'sqlite');
if (!backend) throw new Error('no sqlite test backend');

let cp: ControlPlaneState;
let t: TestHub;
let work: string;
let started: ChartServers | undefined;
function servers(): ChartServers {
  if (started === undefined) throw new Error('the chart servers did not start');
  return started;
}

beforeAll(async () => {
  await down({ name: CP });
  cp = await up({ name: CP, nodes: 1 });
  work = await mkdtemp(join(tmpdir(), 'strata-sources-it-'));
  started = await startChartServers();
  // Two versions of the chart in each source, published as users publish them.
  await started.publish(dashboards);
  const next = join(work, 'dashboards-0.2.0');
  await copy(dashboards, next, { recursive: true });
  const chartYaml = join(next, 'Chart.yaml');
  await writeFile(chartYaml, (await readFile(chartYaml, 'utf8')).replace(/^version: .*$/m, 'version: 0.2.0'));
  // 0.2.0 renders one more object, so a rollback to a version pinned at 0.1.0 is visible in the cluster.
  await writeFile(
    join(next, 'templates', 'chart-version.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: "{{ .Release.Name }}-chart" }\ndata: { version: "{{ .Chart.Version }}" }\n',
  );
  await started.publish(next);
  await backend.setup();
  t = await startTestHub(backend);
});
afterAll(async () => {
  await t.close();
  await backend.teardown();
  await started?.close();
  await down({ name: CP });
  await rm(work, { recursive: true, force: true });
});

/** `strata …` in this process, against the test hub, as an admin. */
async function strata(args: readonly string[]) {
  let stdout = '';
  let stderr = '';
  const out = (append: (s: string) => void) => ({ write: append, isTTY: false, columns: undefined });
  const code = await main(args, {
    stdout: out((s) => (stdout += s)),
    stderr: out((s) => (stderr += s)),
    env: { STRATA_SERVER: t.url, STRATA_TOKEN: t.tokens.admin, XDG_CONFIG_HOME: join(work, 'config') },
    cwd: work,
  });
  return { code, stdout, stderr };
}

async function addSources(password: string) {
  await writeFile(join(work, 'password'), `${password}\n`);
  await writeFile(join(work, 'ca.pem'), await readFile(servers().caFile));
  for (const [name, url] of [
    ['registry', `oci://${servers().registryHost}`],
    ['charts', servers().repoUrl],
  ] as const) {
    const added = await strata([
      'source',
      'add',
      name,
      '--url',
      url,
      '--username',
      servers().username,
      '--password-file',
      'password',
      '--ca-file',
      'ca.pem',
    ]);
    expect(added, added.stderr).toMatchObject({ code: 0 });
  }
}

/** A profile with a pack from the registry and/or one from the repository, at the chart versions given. */
const profile = (name: string, versions: { oci?: string; repo?: string }, version = '1.0.0') =>
  [
    'apiVersion: strata.dev/v1alpha1',
    'kind: ClusterProfile',
    `metadata: { name: ${name} }`,
    'spec:',
    `  version: ${version}`,
    '  type: add-on',
    '  packs:',
    ...(versions.oci === undefined
      ? []
      : [
          '    - name: from-oci',
          '      layer: addon',
          '      version: 0.1.0',
          '      type: helm',
          `      chart: { oci: "${servers().ociBase}/dashboards", version: ${versions.oci} }`,
          '      namespace: from-oci',
          '      values: { readyAfter: 1s }',
        ]),
    ...(versions.repo === undefined
      ? []
      : [
          '    - name: from-repo',
          '      layer: addon',
          '      version: 0.1.0',
          '      type: helm',
          `      chart: { repo: "${servers().repoUrl}", name: dashboards, version: ${versions.repo} }`,
          '      namespace: from-repo',
          '      values: { readyAfter: 1s }',
        ]),
    '',
  ].join('\n');

async function publish(yaml: string) {
  return t.api('POST', '/api/v1/profiles', {
    role: 'operator',
    raw: yaml,
    headers: { 'content-type': 'application/yaml' },
  });
}

type Page = Awaited<ReturnType<TestHub['hub']['clusterPage']>>;
const everyGreen = (packs: number) => (page: Page) =>
  page.packs.length === packs && page.packs.every((p) => p.phase === 'success');

/** Resolves once `predicate` holds for the cluster's page, re-checked on each hub event (no polling). */
function pageUntil(cluster: string, predicate: (page: Page) => boolean, timeoutMs: number) {
  return new Promise<void>((done, fail) => {
    let last = '';
    const check = async () => {
      const page = await t.hub.clusterPage(cluster);
      last = page.packs.map((p) => `${p.name}: ${p.phase} ${p.message}`).join('\n');
      if (predicate(page)) {
        stop();
        done();
      }
    };
    const unsubscribe = t.hub.subscribe(() => void check());
    const timer = setTimeout(() => {
      stop();
      fail(new Error(`not there within ${timeoutMs} ms:\n${last}`));
    }, timeoutMs);
    const stop = () => {
      unsubscribe();
      clearTimeout(timer);
    };
    void check();
  });
}

describe('remote charts from sources with credentials', () => {
  it('a wrong password fails the publish with a 422 naming the source and the 401, and stores nothing', async () => {
    await addSources('not-the-password');
    const blobsBefore = await t.store.blobs.stats();
    for (const [versions, source] of [
      [{ oci: '0.1.0' }, 'registry'],
      [{ repo: '0.1.0' }, 'charts'],
    ] as const) {
      const answer = await publish(profile('wrong-password', versions));
      expect(answer.status, answer.text).toBe(422);
      expect(answer.json).toMatchObject({ code: 'CHART_FETCH_FAILED' });
      const detail = (answer.json as Problem).detail;
      expect(detail).toContain(`source "${source}"`);
      expect(detail).toMatch(/401 Unauthorized/);
      expect(detail).toMatch(/nothing was stored$/);
      expect(answer.text).not.toContain('not-the-password');
    }
    expect((await t.api('GET', '/api/v1/profiles/wrong-password/versions')).status).toBe(404);
    expect(await t.store.blobs.stats()).toEqual(blobsBefore);
  });

  it('an unknown chart version names the versions that exist, in the registry and in the repository', async () => {
    await addSources(servers().password);
    const oci = await publish(profile('unknown-version', { oci: '9.9.9' }));
    expect(oci.status, oci.text).toBe(422);
    expect((oci.json as Problem).detail).toMatch(
      /pack from-oci: chart oci:\/\/.*\/charts\/dashboards version 9\.9\.9 \(source "registry"\): version 9\.9\.9 not found; the versions that exist: 0\.1\.0, 0\.2\.0; nothing was stored/,
    );
    const repo = await publish(profile('unknown-version', { repo: '9.9.9' }));
    expect(repo.status, repo.text).toBe(422);
    expect((repo.json as Problem).detail).toMatch(
      /pack from-repo: chart "dashboards" version 9\.9\.9 from https:\/\/.* \(source "charts"\): version 9\.9\.9 not found; the versions that exist: 0\.1\.0, 0\.2\.0/,
    );
    expect((await t.api('GET', '/api/v1/profiles/unknown-version/versions')).status).toBe(404);
  });

  it('the sources list never shows a password', async () => {
    const listed = await strata(['source', 'list', '-o', 'json']);
    expect(listed, listed.stderr).toMatchObject({ code: 0 });
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({
        name: 'charts',
        username: servers().username,
        hasPassword: true,
        hasCa: true,
      }),
      expect.objectContaining({
        name: 'registry',
        username: servers().username,
        hasPassword: true,
        hasCa: true,
      }),
    ]);
    expect(listed.stdout).not.toContain(servers().password);
    const api = await t.api('GET', '/api/v1/sources');
    expect(api.text).not.toContain(servers().password);
  });

  it('deploys packs pinned from both to green, keeps them green with both sources stopped, updates and rolls back', async () => {
    const published = await publish(profile('remote', { oci: '0.1.0', repo: '0.2.0' }));
    expect(published.status, published.text).toBe(201);
    const got = await strata(['profile', 'get', 'remote@1.0.0', '-o', 'json']);
    expect(got, got.stderr).toMatchObject({ code: 0 });
    const charts = (JSON.parse(got.stdout) as { charts: Record<string, string> }).charts;
    expect(Object.keys(charts).sort()).toEqual(
      [`${servers().ociBase}/dashboards@0.1.0`, `${servers().repoUrl} dashboards@0.2.0`].sort(),
    );
    for (const digest of Object.values(charts)) expect(digest).toMatch(/^[0-9a-f]{64}$/);
    const shown = await strata(['profile', 'get', 'remote@1.0.0']);
    expect(shown.stdout).toBe(profile('remote', { oci: '0.1.0', repo: '0.2.0' }));
    for (const [chart, digest] of Object.entries(charts))
      expect(shown.stderr).toContain(`  ${chart} sha256:${digest}\n`);

    const registered = await t.api('POST', '/api/v1/clusters', {
      body: { name: 'remote', kubeconfig: await readFile(cp.kubeconfig, 'utf8') },
    });
    expect(registered.status, registered.text).toBe(201);
    const attached = await t.api('POST', '/api/v1/clusters/remote/attachments', {
      body: { profile: 'remote' },
    });
    expect(attached.status, attached.text).toBe(201);
    await pageUntil('remote', everyGreen(2), 120_000);

    // "Update available" for pinned charts: the registry has 0.2.0 of the chart pinned at 0.1.0.
    const outdated = await strata(['profile', 'outdated', 'remote@1.0.0', '-o', 'json']);
    expect(outdated.code, outdated.stderr).toBe(1);
    expect(JSON.parse(outdated.stdout)).toEqual([
      { pack: 'from-oci', chart: `${servers().ociBase}/dashboards`, version: '0.1.0', newer: ['0.2.0'] },
      { pack: 'from-repo', chart: `${servers().repoUrl} dashboards`, version: '0.2.0', newer: [] },
    ]);

    // The next version takes the newer chart; it is published (and pinned) while the sources are up.
    const next = await publish(profile('remote', { oci: '0.2.0', repo: '0.2.0' }, '1.1.0'));
    expect(next.status, next.text).toBe(201);

    // The sources go away: nothing the hub does from now on may need them.
    await servers().stop();
    // The answers of a few minutes ago are kept (outdated.ts): asked again at once, the sources are not.
    const kept = await strata(['profile', 'outdated', 'remote@1.0.0', '-o', 'json']);
    expect(JSON.parse(kept.stdout)).toEqual(JSON.parse(outdated.stdout));
    const opened = t.opened;
    await t.close();
    t = await startTestHub(backend, { store: opened });
    await pageUntil('remote', everyGreen(2), 120_000);
    const unreachable = await strata(['profile', 'outdated', 'remote@1.0.0', '-o', 'json']);
    expect(JSON.parse(unreachable.stdout)).toEqual([
      expect.objectContaining({ pack: 'from-oci', newer: [], error: 'connection refused' }),
      expect.objectContaining({ pack: 'from-repo', newer: [], error: 'connection refused' }),
    ]);

    // A resync after objects of both charts were deleted re-applies them from the pinned archives.
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    await core.deleteNamespacedConfigMap({ name: 'from-oci-config', namespace: 'from-oci' });
    await core.deleteNamespacedConfigMap({ name: 'from-repo-config', namespace: 'from-repo' });
    const resynced = await t.api('POST', '/api/v1/clusters/remote/resync', { role: 'operator' });
    expect(resynced.status, resynced.text).toBe(202);
    await pageUntil('remote', everyGreen(2), 120_000);
    const putBack = async (name: string, namespace: string) => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          return await core.readNamespacedConfigMap({ name, namespace });
        } catch (error) {
          if (Date.now() > deadline)
            throw new Error(`ConfigMap ${namespace}/${name} was not put back`, { cause: error });
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    };
    const v1Config = await putBack('from-oci-config', 'from-oci');
    await putBack('from-repo-config', 'from-repo');

    // Update to 1.1.0 and roll back to 1.0.0, both with the sources down: each deploys what it pinned.
    const updated = await strata(['attach', 'remote', 'remote@1.1.0']);
    expect(updated, updated.stderr).toMatchObject({ code: 0 });
    expect((await putBack('from-oci-chart', 'from-oci')).data).toEqual({ version: '0.2.0' });
    await pageUntil('remote', everyGreen(2), 120_000);
    const rolledBack = await strata(['attach', 'remote', 'remote@1.0.0']);
    expect(rolledBack, rolledBack.stderr).toMatchObject({ code: 0 });
    const deadline = Date.now() + 60_000;
    // 0.1.0 has no such object: it is pruned when 1.0.0 is deployed again.
    while (
      await core.readNamespacedConfigMap({ name: 'from-oci-chart', namespace: 'from-oci' }).then(
        () => true,
        () => false,
      )
    ) {
      if (Date.now() > deadline) throw new Error('from-oci/from-oci-chart was not removed by the rollback');
      await new Promise((r) => setTimeout(r, 250));
    }
    await pageUntil('remote', everyGreen(2), 120_000);
    const rolledBackConfig = await core.readNamespacedConfigMap({
      name: 'from-oci-config',
      namespace: 'from-oci',
    });
    expect(rolledBackConfig.data).toEqual(v1Config.data);
  });
});
