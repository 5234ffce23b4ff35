import type { PackView } from '../api/types';
import { phaseDisplay } from '../status/phase';
import { formatDuration, formatTime, useNow } from '../time';
import { timelineModel } from './timeline-scale';
import { href } from '../router';

const ROW = 28;
const LABEL = 190;
const WIDTH = 1100;
const CHART = WIDTH - LABEL - 150;
const TOP = 28;

/**
 * Where the time went: one bar per pack, from when it left onboarding to when it reached green or red (or
 * now), coloured by phase, with icon and duration as text so colour is not the only signal. Bars that overlap
 * in time ran in parallel. Plain SVG.
 */
export function InstallTimeline({ cluster, packs }: { cluster: string; packs: readonly PackView[] }) {
  const running = packs.some((p) => p.phase === 'processing' && p.startTime !== undefined);
  const now = useNow(running);
  if (packs.length === 0) return <p className="empty">No packs yet.</p>;
  const model = timelineModel(packs, now);
  const x = (ms: number) => LABEL + (ms / model.span) * CHART;
  const height = TOP + packs.length * ROW + 8;
  return (
    <figure className="timeline">
      <figcaption>
        Install timeline
        {model.bars.some((b) => b.start !== undefined)
          ? ` from ${formatTime(new Date(model.origin).toISOString())}`
          : ''}
        : one bar per pack, left to right in time; overlapping bars ran in parallel.
      </figcaption>
      {/* A group, not an image: an image's content is presentational, and the pack names in it are links
          (axe's nested-interactive). Read in order: pack link, then its icon and duration. */}
      <svg
        viewBox={`0 0 ${WIDTH} ${height}`}
        width="100%"
        role="group"
        aria-label={`Install timeline of ${packs.length} packs`}
        className="timeline-svg"
      >
        {model.ticks.map((t) => (
          <g key={t} className="tick" aria-hidden="true">
            <line x1={x(t)} x2={x(t)} y1={TOP - 6} y2={height - 4} />
            <text x={x(t)} y={TOP - 10} textAnchor="middle">
              {t === 0 ? '0s' : `+${formatDuration(t)}`}
            </text>
          </g>
        ))}
        {model.bars.map((b, i) => {
          const y = TOP + i * ROW;
          const d = phaseDisplay[b.pack.phase];
          const text =
            b.start === undefined
              ? `${d.icon} ${d.label.toLowerCase()}, not started`
              : `${d.icon} ${formatDuration((b.end ?? 0) - b.start)}${b.running ? ' …' : ''}`;
          return (
            <g key={b.pack.name} className="timeline-row" data-phase={b.pack.phase}>
              {i % 2 === 0 ? <rect className="row-band" x={0} y={y} width={WIDTH} height={ROW} /> : null}
              <a href={href.pack(cluster, b.pack.name)}>
                <text x={LABEL - 10} y={y + ROW / 2 + 4} textAnchor="end" className="timeline-label">
                  {b.pack.name}
                </text>
              </a>
              {b.start !== undefined ? (
                <rect
                  className={`bar bar-${d.color}${b.running ? ' bar-running' : ''}`}
                  x={x(b.start)}
                  y={y + 6}
                  width={Math.max(3, x(b.end ?? b.start) - x(b.start))}
                  height={ROW - 12}
                  rx={3}
                >
                  <title>{`${b.pack.name}: ${d.label}, ${text}`}</title>
                </rect>
              ) : null}
              <text
                x={b.start === undefined ? LABEL + 4 : x(b.end ?? b.start) + 6}
                y={y + ROW / 2 + 4}
                className={`timeline-value value-${d.color}`}
              >
                {text}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
