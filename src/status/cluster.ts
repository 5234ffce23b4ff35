import { PackPhase, packPhaseDisplay, phaseSeverity } from './pack-phase.js';

export interface ClusterPack {
  readonly name: string;
  readonly phase: PackPhase;
}

export interface ClusterSummary {
  readonly phase: PackPhase;
  readonly counts: Record<PackPhase, number>;
  /** The packs in the cluster's phase, in the order given (install order), e.g. which packs are red. */
  readonly packs: readonly string[];
  readonly message: string;
}

/** Worst first: failed > processing > onboarding > success (pack-status.md, "Aggregation"). */
export function worstPhase(phases: Iterable<PackPhase>): PackPhase {
  let worst: PackPhase = PackPhase.Success;
  for (const p of phases) if (phaseSeverity[p] > phaseSeverity[worst]) worst = p;
  return worst;
}

/**
 * A cluster's colour: its worst pack's. A cluster without packs is green: nothing it was asked to run is
 * missing. The message counts packs per phase, e.g. "1 failed (cni-calico), 3 processing, 8 success".
 */
export function aggregateCluster(packs: readonly ClusterPack[]): ClusterSummary {
  const phase = worstPhase(packs.map((p) => p.phase));
  const counts: Record<PackPhase, number> = { failed: 0, processing: 0, onboarding: 0, success: 0 };
  for (const p of packs) counts[p.phase]++;
  const inPhase = packs.filter((p) => p.phase === phase).map((p) => p.name);
  const order: readonly PackPhase[] = [
    PackPhase.Failed,
    PackPhase.Processing,
    PackPhase.Onboarding,
    PackPhase.Success,
  ];
  const parts = order
    .filter((p) => counts[p] > 0)
    .map((p) => {
      const label = packPhaseDisplay[p].label.toLowerCase();
      return p === PackPhase.Failed
        ? `${counts[p]} ${label} (${inPhase.join(', ')})`
        : `${counts[p]} ${label}`;
    });
  return { phase, counts, packs: inPhase, message: parts.length > 0 ? parts.join(', ') : 'no packs' };
}
