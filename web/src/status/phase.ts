// The four colours of a pack (shared/design/pack-status.md, "Pack phases"). This table IS the legend: the
// page renders it as it stands, so the UI and the design cannot say different things.
export const PackPhase = {
  Onboarding: 'onboarding',
  Processing: 'processing',
  Success: 'success',
  Failed: 'failed',
} as const;
export type PackPhase = (typeof PackPhase)[keyof typeof PackPhase];

export const phases: readonly PackPhase[] = [
  PackPhase.Onboarding,
  PackPhase.Processing,
  PackPhase.Success,
  PackPhase.Failed,
];

export interface PhaseDisplay {
  readonly color: 'gray' | 'blue' | 'green' | 'red';
  /** The icons the hub sends (src/status/pack-phase.ts): colour is never the only signal. */
  readonly icon: string;
  readonly label: string;
  readonly conditions: readonly string[];
  readonly meaning: string;
}

export const phaseDisplay: Record<PackPhase, PhaseDisplay> = {
  onboarding: {
    color: 'gray',
    icon: '○',
    label: 'Onboarding',
    conditions: ['WaitingForOtherLayers', 'ReadyForInstall'],
    meaning:
      'Accepted, not yet deploying: waiting for earlier layers, a lower install priority or dependsOn packs. The message names what it waits for.',
  },
  processing: {
    color: 'blue',
    icon: '◐',
    label: 'Processing',
    conditions: ['Installing', 'Installed', 'Upgrading', 'Uninstalling', 'Retrying'],
    meaning:
      'Rendering, applying, or applied with resources still converging. The message says how many resources are ready and what it waits for.',
  },
  success: {
    color: 'green',
    icon: '✓',
    label: 'Success',
    conditions: ['Ready'],
    meaning: 'Everything the pack owns exists and is ready.',
  },
  failed: {
    color: 'red',
    icon: '✗',
    label: 'Failed',
    conditions: ['Error'],
    meaning:
      'The pack cannot get to ready: render error, apply rejected, a resource in a failed state, or its timeout passed. The message names the resource and the cause.',
  },
};

/** Worst first (pack-status.md, "Aggregation"): failed > processing > onboarding > success. */
export const phaseSeverity: Record<PackPhase, number> = {
  failed: 3,
  processing: 2,
  onboarding: 1,
  success: 0,
};

export function worstPhase(list: Iterable<PackPhase>): PackPhase {
  let worst: PackPhase = PackPhase.Success;
  for (const p of list) if (phaseSeverity[p] > phaseSeverity[worst]) worst = p;
  return worst;
}

export function isPackPhase(value: unknown): value is PackPhase {
  return typeof value === 'string' && value in phaseDisplay;
}

/** Resource states, most severe first (the order "failed first" sorts by). */
export const resourceStateSeverity: Record<string, number> = {
  Failed: 4,
  Missing: 3,
  Terminating: 2,
  Progressing: 1,
  Ready: 0,
};
