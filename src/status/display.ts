// The display tables (icon, label, colour per pack phase and resource state), the legend's words and the one
// reason formatter: everything a client shows about a status, declared once for the CLI and the UI
// (docs/adr/0008-shared-display-module.md). Dependency-free on purpose: it imports only the const tables
// beside it, which import nothing, so web/ can bundle it as it bundles the generated client types.
import { conditionPhase, PackConditionType, PackPhase } from './pack-phase.js';

export {
  conditionPhase,
  PackConditionType,
  PackPhase,
  packPhaseDisplay,
  phaseSeverity,
  type PhaseColor,
  type PhaseDisplay,
} from './pack-phase.js';
export { ResourceState } from './resource-state.js';
export { resourceStateDisplay, resourceStateSeverity } from './resource-display.js';
export { formatPackReason, type PackReasonInput } from './pack-reason.js';

/** The phases in the order of pack-status.md's table (and of every legend, count and filter). */
export const phases: readonly PackPhase[] = [
  PackPhase.Onboarding,
  PackPhase.Processing,
  PackPhase.Success,
  PackPhase.Failed,
];

/** What each colour means, as pack-status.md says it: the UI's legend renders this as it stands. */
export const phaseMeaning: Record<PackPhase, string> = {
  onboarding:
    'Accepted, not yet deploying: waiting for earlier layers, a lower install priority or dependsOn packs. The message names what it waits for.',
  processing:
    'Rendering, applying, or applied with resources still converging. The message says how many resources are ready and what it waits for.',
  success: 'Everything the pack owns exists and is ready.',
  failed:
    'The pack cannot get to ready: render error, apply rejected, a resource in a failed state, or its timeout passed. The message names the resource and the cause.',
};

/** The Palette condition types each phase shows (the legend's second column), from {@link conditionPhase}. */
export function phaseConditions(phase: PackPhase): PackConditionType[] {
  return Object.values(PackConditionType).filter((c) => conditionPhase[c] === phase);
}
