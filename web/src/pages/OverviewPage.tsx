import { useState } from 'react';
import { HubBanner } from '../live/HubBanner';
import { useClustersLive } from '../live/use-clusters-live';
import { href } from '../router';
import { useSession } from '../session-context';
import { packPhaseDisplay as phaseDisplay, phases, type PackPhase } from '../api/display';
import { ErrorNote } from '../ui/ErrorNote';
import { StatusBadge } from '../ui/StatusBadge';
import type { ClusterView } from '../api/types';

/** Every cluster with its rollup colour and counts per phase; filter by status, search by name. */
export function OverviewPage() {
  const { api } = useSession();
  // Each cluster's rollup arrives as the hub's summary of it; a dead hub is said, not hidden.
  const { clusters, error, hubDownSince } = useClustersLive(api);
  const [query, setQuery] = useState('');
  const [filter, setFilter] = useState<PackPhase | 'all'>('all');

  const shown = (clusters ?? []).filter(
    (c) =>
      (filter === 'all' || c.phase === filter) && c.name.toLowerCase().includes(query.trim().toLowerCase()),
  );

  return (
    <section className="page" aria-labelledby="overview-title">
      <h1 id="overview-title">Clusters</h1>
      <div className="toolbar" role="search">
        <label className="field">
          <span>Search by name</span>
          <input
            type="search"
            value={query}
            onChange={(e) => {
              setQuery(e.target.value);
            }}
            placeholder="cluster name"
          />
        </label>
        <fieldset className="filter">
          <legend>Status</legend>
          {(['all', ...phases] as const).map((p) => (
            <label key={p} className={`filter-option${filter === p ? ' checked' : ''}`}>
              {/* The radio itself is visually hidden: a drawn circle beside the gray icon read "○ ○ Onboarding". */}
              <input
                type="radio"
                name="status-filter"
                className="visually-hidden"
                value={p}
                checked={filter === p}
                onChange={() => {
                  setFilter(p);
                }}
              />
              {p === 'all' ? (
                'All'
              ) : (
                <>
                  <span aria-hidden="true">{phaseDisplay[p].icon} </span>
                  {phaseDisplay[p].label}
                </>
              )}
            </label>
          ))}
        </fieldset>
      </div>
      <HubBanner since={hubDownSince} />
      {error ? <ErrorNote error={error} /> : null}
      {clusters === undefined ? (
        <p className="muted">Loading…</p>
      ) : clusters.length === 0 ? (
        <p className="empty">No clusters registered yet. An admin registers one with the CLI or the API.</p>
      ) : (
        <table className="table clusters-table">
          <caption className="visually-hidden">Clusters with their status and packs per phase</caption>
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Cluster</th>
              {phases.map((p) => (
                <th scope="col" key={p} className="num">
                  <span aria-hidden="true">{phaseDisplay[p].icon} </span>
                  {phaseDisplay[p].label}
                </th>
              ))}
              <th scope="col" className="num">
                Packs
              </th>
              <th scope="col">Connection</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((c) => (
              <tr key={c.name} data-cluster={c.name} data-phase={c.phase}>
                <td>
                  <StatusBadge phase={c.phase} stale={!c.reachable || hubDownSince !== undefined} />
                </td>
                <th scope="row">
                  <a href={href.cluster(c.name)}>{c.name}</a>
                  <span className="muted small">{c.server}</span>
                  <Attention cluster={c} />
                </th>
                {phases.map((p) => (
                  <td
                    key={p}
                    className={`num count${c.counts[p] > 0 ? ` count-${phaseDisplay[p].color}` : ' zero'}`}
                  >
                    {c.counts[p]}
                  </td>
                ))}
                <td className="num">{c.packs}</td>
                <td>
                  {c.reachable ? (
                    <span>
                      <span aria-hidden="true">● </span>reachable
                    </span>
                  ) : (
                    <span className="warn-text" title={c.error}>
                      <span aria-hidden="true">⚠ </span>unreachable
                    </span>
                  )}
                  {c.driver !== undefined ? (
                    <span className="muted small cluster-driver">driven by replica {c.driver}</span>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {clusters !== undefined && clusters.length > 0 && shown.length === 0 ? (
        <p className="empty">No cluster matches.</p>
      ) : null}
    </section>
  );
}

/** Which packs are red or blue (red first), so a red cluster says what failed without a click. */
function Attention({ cluster }: { cluster: ClusterView }) {
  const list = cluster.attention;
  if (list.length === 0) return null;
  const named = list.length;
  const total = cluster.counts.failed + cluster.counts.processing;
  return (
    <ul className="attention-list" aria-label={`Packs of ${cluster.name} not green`}>
      {list.map((a) => (
        <li key={a.pack} data-attention={a.pack} data-phase={a.phase}>
          <a href={href.pack(cluster.name, a.pack)} className={`message-${a.phase}`}>
            <span aria-hidden="true">{phaseDisplay[a.phase].icon} </span>
            {a.pack}
          </a>{' '}
          <span className="muted">
            {phaseDisplay[a.phase].label.toLowerCase()}
            {a.reason ? `: ${a.reason}` : ''}
          </span>
        </li>
      ))}
      {total > named ? <li className="muted">and {total - named} more</li> : null}
    </ul>
  );
}
