import type { PackPhase } from '../api/display';
import { packPhaseDisplay as phaseDisplay } from '../api/display';

/** ready/total resources, as a bar and as text (the text carries it; the bar is the glance). */
export function ProgressBar({ ready, total, phase }: { ready: number; total: number; phase: PackPhase }) {
  const pct = total === 0 ? (phase === 'success' ? 100 : 0) : Math.round((ready / total) * 100);
  const text = total === 0 ? 'none yet' : `${ready}/${total} ready`;
  return (
    <div className="progress">
      <div
        className="progress-track"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={ready}
        aria-valuetext={total === 0 ? 'no resources yet' : text}
        aria-label="resources ready"
      >
        <div className={`progress-fill fill-${phaseDisplay[phase].color}`} style={{ width: `${pct}%` }} />
      </div>
      <span className="progress-text">{text}</span>
    </div>
  );
}
