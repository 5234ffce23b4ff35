// Self-contained profile versions end to end: the CLI sends a profile with its local chart and file as one
// bundle, the folder is deleted, and the hub still deploys it to green, and again after a restart, from its
// store only. And the hub reads no path a request names: validation requests that point at files of the
// hub's machine never get their contents back.
import { cp as copy, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { down, up, type ControlPlaneState } from '../../testenv/src/controlplane.js';
import { main } from '../cli/main.js';
import { readBundle, sha256 } from '../profile/bundle.js';
import { backends } from '../store/testing/backends.js';
import type { Problem } from './problem.js';
import { startTestHub, type TestHub } from './testing/server.js';

const CP = 'bundle-it';
const examples = resolve(import.meta.dirname, '../../examples');
const backend = backends().find((b) => b.name === 'sqlite');
if (!backend) throw new Error('no sqlite test backend');

let cp: ControlPlaneState;
let t: TestHub;
let work: string;
beforeAll(async () => {
  await down({ name: CP });
  cp = await up({ name: CP, nodes: 1 });
  await backend.setup();
  t = await startTestHub(backend);
  work = await mkdtemp(join(tmpdir(), 'strata-bundle-it-'));
});
afterAll(async () => {
  await t.close();
  await backend.teardown();
  await down({ name: CP });
  await rm(work, { recursive: true, force: true });
});

/** `strata …` in this process, against the test hub, from `cwd`. */
async function strata(args: readonly string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const out = (append: (s: string) => void) => ({ write: append, isTTY: false, columns: undefined });
  const code = await main(args, {
    stdout: out((s) => (stdout += s)),
    stderr: out((s) => (stderr += s)),
    env: { STRATA_SERVER: t.url, STRATA_TOKEN: t.tokens.operator, XDG_CONFIG_HOME: join(work, 'config') },
    cwd,
  });
  return { code, stdout, stderr };
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

const profileYaml = [
  'apiVersion: strata.dev/v1alpha1',
  'kind: ClusterProfile',
  'metadata: { name: bundled }',
  'spec:',
  '  version: 1.0.0',
  '  type: add-on',
  '  packs:',
  '    - name: dash',
  '      layer: addon',
  '      version: 0.1.0',
  '      type: helm',
  '      chart: { path: charts/dashboards }',
  '      namespace: bundled',
  '      values: { readyAfter: 1s }',
  '    - name: settings',
  '      layer: addon',
  '      version: 0.1.0',
  '      type: manifest',
  '      namespace: bundled',
  '      files: [manifests/settings.yaml]',
  '',
].join('\n');

describe('a profile bundle', () => {
  it('deploys from the hub store after its folder is deleted, and again after a hub restart', async () => {
    const folder = join(work, 'profile');
    await copy(join(examples, 'charts/dashboards'), join(folder, 'charts/dashboards'), { recursive: true });
    await mkdir(join(folder, 'manifests'));
    await writeFile(
      join(folder, 'manifests/settings.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings }\ndata: { from: bundle }\n',
    );
    await writeFile(join(folder, 'profile.yaml'), profileYaml);
    // Run from another folder: nothing depends on the CLI's working directory or on sharing a disk.
    const applied = await strata(['profile', 'apply', '-f', join(folder, 'profile.yaml')], work);
    expect(applied, applied.stderr).toMatchObject({ code: 0 });
    expect(applied.stdout).toBe('profile bundled@1.0.0 published (2 packs)\n');
    const settings = await readFile(join(folder, 'manifests/settings.yaml'));
    await rm(folder, { recursive: true });

    const stored = await t.hub.getProfile('bundled', '1.0.0');
    expect(Object.keys(stored.files ?? {}).sort()).toEqual(['charts/dashboards', 'manifests/settings.yaml']);
    expect(stored.files?.['manifests/settings.yaml']).toBe(sha256(settings));

    const registered = await t.api('POST', '/api/v1/clusters', {
      body: { name: 'bundled', kubeconfig: await readFile(cp.kubeconfig, 'utf8') },
    });
    expect(registered.status, registered.text).toBe(201);
    const attached = await t.api('POST', '/api/v1/clusters/bundled/attachments', {
      body: { profile: 'bundled' },
    });
    expect(attached.status, attached.text).toBe(201);
    await pageUntil('bundled', everyGreen(2), 120_000);

    // The bundle comes back with the same entries and digests.
    const got = await strata(['profile', 'get', 'bundled@1.0.0', '--bundle', '-o', 'back.tgz'], work);
    expect(got, got.stderr).toMatchObject({ code: 0 });
    const back = await readBundle(await readFile(join(work, 'back.tgz')));
    expect(back.profile).toBe(profileYaml);
    expect(Object.fromEntries([...back.entries].map(([path, e]) => [path, e.sha256]))).toEqual(stored.files);

    // `profile pull` recreates the folder; applying it again is the same version, byte for byte (the chart
    // folder packs to the same digest), so the hub answers with the stored version, no conflict.
    const pulled = await strata(['profile', 'pull', 'bundled@1.0.0', 'pulled'], work);
    expect(pulled, pulled.stderr).toMatchObject({ code: 0 });
    expect(await readFile(join(work, 'pulled/charts/dashboards/Chart.yaml'), 'utf8')).toBe(
      await readFile(join(examples, 'charts/dashboards/Chart.yaml'), 'utf8'),
    );
    expect(await readFile(join(work, 'pulled/manifests/settings.yaml'))).toEqual(settings);
    const again = await strata(['profile', 'apply', '-f', 'pulled/profile.yaml'], work);
    expect(again, again.stderr).toMatchObject({ code: 0 });

    // A new hub on the same store (and a new chart cache folder) renders the version from the database.
    const opened = t.opened;
    await t.close();
    t = await startTestHub(backend, { store: opened });
    await pageUntil('bundled', everyGreen(2), 120_000);
    // Objects from the stored chart and the stored file, deleted: the new hub puts them back as it rendered
    // them, so it rendered both from the database (the folder is long gone).
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    await core.deleteNamespacedConfigMap({ name: 'settings', namespace: 'bundled' });
    await core.deleteNamespacedConfigMap({ name: 'dash-config', namespace: 'bundled' });
    const putBack = async (name: string) => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          return await core.readNamespacedConfigMap({ name, namespace: 'bundled' });
        } catch (error) {
          if (Date.now() > deadline)
            throw new Error(`ConfigMap bundled/${name} was not put back`, { cause: error });
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    };
    const settingsBack = await putBack('settings');
    expect(settingsBack.data).toEqual({ from: 'bundle' });
    const dashBack = await putBack('dash-config');
    expect(dashBack.metadata?.name).toBe('dash-config');
  });
});

describe('validating a profile never reads a path the request names', () => {
  const canary = `s3cr3t-canary-${process.pid}`;
  const manifestProfile = (files: string) =>
    profileYaml
      .replace(/ {4}- name: dash[\s\S]*?(?= {4}- name: settings)/, '')
      .replace('files: [manifests/settings.yaml]', `files: ${files}`);

  it.each([
    ['an absolute path', () => `["${join(work, 'secret.yaml')}"]`],
    ['/etc/passwd', () => '["/etc/passwd"]'],
    ['a .. path', () => '["../secret.yaml"]'],
    ['the admin token file', () => '[".strata/admin-token"]'],
  ])('answers %s with an issue, never the file contents', async (_what, files) => {
    await writeFile(join(work, 'secret.yaml'), `${canary}\n`);
    await mkdir(join(work, '.strata'), { recursive: true });
    await writeFile(join(work, '.strata/admin-token'), `${canary}\n`);
    const answer = await t.api('POST', '/api/v1/profiles/validate', {
      role: 'viewer',
      body: { yaml: manifestProfile(files()), file: 'p.yaml' },
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toMatchObject({ valid: false });
    expect(answer.text).not.toContain(canary);
    expect(answer.text).not.toContain('root:');
  });

  it('refuses baseDir in the body or the query with a 400 naming the field', async () => {
    await writeFile(join(work, 'secret.yaml'), `${canary}\n`);
    const yaml = manifestProfile('[secret.yaml]');
    const inBody = await t.api('POST', '/api/v1/profiles/validate', {
      role: 'viewer',
      body: { yaml, baseDir: work },
    });
    expect(inBody.status, inBody.text).toBe(400);
    expect((inBody.json as Problem).detail).toMatch(/baseDir/);
    const inQuery = await t.api('POST', `/api/v1/profiles/validate?baseDir=${encodeURIComponent(work)}`, {
      role: 'viewer',
      raw: yaml,
      headers: { 'content-type': 'application/yaml' },
    });
    expect(inQuery.status, inQuery.text).toBe(400);
    expect((inQuery.json as Problem).detail).toMatch(/baseDir/);
    for (const answer of [inBody, inQuery]) expect(answer.text).not.toContain(canary);
  });

  it('refuses bad bundles (digest, unreferenced entry, over 20 MiB) naming the entry, and stores nothing', async () => {
    const { writeTarGz } = await import('../profile/bundle.js');
    const bad = writeTarGz([
      { path: 'profile.yaml', content: Buffer.from(manifestProfile('[cm.yaml]')) },
      {
        path: 'bundle.json',
        content: Buffer.from(JSON.stringify({ sha256: { 'cm.yaml': '0'.repeat(64) } })),
      },
      { path: 'cm.yaml', content: Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n') },
    ]);
    const answer = await t.api('POST', '/api/v1/profiles?file=bad.tgz', {
      role: 'operator',
      raw: bad,
      headers: { 'content-type': 'application/gzip' },
    });
    expect(answer.status, answer.text).toBe(422);
    expect(answer.json).toMatchObject({ code: 'BUNDLE_INVALID' });
    expect((answer.json as Problem).detail).toMatch(
      /^bad\.tgz: entry "cm\.yaml": sha256 is [0-9a-f]{64}, bundle\.json says 0{64}$/,
    );
    const { writeBundle } = await import('../profile/bundle.js');
    const cm = Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n');
    const unreferenced = writeBundle(manifestProfile('[cm.yaml]'), [
      { path: 'cm.yaml', content: cm },
      { path: 'extra.yaml', content: cm },
    ]);
    const extra = await t.api('POST', '/api/v1/profiles/validate?file=extra.tgz', {
      role: 'viewer',
      raw: unreferenced,
      headers: { 'content-type': 'application/gzip' },
    });
    expect(extra.status, extra.text).toBe(422);
    expect((extra.json as Problem).detail).toBe(
      'extra.tgz: bundle entry "extra.yaml" is not referenced by the profile',
    );
    const huge = await t.api('POST', '/api/v1/profiles?file=huge.tgz', {
      role: 'operator',
      raw: Buffer.alloc(20 * 1024 * 1024 + 1),
      headers: { 'content-type': 'application/gzip' },
    });
    expect(huge.status, huge.text).toBe(413);
    expect(huge.json).toMatchObject({
      code: 'BUNDLE_TOO_LARGE',
      detail: 'huge.tgz: bundle is 20971521 bytes; the limit is 20971520 (20 MiB)',
    });
    const versions = await t.api('GET', '/api/v1/profiles/bundled/versions', { role: 'viewer' });
    expect((versions.json as { version: string }[]).map((v) => v.version)).toEqual(['1.0.0']);
  });
});
