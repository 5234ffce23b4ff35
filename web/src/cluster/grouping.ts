import type { AttachmentView, PackView, PhaseCounts } from '../api/types';
import { phaseSeverity, type PackPhase } from '../api/display';

/** Install order of layers (pack-status.md, "Waves"). Layers the UI does not know go last, by name. */
export const LAYERS = ['os', 'k8s', 'cni', 'csi', 'addon'] as const;

export interface LayerGroup {
  readonly layer: string;
  readonly packs: readonly PackView[];
}

/** Packs grouped by layer, layers in install order, packs in the order given (the page's install order). */
export function groupByLayer(packs: readonly PackView[]): LayerGroup[] {
  const byLayer = new Map<string, PackView[]>();
  for (const pack of packs) {
    const list = byLayer.get(pack.layer);
    if (list) list.push(pack);
    else byLayer.set(pack.layer, [pack]);
  }
  const rank = (layer: string) => {
    const i = (LAYERS as readonly string[]).indexOf(layer);
    return i === -1 ? LAYERS.length : i;
  };
  return [...byLayer.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([layer, list]) => ({ layer, packs: list }));
}

/** One attached profile on the cluster page: its version, the rollup of its packs, and its layers inside. */
export interface ProfileGroup {
  readonly profile: string;
  /** The attached version; undefined for packs of a profile no longer attached (being removed). */
  readonly version: string | undefined;
  readonly phase: PackPhase;
  readonly counts: PhaseCounts;
  readonly layers: readonly LayerGroup[];
}

/**
 * Packs grouped by the profile they come from, as Palette's Cluster Profile page shows them: profiles in the
 * order their first pack installs, each with its worst colour and counts, its packs by layer in install order.
 */
export function groupByProfile(
  packs: readonly PackView[],
  attachments: readonly AttachmentView[],
): ProfileGroup[] {
  const byProfile = new Map<string, PackView[]>();
  for (const pack of packs) {
    const list = byProfile.get(pack.profile);
    if (list) list.push(pack);
    else byProfile.set(pack.profile, [pack]);
  }
  return [...byProfile.entries()].map(([profile, list]) => {
    const counts: Record<PackPhase, number> = { onboarding: 0, processing: 0, success: 0, failed: 0 };
    for (const p of list) counts[p.phase]++;
    return {
      profile,
      version: attachments.find((a) => a.profile === profile)?.version,
      // Worst first (pack-status.md, "Aggregation"): failed > processing > onboarding > success.
      phase: list.reduce<PackPhase>(
        (worst, p) => (phaseSeverity[p.phase] > phaseSeverity[worst] ? p.phase : worst),
        'success',
      ),
      counts,
      layers: groupByLayer(list),
    };
  });
}

export interface PackElapsed {
  /** The current run's duration: to its end once it reached green or red, else to now. */
  readonly ms: number;
  readonly running: boolean;
  /**
   * While the pack is red and its current run ended red: how long it has been red. A retry of a pack whose
   * objects are unchanged turns red again within milliseconds (nothing it waits for changed), so its duration
   * alone ("3ms") says nothing useful; how long it has been red does.
   */
  readonly redFor?: number;
}

/**
 * Elapsed time of a pack's current run (install, upgrade or retry: each has its own clock): running clock while
 * it works, its duration once done (and how long it has been red, when it ended red), nothing while waiting.
 */
export function packElapsed(pack: PackView, now: number): PackElapsed | undefined {
  if (pack.startTime === undefined) return undefined;
  const start = Date.parse(pack.startTime);
  if (pack.endTime !== undefined && pack.phase !== 'processing') {
    const end = Date.parse(pack.endTime);
    const endedRed = pack.phase === 'failed' && pack.lastRun?.outcome === 'failed';
    return {
      ms: end - start,
      running: false,
      ...(endedRed ? { redFor: Math.max(0, now - end) } : {}),
    };
  }
  return { ms: Math.max(0, now - start), running: pack.phase === 'processing' };
}
