/**
 * The four colours of a pack (pack-status.md, "Pack phases").
 */
export const PackPhase = {
  Onboarding: 'onboarding',
  Processing: 'processing',
  Success: 'success',
  Failed: 'failed',
} as const;
export type PackPhase = (typeof PackPhase)[keyof typeof PackPhase];

/**
 * Condition types as Palette reports them for a pack, so people and scripts coming from Palette read the
 * same words. Each belongs to exactly one phase ({@link conditionPhase}).
 */
export const PackConditionType = {
  WaitingForOtherLayers: 'WaitingForOtherLayers',
  ReadyForInstall: 'ReadyForInstall',
  Installing: 'Installing',
  Installed: 'Installed',
  Upgrading: 'Upgrading',
  Uninstalling: 'Uninstalling',
  Retrying: 'Retrying',
  Ready: 'Ready',
  Error: 'Error',
} as const;
export type PackConditionType = (typeof PackConditionType)[keyof typeof PackConditionType];

/** The table of pack-status.md: which phase (colour) each condition type shows as. */
export const conditionPhase: Record<PackConditionType, PackPhase> = {
  WaitingForOtherLayers: PackPhase.Onboarding,
  ReadyForInstall: PackPhase.Onboarding,
  Installing: PackPhase.Processing,
  Installed: PackPhase.Processing,
  Upgrading: PackPhase.Processing,
  Uninstalling: PackPhase.Processing,
  Retrying: PackPhase.Processing,
  Ready: PackPhase.Success,
  Error: PackPhase.Failed,
};

/**
 * Worst first, for the cluster's colour: failed > processing > onboarding > success (pack-status.md,
 * "Aggregation"). A Record so that a new phase does not compile until it is ranked.
 */
export const phaseSeverity: Record<PackPhase, number> = {
  failed: 3,
  processing: 2,
  onboarding: 1,
  success: 0,
};

export type PhaseColor = 'gray' | 'blue' | 'green' | 'red';

export interface PhaseDisplay {
  readonly color: PhaseColor;
  /** One character, so a terminal or a colour-blind user can tell the phases apart without colour. */
  readonly icon: string;
  readonly label: string;
}

/** Colour is never the only signal (pack-status.md, "Display"): each phase also has an icon and a label. */
export const packPhaseDisplay: Record<PackPhase, PhaseDisplay> = {
  onboarding: { color: 'gray', icon: '○', label: 'Onboarding' },
  processing: { color: 'blue', icon: '◐', label: 'Processing' },
  success: { color: 'green', icon: '✓', label: 'Success' },
  failed: { color: 'red', icon: '✗', label: 'Failed' },
};
