import { PackPhase, phaseSeverity } from './pack-phase.js';

/**
 * A cluster's colour is its worst pack's: failed > processing > onboarding > success (pack-status.md,
 * "Aggregation"). The hub counts a cluster's packs per phase with it (src/hub/present.ts, countPhases).
 */
export function worstPhase(phases: Iterable<PackPhase>): PackPhase {
  let worst: PackPhase = PackPhase.Success;
  for (const p of phases) if (phaseSeverity[p] > phaseSeverity[worst]) worst = p;
  return worst;
}
