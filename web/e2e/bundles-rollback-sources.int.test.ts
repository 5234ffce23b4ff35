// End to end (issue 13 in the UI): a .tgz bundle imported through the import panel, "Roll back to vX" on an
// attachment, and the admin Sources page, in Debian's Chromium against a real hub and control plane (harness.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Header } from 'tar';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileUpload } from '../../src/profile/index.js';
import { audit, formatViolations } from './axe.js';
import { CLUSTER, startUiHarness, type UiHarness } from './harness.js';

const CP = 'web-e2e-ui13';
const shots = process.env.STRATA_SHOTS ?? join(tmpdir(), 'shots-ui13');
const NS = 'rolled';

let h: UiHarness | undefined;
let page: Page;
let work: string;

const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

/** A profile `rolled` at `version` whose one pack deploys the ConfigMaps in its local file manifests/cm.yaml. */
async function bundleFolder(version: string, configMaps: Record<string, string>): Promise<string> {
  const folder = join(work, `rolled-${version}`);
  mkdirSync(join(folder, 'manifests'), { recursive: true });
  const docs = Object.entries(configMaps).map(
    ([name, from]) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\ndata: { from: ${from} }\n`,
  );
  await writeFile(join(folder, 'manifests/cm.yaml'), docs.join('---\n'));
  const profile = [
    'apiVersion: strata.dev/v1alpha1',
    'kind: ClusterProfile',
    'metadata: { name: rolled }',
    'spec:',
    `  version: ${version}`,
    '  type: add-on',
    '  packs:',
    '    - name: settings',
    '      layer: addon',
    `      version: ${version}`,
    '      type: manifest',
    `      namespace: ${NS}`,
    '      files: [manifests/cm.yaml]',
    '',
  ].join('\n');
  await writeFile(join(folder, 'profile.yaml'), profile);
  return join(folder, 'profile.yaml');
}

/** A gzip-compressed tar of these entries, as written by hand (for bundles the CLI would never write). */
function tgz(entries: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const [path, content] of Object.entries(entries)) {
    const body = Buffer.from(content);
    const header = Buffer.alloc(512);
    new Header({ path, size: body.length, type: 'File', mode: 0o644, mtime: new Date(0) }).encode(header, 0);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

async function configMaps(): Promise<Record<string, string | undefined>> {
  const kc = new KubeConfig();
  kc.loadFromFile(h?.cp.kubeconfig ?? '');
  const list = await kc.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: NS });
  return Object.fromEntries(
    list.items
      .filter((c) => c.metadata?.name !== 'kube-root-ca.crt')
      .map((c) => [c.metadata?.name ?? '', c.data?.from]),
  );
}

/** axe's WCAG A/AA rules on the page as it is now. */
async function expectAccessible(where: string) {
  const violations = await audit(page);
  expect(
    violations.map((v) => v.id),
    formatViolations(where, violations),
  ).toEqual([]);
}

async function signIn(token: string) {
  await page.goto(`${h?.url ?? ''}/#/`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Clusters' }).waitFor();
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  work = await mkdtemp(join(tmpdir(), 'strata-ui13-'));
  h = await startUiHarness(CP);
  const context = await h.browser.newContext({
    viewport: { width: 1280, height: 800 },
    colorScheme: 'light',
  });
  page = await context.newPage();
  page.on('pageerror', (error) => {
    process.stderr.write(`page error: ${error.message}\n`);
  });
  await signIn(h.tokens.admin);
});

afterAll(async () => {
  await h?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('issue 13 in the web UI', () => {
  it('imports a .tgz bundle (a profile with a local file) from the import panel', async () => {
    const upload = await profileUpload(await bundleFolder('1.0.0', { settings: 'v1', 'v1-only': 'v1' }));
    if (upload.bundle === undefined) throw new Error('the profile has a local file: expected a bundle');
    const file = join(work, 'rolled-1.0.0.tgz');
    writeFileSync(file, upload.bundle);

    await page.goto(`${h?.url ?? ''}/#/profiles`);
    await page.getByLabel('Profile file or bundle (.tgz)').setInputFiles(file);
    // The bundle's profile.yaml is shown (read-only) for problems to point at.
    await expect
      .poll(() => page.getByLabel(/profile\.yaml of rolled-1\.0\.0\.tgz/).inputValue())
      .toContain('name: rolled');
    await page.getByRole('button', { name: 'Import' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Imported' })
      .getByRole('link', { name: 'rolled v1.0.0' })
      .waitFor();
    await shot('import-bundle-ok');
    expect(await h?.api('GET', '/profiles/rolled/versions')).toMatchObject([
      { version: '1.0.0', published: true },
    ]);
  });

  it('shows a refused bundle with its code, and problems in a bundle at their line', async () => {
    const broken = join(work, 'broken.tgz');
    writeFileSync(broken, Buffer.from('not gzip at all'));
    await page.getByLabel('Profile file or bundle (.tgz)').setInputFiles(broken);
    await page.getByText('no profile.yaml read from broken.tgz').waitFor();
    await page.getByRole('button', { name: 'Import' }).click();
    const refused = page.getByRole('alert').filter({ hasText: 'BUNDLE_INVALID' });
    await refused.waitFor();
    process.stdout.write(`refused bundle: ${await refused.textContent()}\n`);
    await shot('import-bundle-refused');

    const misspelled = join(work, 'misspelled.tgz');
    const yaml = [
      'apiVersion: strata.dev/v1alpha1',
      'kind: ClusterProfile',
      'metadata: { name: misspelled }',
      'spec:',
      '  version: 1.0.0',
      '  type: add-on',
      '  packs:',
      '    - name: web',
      '      layer: addon',
      '      versoin: 1.0.0',
      '      type: manifest',
      '      manifests: []',
      '',
    ].join('\n');
    writeFileSync(misspelled, tgz({ 'profile.yaml': yaml, 'bundle.json': '{"sha256":{}}' }));
    await page.getByLabel('Profile file or bundle (.tgz)').setInputFiles(misspelled);
    await page.getByRole('button', { name: 'Validate' }).click();
    const flagged = page.locator('.yaml-line.has-issue');
    await flagged.first().waitFor();
    expect(await flagged.evaluateAll((els) => els.map((e) => e.getAttribute('data-line')))).toContain('10');
    await shot('import-bundle-problem-at-line');
    await expectAccessible('import panel, problems in a bundle');
  });

  it('rolls back v2 → v1 from the cluster page: the diff first, then v1 goes green with its objects', async () => {
    const api = h?.api ?? (() => Promise.reject(new Error('no harness')));
    await api(
      'POST',
      `/clusters/${CLUSTER}/attachments`,
      { profile: 'rolled', version: '1.0.0' },
      'operator',
    );
    await expect.poll(configMaps, { timeout: 120_000 }).toEqual({ settings: 'v1', 'v1-only': 'v1' });
    const v2 = await profileUpload(await bundleFolder('2.0.0', { settings: 'v2', 'v2-only': 'v2' }));
    await api('POST', '/profiles?file=profile.yaml', v2.bundle, 'operator');
    await api('PATCH', `/clusters/${CLUSTER}/attachments/rolled`, { version: '2.0.0' }, 'operator');
    await expect.poll(configMaps, { timeout: 120_000 }).toEqual({ settings: 'v2', 'v2-only': 'v2' });

    // A viewer is offered neither the rollback (it changes the cluster) nor the Sources page (admin).
    const viewer = await h?.browser.newPage();
    if (!viewer) throw new Error('no browser');
    await viewer.goto(`${h?.url ?? ''}/#/`);
    await viewer.getByLabel('API token').fill(h?.tokens.viewer ?? '');
    await viewer.getByRole('button', { name: 'Sign in' }).click();
    await viewer.goto(`${h?.url ?? ''}/#/clusters/${CLUSTER}`);
    await viewer.locator('.attachment').filter({ hasText: 'rolled' }).getByText('v2.0.0').waitFor();
    await viewer.getByRole('button', { name: 'Check chart versions' }).waitFor();
    expect(await viewer.getByRole('button', { name: /Roll back/ }).count()).toBe(0);
    expect(await viewer.getByRole('link', { name: 'Sources' }).count()).toBe(0);
    await viewer.close();

    await page.goto(`${h?.url ?? ''}/#/clusters/${CLUSTER}`);
    await page.locator('tr[data-pack="settings"][data-phase="success"]').waitFor({ timeout: 120_000 });
    const row = page.locator('.attachment').filter({ hasText: 'rolled' });
    await row.getByRole('button', { name: 'Roll back to v1.0.0' }).click();
    const preview = row.locator('.preview');
    await preview.getByText('goes back from v2.0.0 to v1.0.0').waitFor();
    expect(await preview.locator('table').textContent()).toContain('2.0.0 → 1.0.0');
    await shot('rollback-preview');
    await expectAccessible('cluster page, rollback preview');
    await preview.getByRole('button', { name: 'Roll back to v1.0.0' }).click();
    await row.getByText('v1.0.0', { exact: true }).waitFor();
    await expect.poll(configMaps, { timeout: 120_000 }).toEqual({ settings: 'v1', 'v1-only': 'v1' });
    // The pack's row, live: v1.0.0 and green (not the v2 row it showed before).
    await page
      .locator('tr[data-pack="settings"][data-phase="success"]')
      .filter({ has: page.locator('td.col-version', { hasText: /^1\.0\.0$/ }) })
      .waitFor({ timeout: 120_000 });
    expect(await row.textContent()).toContain('Update available: v2.0.0');
    await shot('rollback-done');
  });

  it('adds, lists and removes a chart source; the password never reaches the page', async () => {
    const password = 'pw-e2e-7c1f0d9a-never-shown';
    await page.goto(`${h?.url ?? ''}/#/`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sources' }).click();
    await page.getByRole('heading', { name: 'Chart sources' }).waitFor();

    // A URL the API refuses: its message, as given, in the form.
    await page.getByLabel('Name', { exact: true }).fill('charts');
    await page.getByLabel('URL', { exact: true }).fill('ftp://charts.example.com');
    await page.getByRole('button', { name: 'Save source' }).click();
    const refused = page.getByRole('alert').filter({ hasText: 'INVALID_REQUEST' });
    await refused.waitFor();
    expect(await refused.textContent()).toContain('url');
    await shot('sources-refused');

    await page.getByLabel('URL', { exact: true }).fill('https://charts.example.com/stable');
    await page.getByLabel('Username', { exact: true }).fill('robot');
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Save source' }).click();
    const row = page.locator('tr[data-source="charts"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('https://charts.example.com/stable');
    expect(await row.textContent()).toContain('robot');
    expect(await row.textContent()).toContain('password set');
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    expect(await page.content()).not.toContain(password);
    await page.reload();
    await row.waitFor();
    expect(await page.content()).not.toContain(password);
    await shot('sources-list');
    await expectAccessible('sources page');

    await row.getByRole('button', { name: 'Remove source charts' }).click();
    await row.getByRole('button', { name: 'Remove charts' }).click();
    await row.waitFor({ state: 'detached' });
    await page.getByText('No chart sources yet.').waitFor();
    expect(await h?.api('GET', '/sources')).toEqual([]);
  });
});
