import { memo } from 'react';
import type { Drift, PackView } from '../api/types';
import { href } from '../router';
import { formatElapsed } from '../../../src/shared/duration';
import { formatTime, useNow } from '../time';
import { PackReason } from '../ui/PackReason';
import { ProgressBar } from '../ui/ProgressBar';
import { StatusBadge } from '../ui/StatusBadge';
import { packElapsed } from './grouping';

/** Only a processing pack's clock ticks; the others render once per status change. */
export function Elapsed({ pack }: { pack: PackView }) {
  const now = useNow(pack.phase === 'processing' && !pack.stale);
  const elapsed = packElapsed(pack, now);
  if (!elapsed) return <span className="muted elapsed">not started</span>;
  return (
    <span className="elapsed" title={elapsed.running ? 'elapsed, still running' : 'install duration'}>
      {elapsed.running ? <span className="visually-hidden">running for </span> : null}
      {formatElapsed(elapsed.ms)}
      {elapsed.running ? <span aria-hidden="true"> …</span> : null}
    </span>
  );
}

/**
 * One pack: memoised on the pack object, which the reducer replaces only when that pack's status changed, so a
 * status event re-renders one row and the others stay as they are (no flicker, focus kept).
 */
export const PackRow = memo(function PackRow({
  cluster,
  pack,
  selected,
}: {
  cluster: string;
  pack: PackView;
  selected: boolean;
}) {
  const showMessage = pack.phase !== 'success' && pack.message !== '';
  return (
    <tr
      className={`pack-row${selected ? ' selected' : ''}${pack.stale ? ' stale' : ''}`}
      data-pack={pack.name}
      data-phase={pack.phase}
    >
      <td className="col-status">
        <StatusBadge phase={pack.phase} stale={pack.stale} />
      </td>
      <th scope="row" className="col-name">
        <a
          href={href.pack(cluster, pack.name)}
          className="pack-link"
          aria-current={selected ? 'true' : undefined}
        >
          {pack.name}
        </a>
        <span className="muted small">{pack.profile}</span>
      </th>
      <td className="col-version">{pack.version}</td>
      <td className="col-type">{pack.type}</td>
      <td className="col-progress">
        <ProgressBar ready={pack.progress.ready} total={pack.progress.total} phase={pack.phase} />
      </td>
      <td className="col-time">
        <Elapsed pack={pack} />
      </td>
      <td className="col-message">
        {showMessage ? <PackReason pack={pack} /> : null}
        {pack.lastDrift ? <DriftNote drift={pack.lastDrift} /> : null}
      </td>
    </tr>
  );
});

/** Someone changed an object the pack owns: when, what, and whether Strata put it back. */
export function DriftNote({ drift }: { drift: Drift }) {
  const what = drift.message.replace(/^drift: /, '');
  return (
    <span
      className={`drift-note ${drift.correcting ? 'drift-corrected' : 'drift-reported'}`}
      title={drift.message}
    >
      <span aria-hidden="true">{drift.correcting ? '↺ ' : '⚠ '}</span>
      {drift.correcting ? 'Drift corrected' : 'Drift (not corrected)'} at{' '}
      <time dateTime={drift.time}>{formatTime(drift.time)}</time>: {what}
    </span>
  );
}
