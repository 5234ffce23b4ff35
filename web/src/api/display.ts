// How a status shows (icon, label, colour, the legend's words) and why a pack is not green: imported from the
// one module the CLI uses too (src/status/display.ts, dependency-free), never restated here, so the page and
// the terminal cannot drift (docs/adr/0008-shared-display-module.md).
export {
  formatPackReason,
  PackPhase,
  packPhaseDisplay,
  phaseConditions,
  phaseMeaning,
  phases,
  phaseSeverity,
  resourceStateDisplay,
  resourceStateSeverity,
  type PhaseColor,
  type PhaseDisplay,
} from '../../../src/status/display';
