// The Cluster Profile page in a terminal: the cluster's rollup, a progress bar over its packs, then each pack
// in install order grouped by layer with its icon AND label (colour is never the only signal,
// pack-status.md "Display"), its own progress bar, how long it took or has been running, and the reason
// whenever it is not green.
import { packPhaseDisplay } from '../../status/pack-phase.js';
import { formatPackReason } from '../../status/pack-reason.js';
import type { ClusterPage, Pack } from '../types.js';
import { padEnd, truncate, visibleWidth, type Painter } from './color.js';
import { terminalSafe } from './terminal-text.js';
import { formatElapsed, RED_AT_ONCE_MS } from '../../shared/duration.js';

export interface StatusRenderOptions {
  readonly paint: Painter;
  readonly now: number;
  readonly barWidth?: number;
  /** Terminal columns: reason lines are cut to fit (values never are); undefined: no limit. */
  readonly width?: number;
  /** The hub stopped answering at this time (ms): everything shown is the last known. */
  readonly hubDownSince?: number;
  /** What `--profile`/`--pack` kept, said under the header so a filtered page is not mistaken for all. */
  readonly filter?: PackFilter;
  /** How many packs the cluster has in all (with a filter). */
  readonly totalPacks?: number;
}

/** `--profile`/`--pack`: a pack is kept when it matches every kind of filter given (any value of each). */
export interface PackFilter {
  readonly profiles: readonly string[];
  readonly packs: readonly string[];
}

export const noFilter: PackFilter = { profiles: [], packs: [] };

export const isFiltered = (filter: PackFilter): boolean =>
  filter.profiles.length > 0 || filter.packs.length > 0;

export function matchesFilter(pack: Pick<Pack, 'name' | 'profile'>, filter: PackFilter): boolean {
  return (
    (filter.profiles.length === 0 || filter.profiles.includes(pack.profile)) &&
    (filter.packs.length === 0 || filter.packs.includes(pack.name))
  );
}

/** The page with only the packs the filter keeps (the cluster's own fields unchanged). */
export function filterPage(page: ClusterPage, filter: PackFilter): ClusterPage {
  if (!isFiltered(filter)) return page;
  return { ...page, packs: page.packs.filter((p) => matchesFilter(p, filter)) };
}

/** `--profile web --pack nginx`, for headers and messages. */
export function describeFilter(filter: PackFilter): string {
  return [...filter.profiles.map((p) => `profile ${p}`), ...filter.packs.map((p) => `pack ${p}`)].join(', ');
}

/** `HH:MM:SS` in UTC, as the progress lines print times. */
export const clockTime = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

/** `[#####-----] 3/5`; an empty total shows an empty bar and `0/0`. */
export function progressBar(ready: number, total: number, width = 10): string {
  // Floor: the bar is full only when everything is ready.
  const filled = total <= 0 ? 0 : Math.min(width, Math.floor((Math.max(0, ready) / total) * width));
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${ready}/${total}`;
}

/** Duration once the pack reached green or red, else time since it left gray; '' while it never started. */
export function packTime(pack: Pack, now: number): string {
  if (pack.startTime === undefined) return '';
  const start = Date.parse(pack.startTime);
  if (Number.isNaN(start)) return '';
  if (pack.endTime !== undefined) {
    const end = Date.parse(pack.endTime);
    // A retry of unchanged objects is red again in milliseconds: "took 0s" would read as a clock never run.
    const redAtOnce =
      pack.phase === 'failed' && pack.lastRun?.outcome === 'failed' && end - start < RED_AT_ONCE_MS;
    if (redAtOnce) return 'red at once';
    if (!Number.isNaN(end)) return `took ${formatElapsed(end - start)}`;
  }
  return `for ${formatElapsed(now - start)}`;
}

/** `○ Onboarding` with the pack's colour (when painting). */
export function phaseBadge(pack: Pick<Pack, 'color' | 'icon' | 'label'>, paint: Painter, width = 0): string {
  return paint.phase(pack.color, padEnd(`${pack.icon} ${pack.label}`, width));
}

/** Why a pack is not green, one line (the shared formatter: condition once, cause once, then the message). */
export const packReason = (pack: Pack): string => formatPackReason(pack);

const REASON_INDENT = '      ';
const BAR_WIDTH = 10;

export function renderStatusPage(page: ClusterPage, options: StatusRenderOptions): string {
  const { paint, now } = options;
  // Names, reasons and messages come from the cluster and its charts: shown, never obeyed, by the terminal.
  const { cluster, attachments, packs } = terminalSafe(page);
  const hubDown = options.hubDownSince !== undefined;
  const lines: string[] = [];
  if (options.hubDownSince !== undefined) {
    lines.push(
      paint.paint('red', `⚠ hub unreachable since ${clockTime(options.hubDownSince)}, showing last known`),
    );
  }
  const rollup = phaseBadge(packPhaseDisplay[cluster.phase], paint);
  const head = `${paint.paint('bold', `Cluster ${cluster.name}`)}  ${rollup}${hubDown ? ' (last known)' : ''}  `;
  const server = `  ${paint.paint('dim', cluster.server)}`;
  // The unreachable cluster's error is a reason: it is what gets cut to fit.
  const error =
    cluster.error === undefined
      ? ''
      : `: ${fit(cluster.error, options.width, visibleWidth(head) + visibleWidth(server) + 'unreachable: '.length)}`;
  const reach = cluster.reachable ? 'reachable' : paint.paint('red', `unreachable${error}`);
  lines.push(`${head}${reach}${server}`);
  if (attachments.length === 0) {
    lines.push('Profiles: none attached');
  } else {
    const names = attachments.map(
      (a) =>
        `${a.profile}@${a.version}${a.updateAvailable === undefined ? '' : ` (update available: ${a.updateAvailable})`}`,
    );
    lines.push(...wrapList('Profiles: ', names, options.width));
  }
  if (options.filter !== undefined && isFiltered(options.filter)) {
    const of = options.totalPacks === undefined ? '' : ` of ${options.totalPacks}`;
    lines.push(`Showing: ${describeFilter(options.filter)} (${packs.length}${of} packs)`);
  }
  const green = packs.filter((p) => p.phase === 'success').length;
  // Counted from the packs shown, so a filtered page counts what it shows.
  const counts = (['success', 'processing', 'onboarding', 'failed'] as const)
    .map((phase) => ({ phase, n: packs.filter((p) => p.phase === phase).length }))
    .filter(({ n }) => n > 0)
    .map(({ phase, n }) => {
      const d = packPhaseDisplay[phase];
      return paint.phase(d.color, `${d.icon} ${n} ${d.label}`);
    });
  const countsText = `packs green${counts.length > 0 ? `   ${counts.join('  ')}` : ''}`;
  // The bar is the one part of this line that can give way to the width.
  const summaryBar =
    options.width === undefined
      ? (options.barWidth ?? BAR_WIDTH)
      : Math.max(
          0,
          Math.min(
            options.barWidth ?? BAR_WIDTH,
            options.width - visibleWidth(`[] ${green}/${packs.length} ${countsText}`),
          ),
        );
  lines.push(`${progressBar(green, packs.length, summaryBar)} ${countsText}`);
  if (packs.length === 0) return `${lines.join('\n')}\n`;

  const nameWidth = Math.max(...packs.map((p) => p.name.length));
  const badgeWidth = Math.max(...packs.map((p) => `${p.icon} ${p.label}`.length));
  const versionWidth = Math.max(...packs.map((p) => p.version.length));
  const profileWidth = Math.max(...packs.map((p) => p.profile.length));
  const mark = hubDown ? ' (last known)' : '';
  const timeWidth = Math.max(...packs.map((p) => packTime(p, now).length + mark.length));
  // Values are never cut: when a row is wider than the terminal, the bar shrinks first (the counts stay).
  const fixed = 2 + badgeWidth + 2 + nameWidth + 2 + versionWidth + 2 + profileWidth + 2 + 2 + timeWidth;
  const countsWidth = Math.max(...packs.map((p) => ` ${p.progress.ready}/${p.progress.total}`.length));
  const room = options.width === undefined ? BAR_WIDTH : options.width - fixed - countsWidth - 2;
  const bar = Math.max(0, Math.min(BAR_WIDTH, room));
  const barCellWidth = Math.max(
    ...packs.map((p) => progressBar(p.progress.ready, p.progress.total, bar).length),
  );
  let layer: string | undefined;
  for (const pack of packs) {
    if (pack.layer !== layer) {
      layer = pack.layer;
      lines.push('', paint.paint('bold', layer));
    }
    const cells = [
      phaseBadge(pack, paint, badgeWidth),
      pack.name.padEnd(nameWidth),
      pack.version.padEnd(versionWidth),
      paint.paint('dim', pack.profile.padEnd(profileWidth)),
      progressBar(pack.progress.ready, pack.progress.total, bar).padEnd(barCellWidth),
      `${packTime(pack, now)}${mark}`.trim(),
    ];
    lines.push(`  ${cells.join('  ').trimEnd()}`);
    const stale = pack.stale ? ' (last known: the cluster is unreachable)' : '';
    if (pack.phase !== 'success' || pack.stale) {
      const [first = '', ...rest] = wrap(
        `${packReason(pack)}${stale}`,
        options.width,
        REASON_INDENT.length + 2,
        REASON_LINES,
      );
      lines.push(`${REASON_INDENT}${paint.phase(pack.color, '↳')} ${first}`);
      for (const more of rest) lines.push(`${REASON_INDENT}  ${more}`);
    }
    if (pack.lastDrift) {
      const { correcting, message, time } = pack.lastDrift;
      const what = fit(
        message.replace(/^drift: /, ''),
        options.width,
        REASON_INDENT.length + time.length + 29,
      );
      const verdict = correcting ? 'drift corrected' : paint.paint('yellow', 'drift (not corrected)');
      lines.push(`${REASON_INDENT}${correcting ? '↺' : '⚠'} ${verdict} at ${time}: ${what}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** `Profiles: a, b, c` over as many lines as the width needs, breaking only between items. */
function wrapList(label: string, items: readonly string[], width: number | undefined): string[] {
  const lines: string[] = [];
  let line = label;
  for (const [i, item] of items.entries()) {
    const piece = `${item}${i < items.length - 1 ? ',' : ''}`;
    const fresh = line.trim() === label.trim();
    if (!fresh && width !== undefined && line.length + 1 + piece.length > width) {
      lines.push(line);
      line = `${' '.repeat(label.length)}${piece}`;
    } else {
      line = fresh ? `${label}${piece}` : `${line} ${piece}`;
    }
  }
  lines.push(line);
  return lines;
}

/**
 * How many lines a pack's reason may take: a red pack's reason is why it is red (an image name, a quota, the
 * field a webhook refused), usually past 80 columns, so it wraps instead of being cut at the first line. Past
 * this many it is cut (the whole text: `strata pack history`, `-o json`, the page).
 */
const REASON_LINES = 4;

/**
 * `text` over at most `maxLines` lines that each fit `width` after `used` columns, broken at spaces where it
 * can be (mid-word only for a word longer than a line), the last line cut with `…` when text remains.
 */
export function wrap(text: string, width: number | undefined, used: number, maxLines: number): string[] {
  if (width === undefined) return [text];
  const room = Math.max(10, width - used);
  const lines: string[] = [];
  let left = text;
  while (visibleWidth(left) > room && lines.length < maxLines - 1) {
    const space = left.lastIndexOf(' ', room);
    const cut = space > room / 3 ? space : room;
    lines.push(left.slice(0, cut).trimEnd());
    left = left.slice(cut).trimStart();
  }
  lines.push(truncate(left, room));
  return lines;
}

/** Cuts `text` so that, after `used` columns, the line fits `width`. */
function fit(text: string, width: number | undefined, used: number): string {
  return width === undefined ? text : truncate(text, Math.max(10, width - used));
}

export type WaitVerdict =
  | { readonly done: true; readonly ok: true }
  | { readonly done: true; readonly ok: false; readonly failed: readonly Pack[] }
  | { readonly done: false; readonly pending: readonly Pack[]; readonly unreachable: boolean };

/**
 * What `status --wait` makes of a page: green when every pack is green on a reachable cluster; red as soon as
 * one pack is red (stale colours of an unreachable cluster decide nothing); otherwise keep waiting.
 */
export function waitVerdict(page: ClusterPage): WaitVerdict {
  const unreachable = !page.cluster.reachable;
  const failed = page.packs.filter((p) => p.phase === 'failed' && !p.stale);
  if (failed.length > 0) return { done: true, ok: false, failed };
  const pending = page.packs.filter((p) => p.phase !== 'success' || p.stale);
  if (pending.length === 0 && !unreachable) return { done: true, ok: true };
  return { done: false, pending, unreachable };
}

/** One line per pack for error messages: `  ✗ broken-web (Failed): ImagePullBackOff: …`. */
export function packLines(packs: readonly Pack[]): string[] {
  return terminalSafe(packs).map((p) => `  ${p.icon} ${p.name} (${p.label}): ${packReason(p)}`);
}
