// The Cluster Profile page in a terminal: the cluster's rollup, a progress bar over its packs, then each pack
// in install order grouped by layer with its icon AND label (colour is never the only signal,
// pack-status.md "Display"), its own progress bar, how long it took or has been running, and the reason
// whenever it is not green.
import { packPhaseDisplay } from '../../status/pack-phase.js';
import type { ClusterPage, Pack } from '../types.js';
import { padEnd, type Painter } from './color.js';
import { formatElapsed } from './time.js';

export interface StatusRenderOptions {
  readonly paint: Painter;
  readonly now: number;
  readonly barWidth?: number;
}

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
    if (!Number.isNaN(end)) return `took ${formatElapsed(end - start)}`;
  }
  return `for ${formatElapsed(now - start)}`;
}

/** `○ Onboarding` with the pack's colour (when painting). */
export function phaseBadge(pack: Pick<Pack, 'color' | 'icon' | 'label'>, paint: Painter, width = 0): string {
  return paint.phase(pack.color, padEnd(`${pack.icon} ${pack.label}`, width));
}

/** Why a pack is not green, one line: condition, reason, message. */
export function packReason(pack: Pack): string {
  const parts = [pack.reason === pack.condition ? '' : pack.reason, pack.message].filter((p) => p !== '');
  const text = parts.join(': ');
  return text === '' ? pack.condition : text;
}

export function renderStatusPage(page: ClusterPage, options: StatusRenderOptions): string {
  const { paint, now } = options;
  const { cluster, attachments, packs } = page;
  const lines: string[] = [];
  const rollup = phaseBadge(packPhaseDisplay[cluster.phase], paint);
  const reach = cluster.reachable
    ? 'reachable'
    : paint.paint('red', `unreachable${cluster.error === undefined ? '' : `: ${cluster.error}`}`);
  lines.push(
    `${paint.paint('bold', `Cluster ${cluster.name}`)}  ${rollup}  ${reach}  ${paint.paint('dim', cluster.server)}`,
  );
  if (attachments.length === 0) {
    lines.push('Profiles: none attached');
  } else {
    const names = attachments.map(
      (a) =>
        `${a.profile}@${a.version}${a.updateAvailable === undefined ? '' : ` (update available: ${a.updateAvailable})`}`,
    );
    lines.push(`Profiles: ${names.join(', ')}`);
  }
  const green = packs.filter((p) => p.phase === 'success').length;
  const counts = (['success', 'processing', 'onboarding', 'failed'] as const)
    .filter((phase) => cluster.counts[phase] > 0)
    .map((phase) => {
      const d = packPhaseDisplay[phase];
      return paint.phase(d.color, `${d.icon} ${cluster.counts[phase]} ${d.label}`);
    });
  lines.push(
    `${progressBar(green, packs.length, options.barWidth)} packs green${counts.length > 0 ? `   ${counts.join('  ')}` : ''}`,
  );
  if (packs.length === 0) return `${lines.join('\n')}\n`;

  const nameWidth = Math.max(...packs.map((p) => p.name.length));
  const badgeWidth = Math.max(...packs.map((p) => `${p.icon} ${p.label}`.length));
  const versionWidth = Math.max(...packs.map((p) => p.version.length));
  const profileWidth = Math.max(...packs.map((p) => p.profile.length));
  const barWidth = Math.max(...packs.map((p) => progressBar(p.progress.ready, p.progress.total).length));
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
      progressBar(pack.progress.ready, pack.progress.total).padEnd(barWidth),
      packTime(pack, now),
    ];
    lines.push(`  ${cells.join('  ').trimEnd()}`);
    const stale = pack.stale ? ' (last known: the cluster is unreachable)' : '';
    if (pack.phase !== 'success' || pack.stale) {
      lines.push(`      ${paint.phase(pack.color, '↳')} ${pack.condition}: ${packReason(pack)}${stale}`);
    }
    if (pack.lastDrift) {
      const { correcting, message, time } = pack.lastDrift;
      const what = message.replace(/^drift: /, '');
      const verdict = correcting ? 'drift corrected' : paint.paint('yellow', 'drift (not corrected)');
      lines.push(`      ${correcting ? '↺' : '⚠'} ${verdict} at ${time}: ${what}`);
    }
  }
  return `${lines.join('\n')}\n`;
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
  return packs.map((p) => `  ${p.icon} ${p.name} (${p.label}): ${packReason(p)}`);
}
