// End to end: the built UI (web/dist) in Debian's Chromium, against a real hub and a real control plane from
// testenv/ (see harness.ts).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Component, crash } from '../../testenv/src/controlplane.js';
import { repoRoot } from '../../src/engine/testing/runner.js';
import { audit, formatViolations } from './axe.js';
import { CLUSTER, MISSPELLED_PROFILE, examples, startUiHarness, type UiHarness } from './harness.js';

const CP = 'web-e2e';
const shots = join(repoRoot, 'test-results', 'screenshots');

let h: UiHarness | undefined;
let url: string;
let tokens: UiHarness['tokens'];
let cp: UiHarness['cp'];
let api: UiHarness['api'];
let context: BrowserContext;
let page: Page;

async function shot(name: string) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
}

async function signIn(token: string) {
  await page.goto(`${url}/#/`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Clusters' }).waitFor();
}

/** axe's WCAG A/AA rules on the page as it is now (states the a11y test does not reach: stale, preview, drift). */
async function expectAccessible(where: string) {
  const violations = await audit(page);
  expect(
    violations.map((v) => v.id),
    formatViolations(where, violations),
  ).toEqual([]);
}

/** Every distinct phase each pack row showed, in order, recorded in the page by a MutationObserver. */
const installPhaseRecorder = () =>
  page.evaluate(() => {
    const w = window as unknown as { __phases: Record<string, string[]> };
    w.__phases = {};
    const record = () => {
      for (const row of document.querySelectorAll<HTMLElement>('tr[data-pack]')) {
        const pack = row.dataset.pack ?? '';
        const phase = row.dataset.phase ?? '';
        const seen = (w.__phases[pack] ??= []);
        if (seen.at(-1) !== phase) seen.push(phase);
      }
    };
    new MutationObserver(record).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['data-phase'],
    });
    record();
  });

const recordedPhases = () =>
  page.evaluate(() => (window as unknown as { __phases: Record<string, string[]> }).__phases);

/** A marker in the document that a reload would wipe: proves the page updated itself. */
const markDocument = () =>
  page.evaluate(() => {
    (window as unknown as { __noReload: boolean }).__noReload = true;
  });
const stillSameDocument = () =>
  page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload === true);

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  h = await startUiHarness(CP);
  ({ url, tokens, cp, api } = h);
  context = await h.browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  page = await context.newPage();
  page.on('pageerror', (error) => {
    process.stderr.write(`page error: ${error.message}\n`);
  });
});

afterAll(async () => {
  await h?.close();
});

describe('the web UI', () => {
  it('signs in with a token (a wrong one is refused)', async () => {
    await page.goto(`${url}/`);
    await page.getByLabel('API token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('The hub does not accept this token').waitFor();
    expect(await page.getByText('no longer accepts').count()).toBe(0);
    await shot('login');
    await signIn(tokens.operator);
    expect(await page.locator('.role-chip').textContent()).toContain('operator');
  });

  it('attaches platform-tools from the profile page and the packs go gray → blue → green without a reload', async () => {
    // With the infra layers (os, k8s, cni, csi: about 12 s of simulated pod start-up) attached too, the addon
    // packs wait gray for them: the gray phase is long enough to be seen every time, not by luck.
    await page.goto(`${url}/#/profiles/platform-tools`);
    await page.getByRole('heading', { name: 'Attach to a cluster' }).waitFor();
    await page.locator('.yaml-line').first().waitFor();
    await markDocument();
    await installPhaseRecorder();
    await api('POST', `/clusters/${CLUSTER}/attachments`, { profile: 'local-infra' }, 'operator');
    await page.getByRole('button', { name: /^Attach v0\.3\.0/ }).click();
    await page.waitForURL(/#\/clusters\/local$/);
    await page.locator('tr[data-pack="echo"]').waitFor();
    // Early on: infra blue, the add-ons gray with what they wait for.
    await page.locator('tr[data-pack="sim-cni"][data-phase="processing"]').waitFor({ timeout: 60_000 });
    await shot('cluster-installing');

    // Blue while the echo pods wait their 6 s: the spinner, a progress text and a live clock are on screen.
    await page.locator('tr[data-pack="echo"][data-phase="processing"]').waitFor({ timeout: 60_000 });
    await expect
      .poll(() => page.locator('tr[data-pack="echo"] .progress-text').textContent())
      .toMatch(/\d+\/\d+ ready/);
    expect(await page.locator('tr[data-pack="echo"] .spinner').count()).toBe(1);
    await shot('cluster-processing');

    await page.locator('tr[data-pack="echo"][data-phase="success"]').waitFor({ timeout: 90_000 });
    await page.locator('tr[data-pack="tenant-quotas"][data-phase="success"]').waitFor({ timeout: 30_000 });
    const phases = await recordedPhases();
    process.stdout.write(`phases seen in the DOM: ${JSON.stringify(phases)}\n`);
    expect(phases.echo).toEqual(['onboarding', 'processing', 'success']);
    expect(phases['tenant-quotas']).toEqual(['onboarding', 'processing', 'success']);
    expect(phases['sim-csi']).toEqual(['onboarding', 'processing', 'success']);
    expect(await stillSameDocument()).toBe(true);
    // Install order within the addon layer: quotas first (installPriority -5).
    expect(
      await page.locator('tr[data-pack]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-pack'))),
    ).toEqual(['node-config', 'cluster-policies', 'sim-cni', 'sim-csi', 'tenant-quotas', 'echo']);
    // Grouped by profile (the default), each profile's layers inside it in install order.
    expect(
      await page
        .locator('tbody[data-profile]')
        .evaluateAll((g) => g.map((e) => e.getAttribute('data-profile'))),
    ).toEqual(['local-infra', 'platform-tools']);
    expect(
      await page
        .locator('tr[data-layer-row]')
        .evaluateAll((g) => g.map((e) => e.getAttribute('data-layer-row'))),
    ).toEqual(['os', 'k8s', 'cni', 'csi', 'addon']);
    expect(await page.locator('tr[data-pack="echo"] .badge').getAttribute('aria-label')).toBe('Success');
  });

  it('shows a failing pack red with its reason, and its failing resource in the detail', async () => {
    await markDocument();
    await api('POST', `/clusters/${CLUSTER}/attachments`, { profile: 'broken-addon' }, 'operator');
    const row = page.locator('tr[data-pack="broken-web"]');
    await page.locator('tr[data-pack="broken-web"][data-phase="failed"]').waitFor({ timeout: 90_000 });
    await expect
      .poll(() => row.locator('.message').textContent(), { timeout: 30_000 })
      .toMatch(/ImagePullBackOff|ErrImagePull/);
    expect(await row.locator('.badge').getAttribute('aria-label')).toBe('Failed');
    expect(await stillSameDocument()).toBe(true);
    await shot('cluster-page');

    await row.getByRole('link', { name: 'broken-web' }).click();
    await page.waitForURL(/#\/clusters\/local\/packs\/broken-web$/);
    const detail = page.locator('aside.detail');
    await detail.getByRole('heading', { name: 'broken-web' }).waitFor();
    const failed = detail.locator('.resources-table tbody.resource').first();
    await expect
      .poll(() => failed.textContent(), { timeout: 30_000 })
      .toMatch(/Failed.*Pod.*broken\/broken-web-.*ImagePullBackOff/);
    await detail.locator('.transitions li').first().waitFor();
    expect(await detail.getByRole('button', { name: 'Retry this pack' }).count()).toBe(1);
    // What the pack deploys with: its objects as the hub resolved them.
    const rendered = detail.locator('section.pack-values');
    await rendered.getByRole('heading', { name: 'Rendered manifests' }).waitFor();
    expect(await rendered.textContent()).toContain('image: registry.example/does-not-exist:nope');
    await shot('pack-detail');

    // Escape closes the detail and gives focus back to the pack's row.
    await page.keyboard.press('Escape');
    await page.waitForURL(/#\/clusters\/local$/);
    await expect.poll(() => page.locator('aside.detail').count()).toBe(0);
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('broken-web');
  });

  it('draws the install timeline, each bar split by phase', async () => {
    await page.getByRole('link', { name: 'Install timeline' }).click();
    const rows = page.locator('.timeline-svg .timeline-row');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(7);
    // Once the transitions are in: broken-web blue, then red until now; every green pack blue then a green mark.
    // (Each may start with gray, the time it waited for its turn: cluster-page.int.test.ts checks that.)
    const phasesOf = (pack: string) =>
      page
        .locator(`.timeline-row:has(text:text-is("${pack}")) rect.bar`)
        .evaluateAll((rects) => rects.map((r) => r.getAttribute('data-phase')))
        .then((phases) => phases.filter((p, i) => !(i === 0 && p === 'onboarding')));
    await expect.poll(() => phasesOf('broken-web')).toEqual(['processing', 'failed']);
    expect(
      await page
        .locator('.timeline-row:has(text:text-is("broken-web")) rect.bar[data-phase="failed"]')
        .getAttribute('class'),
    ).toContain('bar-running');
    for (const pack of ['sim-cni', 'sim-csi', 'echo']) {
      expect(await phasesOf(pack), pack).toEqual(['processing', 'success']);
    }
    expect(await page.locator('.timeline-row[data-phase="failed"] .timeline-value').textContent()).toMatch(
      /^✗ /,
    );
    await shot('timeline');
  });

  it('lists clusters with their rollup colour and counts, filtered and searched', async () => {
    await page.goto(`${url}/#/`);
    const row = page.locator('tr[data-cluster="local"]');
    await row.waitFor();
    expect(await row.getAttribute('data-phase')).toBe('failed');
    expect(await row.locator('.badge').getAttribute('aria-label')).toBe('Failed');
    await shot('overview');
    await page.locator('label.filter-option', { hasText: 'Success' }).click();
    await expect.poll(() => page.locator('tr[data-cluster]').count()).toBe(0);
    await page.locator('label.filter-option', { hasText: 'Failed' }).click();
    await expect.poll(() => page.locator('tr[data-cluster]').count()).toBe(1);
    await page.getByLabel('Search by name').fill('nomatch');
    await expect.poll(() => page.locator('tr[data-cluster]').count()).toBe(0);
  });

  it('shows profile problems at their lines', async () => {
    await page.goto(`${url}/#/profiles`);
    await page.getByLabel('YAML', { exact: true }).fill(MISSPELLED_PROFILE);
    await page.getByRole('button', { name: 'Validate' }).click();
    const flagged = page.locator('.yaml-line.has-issue');
    await flagged.first().waitFor();
    const lines = await flagged.evaluateAll((els) => els.map((e) => e.getAttribute('data-line')));
    process.stdout.write(`issues at lines: ${JSON.stringify(lines)}\n`);
    expect(lines).toContain('11');
    await shot('profiles-inline-error');
  });

  it('gives a viewer no button the hub would refuse', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(tokens.viewer);
    expect(await page.locator('.role-chip').textContent()).toContain('viewer');
    await page.goto(`${url}/#/clusters/local/packs/broken-web`);
    await page.locator('aside.detail').waitFor();
    expect(await page.getByRole('button', { name: /Retry|Re-sync|Re-apply/ }).count()).toBe(0);
    await page.goto(`${url}/#/profiles/platform-tools`);
    await page.locator('.yaml-line').first().waitFor();
    expect(await page.getByRole('button', { name: /Attach|Import/ }).count()).toBe(0);
  });

  it('marks colours stale with a banner while the cluster is unreachable, and fresh again after', async () => {
    await page.goto(`${url}/#/clusters/local`);
    await page.locator('tr[data-pack="echo"]').waitFor();
    const restart = await crash({ name: CP, component: Component.ApiServer });
    try {
      await page.getByText('Cluster unreachable.').waitFor({ timeout: 90_000 });
      await page.locator('tr[data-pack="echo"].stale').waitFor();
      expect(await page.locator('tr[data-pack="echo"] .badge').getAttribute('aria-label')).toBe(
        'Success (last known; may be out of date)',
      );
      await shot('cluster-unreachable');
      // The stale state has its own styles (stripes, dashed outline, banner): audit it too (see a11y.int.test.ts).
      await expectAccessible('cluster page, cluster unreachable');
    } finally {
      await restart();
    }
    await page.getByText('Cluster unreachable.').waitFor({ state: 'detached', timeout: 90_000 });
    await expect.poll(() => page.locator('tr.stale').count(), { timeout: 30_000 }).toBe(0);
  });

  it('has a dark theme', async () => {
    await page.goto(`${url}/#/clusters/local`);
    await page.locator('tr[data-pack="echo"]').waitFor();
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await shot('cluster-page-dark');
    await page.goto(`${url}/#/clusters/local/packs/broken-web`);
    await page.locator('aside.detail .resources-table').waitFor();
    await shot('pack-detail-dark');
  });

  it('offers an update of an attached profile, shows the per-pack diff, and applies it: red → blue → green', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(tokens.operator);
    // A fixed broken-addon: a working image, and a sensitive variable that reaches the pod's environment.
    const fixed = readFileSync(join(examples, 'failing', 'broken-addon.yaml'), 'utf8')
      .replace(
        'version: 0.0.1\n  type: add-on',
        // A sensitive variable takes no default (review 10): its value is given per attachment, below.
        'version: 0.0.2\n  type: add-on\n  variables:\n    - { name: token, sensitive: true }',
      )
      .replace('      version: 0.0.1\n', '      version: 0.0.2\n')
      .replace('testenv.strata.dev/behavior: image-pull-backoff', 'testenv.strata.dev/ready-after: "3s"')
      .replace(
        'image: registry.example/does-not-exist:nope',
        'image: registry.example/web:1.0.0\n                    env: [{ name: TOKEN, value: "{{ .strata.var.token }}" }]',
      );
    expect(fixed).toContain('version: 0.0.2');
    await page.goto(`${url}/#/profiles`);
    await page.getByLabel('File name (for error messages)').fill('broken-addon.yaml');
    await page.getByLabel('YAML', { exact: true }).fill(fixed);
    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('link', { name: 'broken-addon v0.0.2' }).waitFor();

    await page.goto(`${url}/#/clusters/local`);
    const attachment = page.locator('li.attachment', { hasText: 'broken-addon' });
    await attachment.getByText('Update available: v0.0.2').waitFor();
    await attachment.getByRole('button', { name: 'Preview changes' }).click();
    const changed = attachment.locator('.diff-table tr[data-change="changed"]');
    await changed.waitFor();
    expect(await changed.textContent()).toContain('broken-web');
    // What changes, field by field, before applying: the version and the image among them.
    expect(await changed.locator('td').nth(3).textContent()).toBe('0.0.1 → 0.0.2');
    const changes = await changed.locator('.diff-changes li').allTextContents();
    expect(changes).toContain(
      'manifests["Deployment broken-web"].spec.template.spec.containers[0].image: "registry.example/does-not-exist:nope" → "registry.example/web:1.0.0"',
    );
    expect(changes).toContain('version: "0.0.1" → "0.0.2"');
    // Only broken-web changes; the cluster's other packs are folded into one line, in install order.
    expect(await attachment.locator('.diff-table tbody tr').count()).toBe(1);
    await attachment.locator('.diff-unchanged summary').click();
    expect(await attachment.locator('.diff-unchanged summary').textContent()).toContain('6 unchanged packs');
    expect(
      await attachment
        .locator('.diff-unchanged li[data-change="unchanged"]')
        .evaluateAll((items) => items.map((i) => i.textContent)),
    ).toEqual([
      'node-config (local-infra)',
      'cluster-policies (local-infra)',
      'sim-cni (local-infra)',
      'sim-csi (local-infra)',
      'tenant-quotas (platform-tools)',
      'echo (platform-tools)',
    ]);
    await shot('update-preview');
    await expectAccessible('update preview with the per-pack diff');

    await markDocument();
    await installPhaseRecorder();
    await attachment.getByRole('button', { name: 'Apply update' }).click();
    await page.locator('tr[data-pack="broken-web"][data-phase="success"]').waitFor({ timeout: 90_000 });
    const phases = await recordedPhases();
    expect(phases['broken-web']?.[0]).toBe('failed');
    expect(phases['broken-web']?.at(-1)).toBe('success');
    expect(phases['broken-web']).toContain('processing');
    expect(await stillSameDocument()).toBe(true);
    await expect.poll(() => attachment.textContent()).toMatch(/v0\.0\.2/);
    expect(await attachment.getByText(/Update available/).count()).toBe(0);

    // The sensitive value, given to the attachment now that its version declares the variable.
    await api(
      'PATCH',
      `/clusters/${CLUSTER}/attachments/broken-addon`,
      { values: { token: 'hush-4711' } },
      'operator',
    );
    // The detail shows the new objects, with the sensitive value masked and nowhere on the page in clear.
    await page.locator('tr[data-pack="broken-web"]').getByRole('link', { name: 'broken-web' }).click();
    const rendered = page.locator('aside.detail section.pack-values');
    await expect
      .poll(() => rendered.textContent(), { timeout: 15_000 })
      .toContain('image: registry.example/web:1.0.0');
    await expect.poll(() => rendered.textContent(), { timeout: 15_000 }).toContain('value: "******"');
    expect(await rendered.textContent()).toContain('Sensitive values are masked');
    expect(await page.content()).not.toContain('hush-4711');
    await rendered.scrollIntoViewIfNeeded();
    await shot('pack-detail-values');
  });

  it('says on the pack row when someone deleted one of its objects and Strata put it back', async () => {
    await page.goto(`${url}/#/clusters/local`);
    await page.locator('tr[data-pack="tenant-quotas"][data-phase="success"]').waitFor();
    await markDocument();
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfig);
    await kc
      .makeApiClient(CoreV1Api)
      .deleteNamespacedLimitRange({ name: 'tenant-a-defaults', namespace: 'tenant-a' });
    const note = page.locator('tr[data-pack="tenant-quotas"] .drift-note');
    await expect
      .poll(() => note.textContent(), { timeout: 30_000 })
      .toMatch(/^↺ Drift corrected at .+: LimitRange tenant-a\/tenant-a-defaults deleted$/);
    await page.locator('tr[data-pack="tenant-quotas"][data-phase="success"]').waitFor({ timeout: 30_000 });
    expect(await stillSameDocument()).toBe(true);
    await shot('cluster-drift');
    await expectAccessible('cluster page with a drift note');
  });
});
