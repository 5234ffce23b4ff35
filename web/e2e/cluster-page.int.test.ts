// End to end (issue 18): the cluster page grouped by attached profile with a rollup per profile, the by-layer
// view one click away, each run (install, retry) on its own clock in the list, the detail and the timeline,
// buttons that say what they do, the overview naming the red pack, and the Profiles page's pack table.
// Screenshots go to STRATA_SHOTS (default test-results/screenshots/issue-18).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/engine/testing/runner.js';
import type { ClusterPage, PackRun, PackRuns, PackView } from '../src/api/types';
import { formatRunDuration } from '../src/time';
import { CLUSTER, startUiHarness, type UiHarness } from './harness.js';

const CP = 'web-e2e-page';
const shots = process.env.STRATA_SHOTS ?? join(repoRoot, 'test-results', 'screenshots', 'issue-18');

let h: UiHarness | undefined;
let url: string;
let api: UiHarness['api'];
let context: BrowserContext;
let page: Page;

async function shot(name: string) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
}

async function packOf(name: string): Promise<PackView> {
  const view = (await api('GET', `/clusters/${CLUSTER}/page`)) as ClusterPage;
  const found = view.packs.find((p) => p.name === name);
  if (!found) throw new Error(`pack ${name} is not on the page`);
  return found;
}

/** Every run the pack keeps, oldest first: the page carries only the current one (`lastRun`). */
async function runsOf(name: string): Promise<PackRun[]> {
  return ((await api('GET', `/clusters/${CLUSTER}/packs/${name}/runs?limit=20`)) as PackRuns).runs;
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  h = await startUiHarness(CP);
  ({ url, api } = h);
  context = await h.browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
  page = await context.newPage();
  page.on('pageerror', (error) => {
    process.stderr.write(`page error: ${error.message}\n`);
  });
  await page.goto(`${url}/`);
  await page.getByLabel('API token').fill(h.tokens.operator);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Clusters' }).waitFor();
  for (const profile of ['local-infra', 'platform-tools', 'broken-addon']) {
    await api('POST', `/clusters/${CLUSTER}/attachments`, { profile }, 'operator');
  }
});

afterAll(async () => {
  await h?.close();
});

describe('the cluster page by profile, per run', () => {
  it('groups packs by attached profile, each with its version, rollup colour and counts, layers inside', async () => {
    await page.goto(`${url}/#/clusters/${CLUSTER}`);
    await page.locator('tr[data-pack="broken-web"][data-phase="failed"]').waitFor({ timeout: 120_000 });
    await page.locator('tr[data-pack="echo"][data-phase="success"]').waitFor({ timeout: 120_000 });
    await page.locator('tr[data-pack="sim-csi"][data-phase="success"]').waitFor({ timeout: 60_000 });
    const groups = page.locator('tbody[data-profile]');
    expect(
      await groups.evaluateAll((g) =>
        g.map((e) => [e.getAttribute('data-profile'), e.getAttribute('data-phase')]),
      ),
    ).toEqual([
      ['local-infra', 'success'],
      ['platform-tools', 'success'],
      ['broken-addon', 'failed'],
    ]);
    const broken = page.locator('tbody[data-profile="broken-addon"] tr.profile-row');
    expect(await broken.textContent()).toMatch(/broken-addon\s*version 0\.0\.1\s*1 pack: 1 failed/);
    expect(await broken.locator('.badge').getAttribute('aria-label')).toBe('Failed');
    expect(await page.locator('tbody[data-profile="local-infra"] tr.profile-row').textContent()).toContain(
      '4 packs: 4 success',
    );
    // Layers inside each profile, install order kept; no layer column repeating them.
    expect(
      await page
        .locator('tbody[data-profile="local-infra"] tr[data-layer-row]')
        .evaluateAll((r) => r.map((e) => e.getAttribute('data-layer-row'))),
    ).toEqual(['os', 'k8s', 'cni', 'csi']);
    expect(await page.locator('.packs-table thead th', { hasText: 'Layer' }).count()).toBe(0);
    await shot('01-cluster-grouped-by-profile');
  });

  it('shows the cluster-wide by-layer view one click away', async () => {
    await page.getByRole('button', { name: 'Layer (cluster-wide)' }).click();
    expect(
      await page.locator('tbody[data-layer]').evaluateAll((g) => g.map((e) => e.getAttribute('data-layer'))),
    ).toEqual(['os', 'k8s', 'cni', 'csi', 'addon']);
    // One layer's packs from every profile, in the cluster's install order.
    const installOrder = ((await api('GET', `/clusters/${CLUSTER}/page`)) as ClusterPage).packs
      .filter((p) => p.layer === 'addon')
      .map((p) => p.name);
    expect(installOrder).toHaveLength(3);
    expect(
      await page
        .locator('tbody[data-layer="addon"] tr[data-pack]')
        .evaluateAll((r) => r.map((e) => e.getAttribute('data-pack'))),
    ).toEqual(installOrder);
    expect(
      await page.getByRole('button', { name: 'Layer (cluster-wide)' }).getAttribute('aria-pressed'),
    ).toBe('true');
    await shot('02-cluster-grouped-by-layer');
    await page.getByRole('button', { name: 'Profile' }).click();
    await page.locator('tbody[data-profile]').first().waitFor();
  });

  it('says which pack is red on the overview, with chips that read "○ Onboarding"', async () => {
    await page.goto(`${url}/#/`);
    const named = page.locator('tr[data-cluster="local"] li[data-attention="broken-web"]');
    await named.waitFor();
    expect(await named.getAttribute('data-phase')).toBe('failed');
    expect(await named.textContent()).toMatch(/broken-web failed: (ImagePullBackOff|ErrImagePull)/);
    const chip = page.locator('label.filter-option', { hasText: 'Onboarding' });
    expect(await chip.textContent()).toBe('○ Onboarding');
    // The radio is there for keyboards and screen readers, but draws no second circle.
    expect((await chip.locator('input').boundingBox())?.width ?? 0).toBeLessThanOrEqual(1);
    await shot('03-overview-names-red-pack');
  });

  it('offers Retry on a red pack only, and a retry starts a new clock while the history keeps the first run', async () => {
    await page.goto(`${url}/#/clusters/${CLUSTER}/packs/echo`);
    const detail = page.locator('aside.detail');
    await detail.getByRole('heading', { name: 'echo' }).waitFor();
    expect(await detail.getByRole('button', { name: 'Re-apply this pack' }).count()).toBe(1);
    expect(await detail.getByRole('button', { name: /Retry/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Re-sync cluster' }).count()).toBe(1);

    const before = await runsOf('broken-web');
    expect(before.map((r) => r.kind)).toEqual(['install']);
    const firstRun = before[0];
    expect((await packOf('broken-web')).lastRun).toEqual(firstRun);
    await page.goto(`${url}/#/clusters/${CLUSTER}/packs/broken-web`);
    await detail.getByRole('heading', { name: 'broken-web' }).waitFor();
    expect(await detail.getByRole('button', { name: 'Re-apply this pack' }).count()).toBe(0);
    await detail.getByRole('button', { name: 'Retry this pack' }).click();
    await detail.locator('.runs-table tr[data-run="retry"]').waitFor({ timeout: 30_000 });
    await page.locator('tr[data-pack="broken-web"][data-phase="failed"]').waitFor({ timeout: 90_000 });
    await expect
      .poll(async () => (await packOf('broken-web')).endTime !== undefined, { timeout: 60_000 })
      .toBe(true);
    const after = await packOf('broken-web');
    const afterRuns = await runsOf('broken-web');
    expect(afterRuns.map((r) => r.kind)).toEqual(['install', 'retry']);
    // The first run keeps its own times; the retry has its own start, after the first run ended.
    expect(afterRuns[0]).toEqual(firstRun);
    const retry = afterRuns[1];
    expect(after.lastRun).toEqual(retry);
    expect(after.runCount).toBe(2);
    expect(Date.parse(retry?.startTime ?? '')).toBeGreaterThan(Date.parse(firstRun?.endTime ?? ''));
    expect(after.startTime).toBe(retry?.startTime);
    const retryMs = Date.parse(after.endTime ?? '') - Date.parse(after.startTime ?? '');
    // The list says how long the pack has been red since the retry turned red (not the time since the first
    // install, and not "0ms" when the retry of unchanged objects was red again at once); the title says how
    // long the retry took.
    const elapsed = page.locator('tr[data-pack="broken-web"] .elapsed');
    await expect.poll(() => elapsed.innerText()).toMatch(/^red (just now|for \d+s)$/);
    const took = formatRunDuration(retryMs, 'failed');
    expect(await elapsed.getAttribute('title')).toMatch(
      took === 'red at once'
        ? /^the retry turned red at once, at /
        : `the retry turned red after ${took}, at `,
    );
    // The page carries the current run; the first one is read from …/runs when asked for.
    await detail.getByRole('button', { name: 'Show earlier runs (1)' }).click();
    await expect.poll(() => detail.locator('.runs-table tbody tr').count()).toBe(2);
    expect(await detail.locator('.runs-table tr[data-run="retry"] .run-duration').innerText()).toBe(
      formatRunDuration(retryMs, 'failed'),
    );
    await detail.locator('.runs-table').scrollIntoViewIfNeeded();
    await shot('04-pack-detail-runs-after-retry');
  });

  it('draws the timeline to the install, gray waiting, red bars with how long they have been red, retries marked', async () => {
    await page.goto(`${url}/#/clusters/${CLUSTER}/timeline`);
    const row = page.locator('.timeline-row:has(text:text-is("broken-web"))');
    await row.waitFor();
    // "red just now" in its first second (the retry above turned it red again at once), then "red for 1s".
    await expect
      .poll(() => row.locator('.timeline-value').textContent(), { timeout: 10_000 })
      .toMatch(/^✗ red for \d/);
    expect(await row.locator('.run-mark[data-run="retry"]').count()).toBe(1);
    // The add-ons waited gray for the infra layers before they started.
    await expect
      .poll(() =>
        page
          .locator('.timeline-row:has(text:text-is("echo")) rect.bar')
          .evaluateAll((r) => r.map((e) => e.getAttribute('data-phase'))),
      )
      .toEqual(['onboarding', 'processing', 'success']);
    await shot('05-timeline');
  });

  it('shows per profile version its packs, where it is attached, and the YAML', async () => {
    await page.goto(`${url}/#/profiles/local-infra`);
    const table = page.locator('table.profile-packs');
    await table.waitFor();
    expect(
      await table
        .locator('tr[data-profile-pack]')
        .evaluateAll((r) => r.map((e) => e.getAttribute('data-profile-pack'))),
    ).toEqual(['node-config', 'cluster-policies', 'sim-cni', 'sim-csi']);
    const cni = table.locator('tr[data-profile-pack="sim-cni"]');
    expect(await cni.textContent()).toMatch(
      /sim-cni\s*cni\s*helm.*local charts\/sim-cni.*sha256:[0-9a-f]{12}/,
    );
    expect(await page.locator('li[data-attached="local"]').textContent()).toMatch(/local this version \(v/);
    await page.locator('.yaml-line').first().waitFor();
    await shot('06-profiles-pack-table');
  });
});

describe("a pack's history, page by page", () => {
  const AGENT_PROFILE = [
    'apiVersion: strata.dev/v1alpha1',
    'kind: ClusterProfile',
    'metadata: { name: e2e-paged }',
    'spec:',
    '  version: 1.0.0',
    '  type: add-on',
    '  packs:',
    '    - name: flappy',
    '      layer: addon',
    '      version: 1.0.0',
    '      type: manifest',
    '      namespace: default',
    '      manifests:',
    '        - { apiVersion: v1, kind: ConfigMap, metadata: { name: flappy } }',
    '',
  ].join('\n');
  const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i * 1000)).toISOString();

  it('shows the newest 100 transitions, and the older ones on "Older transitions", newest first', async () => {
    // An agent cluster reports them: 112 transitions, 16 more a report (the most one report adds), no control
    // plane. A status carries all of the pack's transitions; the hub stores the ones it has not yet.
    await api('POST', '/profiles', { yaml: AGENT_PROFILE, file: 'paged.yaml' });
    const { token } = (await api('POST', '/agent-clusters', { name: 'edge' })) as { token: string };
    await api('POST', '/clusters/edge/attachments', { profile: 'e2e-paged' }, 'operator');
    for (let report = 0; report < 7; report++) {
      const transitions = Array.from({ length: (report + 1) * 16 }, (_, i) => {
        return {
          time: at(i),
          from: i % 2 === 0 ? 'failed' : 'processing',
          to: i % 2 === 0 ? 'processing' : 'failed',
          condition: i % 2 === 0 ? 'Retrying' : 'Error',
          reason: 'Flap',
          message: `flap ${String(i)}`,
        };
      });
      const res = await fetch(`${url}/api/v1/agent/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          stream: '0b7e8a52-64c1-4d3e-9a8f-2f6c1d9e4b10',
          events: [
            {
              seq: report + 1,
              event: {
                type: 'PackStatusChanged',
                pack: 'flappy',
                profile: 'e2e-paged',
                status: {
                  phase: 'failed',
                  condition: 'Error',
                  reason: 'Flap',
                  message: 'flap',
                  progress: { ready: 0, total: 1 },
                  resources: [],
                  revision: 'r1',
                  operation: 'install',
                  stage: { type: 'Queued' },
                  transitions,
                },
              },
            },
          ],
        }),
      });
      expect(res.status, await res.text()).toBe(200);
    }
    await page.goto(`${url}/#/clusters/edge/packs/flappy`);
    const detail = page.locator('aside.detail');
    await detail.getByRole('heading', { name: 'flappy' }).waitFor();
    const items = detail.locator('ol.transitions li .transition-message');
    await expect.poll(() => items.count()).toBe(100);
    expect(await items.first().innerText()).toMatch(/flap 111$/);
    expect(await items.last().innerText()).toMatch(/flap 12$/);
    const older = detail.getByRole('button', { name: 'Older transitions' });
    await older.click();
    await expect.poll(() => items.count()).toBe(112);
    expect(await items.last().innerText()).toMatch(/flap 0$/);
    // Nothing older: the button goes.
    expect(await older.count()).toBe(0);
    await detail.locator('ol.transitions').scrollIntoViewIfNeeded();
    await shot('07-pack-detail-older-transitions');
  });
});
