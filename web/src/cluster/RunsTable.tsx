import { useState } from 'react';
import { enc } from '../api/client';
import type { PackRun, PackRuns as PackRunsPage } from '../api/types';
import type { PackPhase } from '../api/display';
import { useApiGet } from '../api/use-api-get';
import { useOlderPages } from '../api/use-older-pages';
import { ErrorNote } from '../ui/ErrorNote';
import { formatElapsed } from '../../../src/shared/duration';
import { formatDateTime, formatRunDuration, formatTime, useNow } from '../time';
import { StatusBadge } from '../ui/StatusBadge';

const kindLabel: Record<PackRun['kind'], string> = {
  install: 'Install',
  upgrade: 'Upgrade',
  retry: 'Retry',
  uninstall: 'Uninstall',
};

const runsOf = (page: PackRunsPage) => ({
  items: page.runs,
  ...(page.next === undefined ? {} : { next: page.next }),
});

/**
 * The pack's runs: the current one, from the page (which carries only that one, issue 15), and on "Show earlier
 * runs" every run it keeps, read from `…/runs` a page at a time ("Older runs" follows the route's cursor).
 */
export function PackRuns({
  cluster,
  pack,
  lastRun,
  runCount,
  phase,
}: {
  cluster: string;
  pack: string;
  lastRun: PackRun;
  runCount: number;
  phase: PackPhase;
}) {
  const [expanded, setExpanded] = useState(false);
  if (expanded && runCount > 1)
    return <AllRuns cluster={cluster} pack={pack} lastRun={lastRun} phase={phase} />;
  return (
    <>
      <RunsTable runs={[lastRun]} phase={phase} />
      {runCount > 1 ? (
        <button
          type="button"
          className="button small ghost"
          onClick={() => {
            setExpanded(true);
          }}
          data-older="runs"
        >
          Show earlier runs ({runCount - 1})
        </button>
      ) : null}
    </>
  );
}

/** Every run kept, the newest page first; read again when the current run starts, ends or changes revision. */
function AllRuns({
  cluster,
  pack,
  lastRun,
  phase,
}: {
  cluster: string;
  pack: string;
  lastRun: PackRun;
  phase: PackPhase;
}) {
  const path = `/clusters/${enc(cluster)}/packs/${enc(pack)}/runs`;
  const { value: newest, error } = useApiGet<PackRunsPage>(path, JSON.stringify(lastRun));
  const older = useOlderPages(path, newest, runsOf);
  const runs = newest === undefined ? [lastRun] : [...older.items, ...newest.runs];
  return (
    <>
      <RunsTable runs={runs} phase={phase} />
      {error ? <ErrorNote error={error} /> : null}
      {older.error ? <ErrorNote error={older.error} /> : null}
      {older.more ? (
        <button
          type="button"
          className="button small ghost"
          onClick={older.loadOlder}
          disabled={older.loading}
          data-older="runs"
        >
          {older.loading ? 'Loading older runs…' : 'Older runs'}
        </button>
      ) : null}
    </>
  );
}

/**
 * Runs of the pack, newest first, each on its own clock: an upgrade or a retry does not inherit the time
 * of the install before it. The current run's clock ticks until it first reaches green or red.
 */
export function RunsTable({ runs, phase }: { runs: readonly PackRun[]; phase: PackPhase }) {
  const current = runs.at(-1);
  const now = useNow(current?.endTime === undefined && phase === 'processing');
  return (
    <>
      <h3>Runs</h3>
      <table className="table runs-table">
        <caption className="visually-hidden">
          Installs, upgrades and retries of this pack, newest first
        </caption>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Started</th>
            <th scope="col">Duration</th>
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {[...runs].reverse().map((run, i) => {
            const latest = i === 0;
            const end = run.endTime === undefined ? undefined : Date.parse(run.endTime);
            const ms = (end ?? now) - Date.parse(run.startTime);
            return (
              <tr
                key={`${run.startTime}-${run.kind}`}
                data-run={run.kind}
                data-current={latest ? 'true' : undefined}
              >
                <th scope="row">
                  {kindLabel[run.kind]}
                  {run.revision ? (
                    <code className="muted small" title={`revision ${run.revision}`}>
                      {' '}
                      {run.revision.slice(0, 8)}
                    </code>
                  ) : null}
                </th>
                <td>
                  <time dateTime={run.startTime} title={formatDateTime(run.startTime)}>
                    {formatTime(run.startTime)}
                  </time>
                </td>
                <td className="run-duration">
                  {end === undefined && !latest ? (
                    <span className="muted">superseded</span>
                  ) : (
                    <>
                      <span title={end === undefined ? undefined : `${Math.round(ms)} ms`}>
                        {end === undefined ? formatElapsed(ms) : formatRunDuration(ms, run.outcome)}
                      </span>
                      {end === undefined ? <span className="muted"> (running)</span> : null}
                    </>
                  )}
                </td>
                <td>
                  {run.outcome !== undefined ? (
                    <StatusBadge phase={run.outcome} size="small" />
                  ) : latest ? (
                    <StatusBadge phase={phase} size="small" />
                  ) : (
                    <span className="muted">none</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}
