// End to end, what an open page learns without a reload (issue 18 items 4–6): a dead hub is said at once and
// every badge marked last known, the page is live again when the hub is back; a new profile version, an
// attachment and a cluster added or removed arrive live; a red pack's reason is shown in full.
// Chromium at 1440×900, the size the issue was seen at. Screenshots: STRATA_SHOTS (default test-results/).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/engine/testing/runner.js';
import { CLUSTER, examples, startUiHarness, type UiHarness } from './harness.js';

const CP = 'web-e2e-live';
const shots = process.env.STRATA_SHOTS ?? join(repoRoot, 'test-results', 'screenshots-live');

let h: UiHarness;
let page: Page;

async function shot(name: string) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
}

/** A marker in the document that a reload would wipe: proves the page updated itself. */
const markDocument = () =>
  page.evaluate(() => {
    (window as unknown as { __noReload: boolean }).__noReload = true;
  });
const stillSameDocument = () =>
  page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload === true);

/** How many status badges on the page say "last known", of how many. */
const staleBadges = () =>
  page.evaluate(() => {
    // The cluster's badge and every pack's (the legend's are examples, not statements).
    const badges = [...document.querySelectorAll('#cluster-title .badge, tr[data-pack] .badge')];
    return {
      total: badges.length,
      stale: badges.filter((b) => b.classList.contains('badge-stale')).length,
    };
  });

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  h = await startUiHarness(CP);
  const context = await h.browser.newContext({
    viewport: { width: 1440, height: 900 },
    colorScheme: 'light',
  });
  page = await context.newPage();
  page.on('pageerror', (error) => {
    process.stderr.write(`page error: ${error.message}\n`);
  });
  await page.goto(`${h.url}/#/`);
  await page.getByLabel('API token').fill(h.tokens.operator);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Clusters' }).waitFor();
  await h.api('POST', `/clusters/${CLUSTER}/attachments`, { profile: 'local-infra' }, 'operator');
  await h.api('POST', `/clusters/${CLUSTER}/attachments`, { profile: 'broken-addon' }, 'operator');
}, 600_000);

afterAll(async () => {
  await h.close();
});

describe('the live page', () => {
  it("shows a red pack's whole reason in its row, image name included", async () => {
    await page.goto(`${h.url}/#/clusters/${CLUSTER}`);
    const row = page.locator('tr[data-pack="broken-web"][data-phase="failed"]');
    await row.waitFor({ timeout: 120_000 });
    const reason = row.locator('.reason .message');
    await expect.poll(() => reason.textContent(), { timeout: 30_000 }).toContain('does-not-exist:nope');
    // The condition type once, the cause once (the formatter the CLI uses).
    const text = (await reason.textContent()) ?? '';
    expect(text).toMatch(/^Error: /);
    expect(text.match(/ImagePullBackOff/g)?.length ?? 0).toBeLessThanOrEqual(1);
    // Wrapped, not cut: either it fits in its two lines, or "more" shows the rest in place.
    const more = row.getByRole('button', { name: 'more' });
    if ((await more.count()) > 0) await more.click();
    const clipped = await reason.evaluate(
      (el) => el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1,
    );
    expect(clipped).toBe(false);
    await shot('1-red-reason-in-full');

    // In a narrow window it takes more than two lines: two are shown, then "more" shows the rest in place.
    await page.setViewportSize({ width: 1024, height: 900 });
    const narrowMore = row.getByRole('button', { name: 'more' });
    await narrowMore.waitFor();
    expect(await reason.evaluate((el) => el.scrollHeight > el.clientHeight + 1)).toBe(true);
    await shot('1b-red-reason-narrow-two-lines-and-more');
    await narrowMore.click();
    await row.getByRole('button', { name: 'less' }).waitFor();
    expect(await reason.evaluate((el) => el.scrollHeight > el.clientHeight + 1)).toBe(false);
    expect(await reason.isVisible()).toBe(true);
    await shot('1c-red-reason-narrow-expanded');
    await page.setViewportSize({ width: 1440, height: 900 });

    // The detail says it the same way, once (no condition and cause codes above it saying it again).
    await row.getByRole('link', { name: 'broken-web' }).click();
    const detail = page.locator('aside.detail');
    const said = detail.locator('.detail-message');
    await expect.poll(() => said.textContent(), { timeout: 10_000 }).toMatch(/^Error: .*does-not-exist:nope/);
    expect(await detail.locator('.detail-status').textContent()).toBe('✗Failed');
    await detail.locator('.transitions li').first().waitFor();
    await shot('1d-pack-detail-reason');
    await page.keyboard.press('Escape');
    await page.waitForURL(/#\/clusters\/local$/);
  });

  it('says the hub is unreachable within 5 s and marks every badge last known; live again without a reload', async () => {
    await page.locator('.live-on').waitFor();
    await markDocument();
    expect((await staleBadges()).stale).toBe(0);

    const killed = Date.now();
    await h.stopHub();
    const banner = page.getByRole('alert').filter({ hasText: 'Hub unreachable' });
    await banner.waitFor({ timeout: 5_000 });
    const { total, stale } = await staleBadges();
    expect(total).toBeGreaterThan(1);
    expect(stale).toBe(total);
    expect(Date.now() - killed).toBeLessThan(5_000);
    expect(await banner.textContent()).toMatch(/last known status/);
    // Said to a screen reader too, without claiming the cluster is the one that is down.
    expect(await page.locator('tr[data-pack="broken-web"] .badge').getAttribute('aria-label')).toBe(
      'Failed (last known; may be out of date)',
    );
    await shot('2-hub-down-banner-last-known');

    await h.startHub();
    await banner.waitFor({ state: 'detached', timeout: 20_000 });
    await page.locator('.live-on').waitFor({ timeout: 20_000 });
    await expect.poll(async () => (await staleBadges()).stale, { timeout: 20_000 }).toBe(0);
    expect(await stillSameDocument()).toBe(true);
    await shot('3-hub-back-live');
  });

  // Still the document of the test before: a change after the hub came back reaches it live.
  it('shows a newly published profile version as "Update available" without a reload', async () => {
    const attachment = page.locator('li.attachment', { hasText: 'broken-addon' });
    await attachment.waitFor();
    await markDocument();
    expect(await attachment.getByText(/Update available/).count()).toBe(0);
    const next = readFileSync(join(examples, 'failing', 'broken-addon.yaml'), 'utf8').replace(
      'version: 0.0.1\n  type: add-on',
      'version: 0.0.9\n  type: add-on',
    );
    expect(next).toContain('version: 0.0.9');
    await h.api('POST', '/profiles', { yaml: next, file: 'broken-addon.yaml' });
    await attachment.getByText('Update available: v0.0.9').waitFor({ timeout: 10_000 });
    expect(await stillSameDocument()).toBe(true);
    await shot('4-update-available-live');
  });

  it('lists a cluster registered or removed elsewhere without a reload', async () => {
    await page.goto(`${h.url}/#/`);
    await page.locator(`tr[data-cluster="${CLUSTER}"]`).waitFor();
    await markDocument();
    await h.api('POST', '/clusters', { name: 'second', kubeconfig: readFileSync(h.cp.kubeconfig, 'utf8') });
    const second = page.locator('tr[data-cluster="second"]');
    await second.waitFor({ timeout: 15_000 });
    await shot('5-overview-cluster-added-live');
    await h.api('DELETE', '/clusters/second');
    await second.waitFor({ state: 'detached', timeout: 15_000 });
    expect(await stillSameDocument()).toBe(true);

    // The overview says a dead hub too.
    await h.stopHub();
    await page.getByRole('alert').filter({ hasText: 'Hub unreachable' }).waitFor({ timeout: 5_000 });
    const badge = page.locator(`tr[data-cluster="${CLUSTER}"] .badge`);
    expect(await badge.getAttribute('class')).toContain('badge-stale');
    await shot('6-overview-hub-down');
    await h.startHub();
    await page
      .getByRole('alert')
      .filter({ hasText: 'Hub unreachable' })
      .waitFor({ state: 'detached', timeout: 20_000 });
  });

  it("says the hub refused the live stream, in the hub's words, not that it is unreachable; live once a slot frees", async () => {
    // The token holds every stream the hub allows one token (STRATA_MAX_STREAMS_PER_TOKEN, 32 by default).
    const held = new AbortController();
    const open: Promise<void>[] = [];
    for (let i = 0; i < 32; i++) {
      open.push(
        fetch(`${h.url}/api/v1/events`, {
          headers: { authorization: `Bearer ${h.tokens.viewer}`, accept: 'text/event-stream' },
          signal: held.signal,
        }).then(async (res) => {
          expect(res.status).toBe(200);
          await res.body?.getReader().read(); // The hub's first bytes: the stream holds its slot.
        }),
      );
    }
    await Promise.all(open);
    const viewer = await (await h.browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    try {
      await viewer.goto(`${h.url}/#/`);
      await viewer.getByLabel('API token').fill(h.tokens.viewer);
      await viewer.getByRole('button', { name: 'Sign in' }).click();
      const banner = viewer.getByRole('alert').filter({ hasText: 'Live updates refused by the hub' });
      await banner.waitFor({ timeout: 10_000 });
      const text = (await banner.textContent()) ?? '';
      expect(text).toContain('this token already has 32 event streams open');
      expect(text).toContain('STRATA_MAX_STREAMS_PER_TOKEN');
      expect(text).toMatch(/Retrying after 30 s\./);
      expect(text).not.toContain('Hub unreachable');
      await viewer.screenshot({ path: join(shots, '7-stream-refused-banner.png') });

      held.abort();
      // The page waits the Retry-After the hub asked for (30 s), then connects and says nothing more.
      await banner.waitFor({ state: 'detached', timeout: 60_000 });
      await viewer.locator(`tr[data-cluster="${CLUSTER}"]`).waitFor();
      expect(await viewer.locator('.hub-banner').count()).toBe(0);
    } finally {
      held.abort();
      await viewer.context().close();
    }
  }, 120_000);
});
