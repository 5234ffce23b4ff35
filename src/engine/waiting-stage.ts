import { PackPhase, WAITING_LIST_LIMIT, type PackStage } from '../status/index.js';

/** What a gray pack's stage says of one pack it waits for. */
export interface WaitedPack {
  /** `monitoring/metrics-store`: the profile and the pack. */
  readonly label: string;
  readonly phase: PackPhase;
  readonly wave: number;
}

/**
 * The stage of a pack that waits for `packs` (the scheduler's `wait` step). A few packs waited for are named
 * each with its phase; more are summed up as their wave and the phases among them, so the gray packs behind a
 * large wave change when its phases do, not each time one of its packs does (issue 15: that made the events of
 * an install grow with the square of a wave's size).
 */
export function waitingStage(
  packs: readonly string[],
  lookup: (name: string) => WaitedPack | undefined,
): PackStage {
  const phaseOf = (name: string) => lookup(name)?.phase ?? PackPhase.Onboarding;
  const wave = packs.length > 0 ? lookup(packs[0] ?? '')?.wave : undefined;
  if (packs.length <= WAITING_LIST_LIMIT || wave === undefined) {
    return {
      type: 'Waiting',
      waitingFor: packs.map((name) => ({ pack: lookup(name)?.label ?? name, phase: phaseOf(name) })),
    };
  }
  const present = new Set(packs.map(phaseOf));
  const phases = Object.values(PackPhase).filter((phase) => present.has(phase));
  return { type: 'Waiting', waitingFor: [], wave: { wave, phases } };
}
