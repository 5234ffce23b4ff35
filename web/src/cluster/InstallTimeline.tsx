import { useEffect, useMemo, useState } from 'react';
import { enc } from '../api/client';
import type { AttachmentView, ClusterTransitions, PackRun, PackTransition, PackView } from '../api/types';
import { useSession } from '../session-context';
import { packPhaseDisplay as phaseDisplay } from '../api/display';
import { formatElapsed } from '../../../src/shared/duration';
import { formatRedFor, formatTime, useNow } from '../time';
import { timelineModel } from './timeline-scale';
import { href } from '../router';

const ROW = 28;
const LABEL = 190;
const WIDTH = 1100;
const CHART = WIDTH - LABEL - 150;
const TOP = 28;

interface History {
  /** Transitions by pack name, oldest first. */
  readonly transitions: ReadonlyMap<string, readonly PackTransition[]>;
  /** Runs by pack name, oldest first: the page carries only each pack's current run. */
  readonly runs: ReadonlyMap<string, readonly PackRun[]>;
}

/**
 * The cluster's transitions and runs by pack, fetched again whenever a pack changes phase (the live page says
 * when): the timeline's segments follow the page without polling.
 */
function useTransitions(cluster: string, packs: readonly PackView[]): History {
  const { api } = useSession();
  const [history, setHistory] = useState<History>({ transitions: new Map(), runs: new Map() });
  const phases = packs.map((p) => `${p.name}:${p.phase}`).join(',');
  useEffect(() => {
    const controller = new AbortController();
    api
      // The newest page (1,000 transitions across the cluster): enough for every bar's recent segments.
      .get<ClusterTransitions>(`/clusters/${enc(cluster)}/transitions`, controller.signal)
      .then(({ packs: list }) => {
        setHistory({
          transitions: new Map(list.map((p) => [p.pack, p.transitions])),
          runs: new Map(list.map((p) => [p.pack, p.runs ?? []])),
        });
      })
      // Without the history the bars fall back to start → end in the current colour.
      .catch(() => undefined);
    return () => {
      controller.abort();
    };
  }, [api, cluster, phases]);
  return history;
}

/**
 * Where the time went: one bar per pack over time, coloured by phase (gray waiting, blue processing, red
 * failed, a green mark each time it became green), with icon and install duration as text so colour is not the
 * only signal. Bars that overlap in time ran in parallel. Plain SVG.
 */
export function InstallTimeline({
  cluster,
  packs,
  attachments,
}: {
  cluster: string;
  packs: readonly PackView[];
  attachments: readonly AttachmentView[];
}) {
  const history = useTransitions(cluster, packs);
  const running = packs.some((p) => p.phase !== 'success' && p.startTime !== undefined);
  const now = useNow(running);
  // A profile's packs wait (gray) from its attachment until each one's turn.
  const waitingSince = useMemo(
    () =>
      new Map(
        attachments.flatMap((a) =>
          a.createdAt === undefined ? [] : [[a.profile, Date.parse(a.createdAt)] as const],
        ),
      ),
    [attachments],
  );
  const model = useMemo(
    () => timelineModel(packs, now, history.transitions, waitingSince, history.runs),
    [packs, now, history, waitingSince],
  );
  if (packs.length === 0) return <p className="empty">No packs yet.</p>;
  const x = (ms: number) => LABEL + (ms / model.span) * CHART;
  const height = TOP + packs.length * ROW + 8;
  return (
    <figure className="timeline">
      <figcaption>
        Install timeline
        {model.bars.some((b) => b.start !== undefined)
          ? ` from ${formatTime(new Date(model.origin).toISOString())}`
          : ''}
        : one bar per pack, left to right in time, coloured by phase; overlapping bars ran in parallel.
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
              {t === 0 ? '0s' : `+${formatElapsed(t)}`}
            </text>
          </g>
        ))}
        {model.bars.map((b, i) => {
          const y = TOP + i * ROW;
          const d = phaseDisplay[b.pack.phase];
          // The current run's duration (an upgrade or a retry has its own clock); a red pack says how long it
          // has been red, which its clipped bar cannot show.
          const runStart = b.pack.startTime === undefined ? undefined : Date.parse(b.pack.startTime);
          const runEnd = b.pack.endTime === undefined || b.running ? now : Date.parse(b.pack.endTime);
          const text =
            b.start === undefined
              ? `${d.icon} ${d.label.toLowerCase()}, not started`
              : b.redFor !== undefined
                ? `${d.icon} ${formatRedFor(b.redFor)}`
                : `${d.icon} ${formatElapsed(runStart === undefined ? 0 : runEnd - runStart)}${b.running ? ' …' : ''}`;
          return (
            <g key={b.pack.name} className="timeline-row" data-phase={b.pack.phase}>
              {i % 2 === 0 ? <rect className="row-band" x={0} y={y} width={WIDTH} height={ROW} /> : null}
              <a href={href.pack(cluster, b.pack.name)}>
                <text x={LABEL - 10} y={y + ROW / 2 + 4} textAnchor="end" className="timeline-label">
                  {b.pack.name}
                </text>
              </a>
              {b.segments.map((segment) => {
                const sd = phaseDisplay[segment.phase];
                const mark = segment.end === segment.start;
                const lasted = mark ? '' : ` for ${formatElapsed(segment.end - segment.start)}`;
                return (
                  <rect
                    key={`${segment.phase}-${String(segment.start)}`}
                    className={`bar bar-${sd.color}${mark ? ' bar-mark' : ''}${segment.open ? ' bar-running' : ''}`}
                    data-phase={segment.phase}
                    x={x(segment.start)}
                    y={y + 6}
                    width={Math.max(3, x(segment.end) - x(segment.start))}
                    height={ROW - 12}
                    rx={mark ? 1 : 3}
                  >
                    <title>{`${b.pack.name}: ${sd.label}${segment.clipped ? ' (continues beyond the axis)' : lasted}${segment.open ? ' (now)' : ''}`}</title>
                  </rect>
                );
              })}
              {b.segments.some((g) => g.clipped) ? (
                <text
                  x={x(model.span) - 2}
                  y={y + ROW / 2 + 4}
                  textAnchor="end"
                  className="bar-clip"
                  aria-hidden="true"
                >
                  ⟩⟩
                </text>
              ) : null}
              {b.runs.map((r) => (
                <g key={`${r.kind}-${String(r.at)}`} className="run-mark" data-run={r.kind}>
                  <line x1={x(r.at)} x2={x(r.at)} y1={y + 2} y2={y + ROW - 2} />
                  <title>{`${b.pack.name}: ${r.kind} started at +${formatElapsed(r.at)}`}</title>
                </g>
              ))}
              <text
                x={
                  b.start === undefined
                    ? LABEL + 4
                    : x(Math.max(b.end ?? b.start, ...b.segments.map((g) => g.end))) + 6
                }
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
