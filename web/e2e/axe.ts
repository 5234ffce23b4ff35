// axe-core (https://github.com/dequelabs/axe-core) run inside a Playwright page, and its violations written so a
// developer can act on them without opening a browser: rule, impact, what to do, the elements, why they fail.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AxeResults, Result, RunOptions } from 'axe-core';
import type { Page } from 'playwright-core';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** WCAG 2.0, 2.1 and 2.2 at levels A and AA: the "WCAG AA". axe has no 2.2 A rules yet. */
export const WCAG_AA_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] as const;

/** Runs axe on the whole document as it is now (hidden content, such as a closed <details>, is not checked). */
export async function audit(page: Page): Promise<Result[]> {
  const loaded = await page.evaluate(() => 'axe' in window);
  // A hash navigation keeps the document, and axe with it; a new document needs it again.
  // Evaluated through the DevTools protocol, not added as a <script>: the hub's Content-Security-Policy
  // (script-src 'self') blocks inline scripts, and the audit must run on the page as users get it.
  if (!loaded) await page.evaluate(axeSource);
  const options: RunOptions = {
    runOnly: { type: 'tag', values: [...WCAG_AA_TAGS] },
    resultTypes: ['violations'],
  };
  const results = await page.evaluate(
    (opts) => (window as unknown as { axe: { run: (o: RunOptions) => Promise<AxeResults> } }).axe.run(opts),
    options,
  );
  return results.violations;
}

/** One block per violated rule, one line per element, with axe's own advice ("Fix any of the following"). */
export function formatViolations(where: string, violations: readonly Result[]): string {
  if (violations.length === 0) return `${where}: no accessibility violations`;
  const blocks = violations.map((v) => {
    const nodes = v.nodes.map((n) => {
      const target = n.target.map((t) => (typeof t === 'string' ? t : JSON.stringify(t))).join(' >>> ');
      const why = (n.failureSummary ?? '').replace(/\n\s*/g, ' ');
      return `    - ${target}\n      ${n.html.slice(0, 160)}\n      ${why}`;
    });
    return `  [${v.impact ?? 'unknown'}] ${v.id}: ${v.help} (${v.helpUrl})\n${nodes.join('\n')}`;
  });
  return `${where}: ${violations.length} accessibility violation(s)\n${blocks.join('\n')}`;
}
