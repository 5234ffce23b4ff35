import { useState } from 'react';
import { ApiProblem, enc } from '../api/client';
import { can } from '../api/session';
import { HubBanner } from '../live/HubBanner';
import { useClusterLive } from '../live/use-cluster-live';
import { href } from '../router';
import { useSession } from '../session-context';
import { packPhaseDisplay as phaseDisplay, phases } from '../api/display';
import { ErrorNote } from '../ui/ErrorNote';
import { StatusBadge } from '../ui/StatusBadge';
import { Attachments } from './Attachments';
import { groupByLayer } from './grouping';
import { InstallTimeline } from './InstallTimeline';
import { Legend } from './Legend';
import { PackDetail } from './PackDetail';
import { PackRow } from './PackRow';

export function ClusterPageView({
  cluster,
  pack,
  tab,
}: {
  cluster: string;
  pack: string | undefined;
  tab: 'packs' | 'timeline';
}) {
  const { api, role } = useSession();
  const { state, error, live, reload } = useClusterLive(api, cluster);
  const [actionError, setActionError] = useState<unknown>();
  const [resyncing, setResyncing] = useState(false);

  if (!state) {
    return (
      <section className="page">
        <Breadcrumb cluster={cluster} />
        {error ? <ErrorNote error={error} /> : <p className="muted">Loading the cluster…</p>}
      </section>
    );
  }

  const { cluster: view, packs, attachments } = state;
  const selected = pack === undefined ? undefined : packs.find((p) => p.name === pack);
  const groups = groupByLayer(packs);
  const resync = async () => {
    setResyncing(true);
    setActionError(undefined);
    try {
      await api.request(`/clusters/${enc(cluster)}/resync`, { method: 'POST' });
    } catch (e) {
      setActionError(e);
    } finally {
      setResyncing(false);
    }
  };

  return (
    <div className={selected || pack !== undefined ? 'with-detail' : undefined}>
      <section className="page" aria-labelledby="cluster-title">
        <Breadcrumb cluster={cluster} />
        <div className="page-head">
          <h1 id="cluster-title">
            {view.name}{' '}
            <StatusBadge phase={view.phase} stale={!view.reachable || state.hubDownSince !== undefined} />
          </h1>
          <div className="page-head-end">
            <span className={live ? 'live live-on' : 'live live-off'} role="status">
              <span aria-hidden="true">{live ? '●' : '○'}</span> {live ? 'Live' : 'Reconnecting…'}
            </span>
            {can(role, 'operator') ? (
              <button type="button" className="button" onClick={() => void resync()} disabled={resyncing}>
                {resyncing ? 'Re-syncing…' : 'Re-sync'}
              </button>
            ) : null}
          </div>
        </div>
        <p className="muted cluster-meta">
          <span>{view.server || 'server unknown'}</span>
          <span aria-hidden="true"> · </span>
          <span>
            {view.packs} pack{view.packs === 1 ? '' : 's'}:{' '}
            {phases
              .filter((p) => view.counts[p] > 0)
              .map((p) => `${view.counts[p]} ${phaseDisplay[p].label.toLowerCase()}`)
              .join(', ') || 'none'}
          </span>
        </p>
        <HubBanner since={state.hubDownSince} />
        {!view.reachable ? (
          <div className="banner banner-warn" role="alert">
            <strong>Cluster unreachable.</strong> Colours are the last ones known and may be out of date
            {view.error ? `: ${view.error}` : '.'}
          </div>
        ) : null}
        {state.removed ? (
          <div className="banner banner-warn" role="alert">
            This cluster was removed from the hub. <a href={href.overview()}>Back to the clusters</a>
          </div>
        ) : null}
        {actionError ? <ErrorNote error={actionError} /> : null}

        <Attachments cluster={cluster} attachments={attachments} onChanged={reload} />

        <nav className="tabs" aria-label="Cluster views">
          <a href={href.cluster(cluster)} aria-current={tab === 'packs' ? 'page' : undefined}>
            Packs
          </a>
          <a href={href.timeline(cluster)} aria-current={tab === 'timeline' ? 'page' : undefined}>
            Install timeline
          </a>
        </nav>

        {tab === 'timeline' ? (
          <InstallTimeline cluster={cluster} packs={packs} />
        ) : packs.length === 0 ? (
          <p className="empty">
            No packs yet. Attach a profile from the <a href={href.profiles()}>Profiles</a> page.
          </p>
        ) : (
          <table className="table packs-table">
            <caption className="visually-hidden">
              Packs of {view.name} in install order, grouped by layer
            </caption>
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Pack</th>
                <th scope="col">Version</th>
                <th scope="col">Type</th>
                <th scope="col">Layer</th>
                <th scope="col">Resources</th>
                <th scope="col">Time</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            {groups.map((g) => (
              <tbody key={g.layer} data-layer={g.layer}>
                <tr className="layer-row">
                  <th scope="rowgroup" colSpan={8}>
                    layer <strong>{g.layer}</strong>
                  </th>
                </tr>
                {g.packs.map((p) => (
                  <PackRow key={p.name} cluster={cluster} pack={p} selected={p.name === pack} />
                ))}
              </tbody>
            ))}
          </table>
        )}
        <Legend />
      </section>
      {pack !== undefined ? (
        selected ? (
          <PackDetail key={selected.name} cluster={cluster} pack={selected} attachments={attachments} />
        ) : (
          <aside className="detail" aria-label="Pack detail">
            <p>
              Pack <code>{pack}</code> is not on this cluster. <a href={href.cluster(cluster)}>Close</a>
            </p>
          </aside>
        )
      ) : null}
    </div>
  );
}

function Breadcrumb({ cluster }: { cluster: string }) {
  return (
    <nav aria-label="Breadcrumb" className="breadcrumb">
      <a href={href.overview()}>Clusters</a> <span aria-hidden="true">/</span> <span>{cluster}</span>
    </nav>
  );
}

export function isForbidden(error: unknown): boolean {
  return error instanceof ApiProblem && error.status === 403;
}
