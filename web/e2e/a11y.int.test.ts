// Accessibility of the built UI (web/dist, served by the hub itself) in Debian's Chromium: axe-core's WCAG A/AA
// rules on every view in the light and the dark theme, keyboard-only navigation with a visible focus, no
// horizontal scrolling on a laptop screen, and status badges that do not rely on colour alone. The cluster runs
// all three example profiles to the end first, so the pages show green, red and gray states at once.
import { readFileSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit, formatViolations } from './axe.js';
import { CLUSTER, MISSPELLED_PROFILE, startUiHarness, type UiHarness } from './harness.js';

const CP = 'web-a11y';
/** A second cluster (the same control plane) with nothing attached. */
const SPARE = 'spare';
/** The packs of infra.yaml and platform-tools.yaml end green; broken-addon's ends red (an image that does not exist). */
const GREEN = ['node-config', 'cluster-policies', 'sim-cni', 'sim-csi', 'tenant-quotas', 'echo'];
const RED = 'broken-web';

let h: UiHarness | undefined;
let url: string;
let operatorToken = '';

const api = (method: string, path: string, body?: unknown) => {
  if (!h) throw new Error('no harness');
  return h.api(method, path, body, 'operator');
};

interface PageBody {
  packs: { name: string; phase: string; message: string }[];
}

/** Every pack at the end of its install: the green ones green, broken-web red with its pod's reason. */
async function waitForFinalStates(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const { packs } = (await api('GET', `/clusters/${CLUSTER}/page`)) as PageBody;
    last = packs.map((p) => `${p.name}:${p.phase}`).join(' ');
    const phase = (name: string) => packs.find((p) => p.name === name)?.phase;
    const red = packs.find((p) => p.name === RED);
    if (
      GREEN.every((name) => phase(name) === 'success') &&
      red?.phase === 'failed' &&
      /ImagePullBackOff|ErrImagePull/.test(red.message)
    ) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`packs not in their final states after ${timeoutMs} ms: ${last}`);
}

async function newContext(options: {
  theme?: 'light' | 'dark';
  width?: number;
  height?: number;
  signedIn: boolean;
}): Promise<BrowserContext> {
  if (!h) throw new Error('no harness');
  const context = await h.browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    colorScheme: options.theme ?? 'light',
  });
  // The UI keeps its token in sessionStorage (src/api/session.ts): signed in without going through the form.
  if (options.signedIn) {
    await context.addInitScript((token) => {
      // Not on the about:blank a new page starts with: it has no storage of its own.
      if (location.protocol === 'http:') sessionStorage.setItem('strata.token', token);
    }, operatorToken);
  }
  context.on('weberror', (error) => {
    process.stderr.write(`page error: ${error.error().message}\n`);
  });
  return context;
}

async function expectNoViolations(page: Page, where: string): Promise<void> {
  const violations = await audit(page);
  const report = formatViolations(where, violations);
  if (violations.length > 0) process.stdout.write(`${report}\n`);
  expect(
    violations.map((v) => `${v.id} (${v.nodes.length})`),
    report,
  ).toEqual([]);
}

/** What the focused element is, for assertions and for messages when one fails. */
function focused(page: Page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { tag: 'body', id: '', text: '', href: '' };
    return {
      tag: el.tagName.toLowerCase(),
      id: el.id,
      text: el.textContent.trim().slice(0, 60),
      href: el.getAttribute('href') ?? '',
    };
  });
}

/**
 * The focused element shows it is focused: an outline (or, where a design uses one, a box-shadow) that is not
 * none, not zero wide and not transparent, on an element with a size on screen. Returns what was wrong.
 */
function focusIndicatorProblem(page: Page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return 'nothing is focused';
    const style = getComputedStyle(el);
    const transparent = (c: string) => c === 'transparent' || /rgba\(.*,\s*0\)$/.test(c);
    const outline =
      style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0 && !transparent(style.outlineColor);
    const shadow = style.boxShadow !== 'none' && style.boxShadow !== '';
    const box = el.getBoundingClientRect();
    const label = `${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 40)}"`;
    if (!outline && !shadow)
      return `${label} has no visible focus indicator (outline and box-shadow are none)`;
    if (box.width === 0 || box.height === 0) return `${label} is focused but has no size on screen`;
    if (box.right < 0 || box.bottom < 0 || box.left > innerWidth || box.top > innerHeight) {
      return `${label} is focused but off screen (${JSON.stringify(box)})`;
    }
    return undefined;
  });
}

/**
 * Presses Tab until `wanted` says the focused element is the one, checking on the way that every element Tab
 * reaches shows its focus. Fails with the path taken when it is not reached within `max` presses.
 */
async function tabTo(
  page: Page,
  wanted: (f: Awaited<ReturnType<typeof focused>>) => boolean,
  max: number,
): Promise<void> {
  const path: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const now = await focused(page);
    path.push(`${now.tag}${now.id ? `#${now.id}` : ''} "${now.text}"`);
    expect(await focusIndicatorProblem(page), `after Tab #${i + 1}: ${path.join(' → ')}`).toBeUndefined();
    if (wanted(now)) return;
  }
  throw new Error(`not reached with ${max} Tab presses; focus went: ${path.join(' → ')}`);
}

beforeAll(async () => {
  const started = Date.now();
  h = await startUiHarness(CP);
  url = h.url;
  operatorToken = h.tokens.operator;
  for (const profile of ['local-infra', 'platform-tools', 'broken-addon']) {
    await api('POST', `/clusters/${CLUSTER}/attachments`, { profile });
  }
  // A cluster with nothing attached: the profile page's attach form offers it (the local cluster has every
  // profile already, so the form offers no cluster there).
  await h.api(
    'POST',
    '/clusters',
    { name: SPARE, kubeconfig: readFileSync(h.cp.kubeconfig, 'utf8') },
    'admin',
  );
  await waitForFinalStates(120_000);
  process.stdout.write(`a11y setup: ${Date.now() - started} ms\n`);
});

afterAll(async () => {
  await h?.close();
});

describe.each(['light', 'dark'] as const)('axe (WCAG 2.2 A/AA) in the %s theme', (theme) => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    context = await newContext({ theme, signedIn: true });
    page = await context.newPage();
  });
  afterAll(async () => {
    await context.close();
  });

  /** The page is in the theme under test (the system preference, as the UI follows it until toggled). */
  const expectTheme = async () => {
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(theme);
  };

  it('login page, empty and with a refused token', async () => {
    const login = await newContext({ theme, signedIn: false });
    try {
      const p = await login.newPage();
      await p.goto(`${url}/`);
      await p.getByLabel('API token').waitFor();
      expect(await p.evaluate(() => document.documentElement.dataset.theme)).toBe(theme);
      await expectNoViolations(p, `${theme}: login`);
      await p.getByLabel('API token').fill('not-a-token');
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByText('The hub does not accept this token').waitFor();
      await expectNoViolations(p, `${theme}: login with an error`);
    } finally {
      await login.close();
    }
  });

  it('clusters overview', async () => {
    await page.goto(`${url}/#/`);
    await page.locator('tr[data-cluster="local"][data-phase="failed"]').waitFor();
    await expectTheme();
    await expectNoViolations(page, `${theme}: clusters overview`);
  });

  it('cluster page, with the legend open', async () => {
    await page.goto(`${url}/#/clusters/${CLUSTER}`);
    await page.locator(`tr[data-pack="${RED}"][data-phase="failed"]`).waitFor();
    await page.locator('details.legend summary').click();
    await page.locator('.legend-table').waitFor();
    await expectNoViolations(page, `${theme}: cluster page`);
  });

  it('pack detail of the failed pack', async () => {
    await page.goto(`${url}/#/clusters/${CLUSTER}/packs/${RED}`);
    const detail = page.locator('aside.detail');
    await detail.locator('.resources-table tbody.resource[data-state="Failed"]').first().waitFor();
    await detail.locator('.transitions li').first().waitFor();
    await expect.poll(() => detail.getByText('Loading…').count()).toBe(0);
    await expectNoViolations(page, `${theme}: pack detail`);
  });

  it('install timeline', async () => {
    await page.goto(`${url}/#/clusters/${CLUSTER}/timeline`);
    await page.locator('.timeline-svg rect.bar').first().waitFor();
    await expectNoViolations(page, `${theme}: install timeline`);
  });

  it('profiles list and the import panel', async () => {
    await page.goto(`${url}/#/profiles`);
    await page.locator('.profiles-list li a').nth(2).waitFor();
    await expectNoViolations(page, `${theme}: profiles`);
  });

  it('a profile with its YAML and the attach form', async () => {
    await page.goto(`${url}/#/profiles/platform-tools`);
    await page.locator('.yaml-line').first().waitFor();
    await page.getByRole('button', { name: /^Attach v/ }).waitFor();
    await page.locator('.attach-form option', { hasText: SPARE }).waitFor({ state: 'attached' });
    await page.locator('.attach-already a', { hasText: CLUSTER }).waitFor();
    await expectNoViolations(page, `${theme}: profile platform-tools`);
  });

  it('the import panel showing problems at their lines', async () => {
    await page.goto(`${url}/#/profiles`);
    await page.getByLabel('YAML', { exact: true }).fill(MISSPELLED_PROFILE);
    await page.getByRole('button', { name: 'Validate' }).click();
    await page.locator('.yaml-line.has-issue[data-line="11"]').waitFor();
    await expectNoViolations(page, `${theme}: import with problems`);
  });
});

describe('keyboard only', () => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    context = await newContext({ signedIn: true });
    page = await context.newPage();
  });
  afterAll(async () => {
    await context.close();
  });

  it('skips to the content, reaches a cluster, opens a pack detail and closes it back to its row', async () => {
    await page.goto(`${url}/#/`);
    await page.locator('tr[data-cluster="local"]').waitFor();

    // The first Tab shows a skip link; it moves focus to <main>, past the top bar.
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatchObject({ tag: 'a', text: 'Skip to content' });
    expect(await focusIndicatorProblem(page)).toBeUndefined();
    await page.keyboard.press('Enter');
    expect(await focused(page)).toMatchObject({ tag: 'main', id: 'main' });
    expect(page.url()).toMatch(/#\/$/);

    // Into the cluster list, every stop showing its focus.
    await tabTo(page, (f) => f.tag === 'a' && f.href === `#/clusters/${CLUSTER}`, 15);
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`#/clusters/${CLUSTER}$`));
    await page.locator(`tr[data-pack="${RED}"]`).waitFor();
    // The link that was pressed is gone with the old view: focus goes to the new view's <main>, not <body>.
    expect(await focused(page)).toMatchObject({ tag: 'main', id: 'main' });

    // To the failed pack's row link, then its detail: focus moves to the detail's heading.
    await tabTo(page, (f) => f.tag === 'a' && f.href === `#/clusters/${CLUSTER}/packs/${RED}`, 40);
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`#/clusters/${CLUSTER}/packs/${RED}$`));
    await expect.poll(() => focused(page)).toMatchObject({ tag: 'h2', id: 'detail-title', text: RED });
    // The next Tab stays in the detail (its Close link comes first), with a visible focus.
    await page.keyboard.press('Tab');
    expect(
      await page.evaluate(() => document.activeElement?.closest('aside.detail') !== null),
      JSON.stringify(await focused(page)),
    ).toBe(true);
    expect(await focusIndicatorProblem(page)).toBeUndefined();

    // Escape closes it and gives focus back to the row link it was opened from.
    await page.keyboard.press('Escape');
    await page.waitForURL(new RegExp(`#/clusters/${CLUSTER}$`));
    await expect.poll(() => page.locator('aside.detail').count()).toBe(0);
    await expect
      .poll(() => focused(page))
      .toMatchObject({ tag: 'a', href: `#/clusters/${CLUSTER}/packs/${RED}`, text: RED });
    expect(await focusIndicatorProblem(page)).toBeUndefined();
  });

  it('shows the focus on every control of the profile page, the YAML region included', async () => {
    await page.goto(`${url}/#/profiles/platform-tools`);
    await page.getByRole('button', { name: /^Attach v/ }).waitFor();
    // tabTo checks the focus indicator of each stop on the way to the attach button, the last control.
    await tabTo(page, (f) => f.tag === 'button' && f.text.startsWith('Attach v'), 40);
  });
});

describe('on a laptop screen', () => {
  it.each([
    [1280, 800],
    [1366, 768],
  ])('%ix%i: no horizontal scrolling, with the pack detail open and elsewhere', async (width, height) => {
    const context = await newContext({ width, height, signedIn: true });
    try {
      const page = await context.newPage();
      const routes = [
        [`#/clusters/${CLUSTER}/packs/${RED}`, 'aside.detail .resources-table'],
        [`#/clusters/${CLUSTER}`, `tr[data-pack="${RED}"]`],
        [`#/clusters/${CLUSTER}/timeline`, '.timeline-svg rect.bar'],
        ['#/', 'tr[data-cluster]'],
        ['#/profiles/platform-tools', '.yaml-line'],
      ] as const;
      for (const [route, ready] of routes) {
        await page.goto(`${url}/${route}`);
        await page.locator(ready).first().waitFor();
        const size = await page.evaluate(() => ({
          scrollWidth: document.documentElement.scrollWidth,
          clientWidth: document.documentElement.clientWidth,
        }));
        expect(size.scrollWidth, `${route} at ${width}x${height}`).toBeLessThanOrEqual(size.clientWidth);
      }
      // The detail fits beside the list: all of it on screen, and the pack names still readable.
      await page.goto(`${url}/#/clusters/${CLUSTER}/packs/${RED}`);
      const detail = await page.locator('aside.detail').boundingBox();
      expect(detail && detail.x + detail.width).toBeLessThanOrEqual(width);
      expect(await page.locator(`tr[data-pack="${RED}"] .pack-link`).isVisible()).toBe(true);
    } finally {
      await context.close();
    }
  });
});

describe('colour is never the only signal', () => {
  it('every badge on the cluster page has a name and shows an icon and a label', async () => {
    const context = await newContext({ signedIn: true });
    try {
      const page = await context.newPage();
      await page.goto(`${url}/#/clusters/${CLUSTER}`);
      await page.locator(`tr[data-pack="${RED}"][data-phase="failed"]`).waitFor();
      // The legend's badges too.
      await page.locator('details.legend summary').click();
      const badges = await page.locator('.badge').evaluateAll((els) =>
        els.map((el) => {
          const visible = (e: Element | null) => {
            if (!e) return false;
            const box = e.getBoundingClientRect();
            return box.width > 0 && box.height > 0 && getComputedStyle(e).visibility !== 'hidden';
          };
          const icon = el.querySelector('.badge-icon');
          const label = el.querySelector('.badge-label');
          return {
            where:
              el.closest('[data-pack]')?.getAttribute('data-pack') ?? el.closest('h1, .legend')?.className,
            role: el.getAttribute('role'),
            name: el.getAttribute('aria-label') ?? '',
            icon: visible(icon) ? (icon?.textContent ?? '').trim() : '',
            label: visible(label) ? (label?.textContent ?? '').trim() : '',
          };
        }),
      );
      // 7 rows, the cluster's own badge, the legend's 4 in its summary and 4 in its table.
      // …and one rollup per attached profile (3) in the profile headers.
      expect(badges.length).toBe(7 + 1 + 4 + 4 + 3);
      for (const badge of badges) {
        expect(badge.role, JSON.stringify(badge)).toBe('img');
        expect(badge.name, JSON.stringify(badge)).not.toBe('');
        expect(badge.icon, JSON.stringify(badge)).not.toBe('');
        // What is seen is what is heard.
        expect(badge.label, JSON.stringify(badge)).toBe(badge.name);
      }
      // The accessible name as the browser computes it, not only the attribute.
      const red = page.locator(`tr[data-pack="${RED}"]`);
      expect(await red.getByRole('img', { name: 'Failed', exact: true }).count()).toBe(1);
      expect(
        await page.locator('tr[data-pack="echo"]').getByRole('img', { name: 'Success', exact: true }).count(),
      ).toBe(1);
    } finally {
      await context.close();
    }
  });
});
