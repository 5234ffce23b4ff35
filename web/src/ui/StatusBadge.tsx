import type { PackPhase } from '../api/display';
import { packPhaseDisplay as phaseDisplay } from '../api/display';

export interface StatusBadgeProps {
  readonly phase: PackPhase;
  /** The colour is the last one known (the cluster or the hub cannot be reached): it says so, not why. */
  readonly stale?: boolean;
  readonly size?: 'small' | 'normal';
}

/**
 * A phase as colour, icon AND label (pack-status.md, "Display"): readable without colour, by a screen reader
 * (its accessible name is the label) and in grayscale. Processing spins, unless the user asked for less motion.
 */
export function StatusBadge({ phase, stale = false, size = 'normal' }: StatusBadgeProps) {
  const display = phaseDisplay[phase];
  const name = stale ? `${display.label} (last known; may be out of date)` : display.label;
  return (
    <span
      className={`badge badge-${display.color} badge-${size}${stale ? ' badge-stale' : ''}`}
      data-phase={phase}
      role="img"
      aria-label={name}
      title={name}
    >
      <span className={phase === 'processing' ? 'badge-icon spinner' : 'badge-icon'} aria-hidden="true">
        {display.icon}
      </span>
      <span className="badge-label" aria-hidden="true">
        {display.label}
        {stale ? ' ?' : ''}
      </span>
    </span>
  );
}
