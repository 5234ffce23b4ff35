import { memo } from 'react';
import type { Drift, PackRun, PackView } from '../api/types';
import { href } from '../router';
import { formatElapsed } from '../../../src/shared/duration';
import { formatRedFor, formatRunDuration, formatTime, useNow } from '../time';
import { PackReason } from '../ui/PackReason';
import { ProgressBar } from '../ui/ProgressBar';
import { StatusBadge } from '../ui/StatusBadge';
import { packElapsed } from './grouping';

const runWord: Record<PackRun['kind'], string> = {
  install: 'the install',
  upgrade: 'the upgrade',
  retry: 'the retry',
  uninstall: 'the uninstall',
};

/**
 * Only a processing pack's clock ticks, and a red one's "red for"; the others render once per status change. A
 * pack whose current run ended red says how long it has been red (a retry red again within milliseconds would
 * otherwise read "0ms"); how long the run took is in the title and the pack detail's runs.
 */
export function Elapsed({ pack }: { pack: PackView }) {
  const ticking = pack.phase === 'processing' || (pack.phase === 'failed' && pack.endTime !== undefined);
  const now = useNow(ticking && !pack.stale);
  const elapsed = packElapsed(pack, now);
  if (!elapsed) return <span className="muted elapsed">not started</span>;
  if (elapsed.redFor !== undefined) {
    const run = pack.lastRun;
    const took = formatRunDuration(elapsed.ms, 'failed');
    const title = `${run ? runWord[run.kind] : 'the run'} turned red ${took === 'red at once' ? 'at once' : `after ${took}`}${pack.endTime ? `, at ${formatTime(pack.endTime)}` : ''}`;
    return (
      <span className="elapsed" title={title}>
        {formatRedFor(elapsed.redFor)}
      </span>
    );
  }
  return (
    <span
      className="elapsed"
      title={elapsed.running ? 'elapsed, still running' : 'duration of the current run'}
    >
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
