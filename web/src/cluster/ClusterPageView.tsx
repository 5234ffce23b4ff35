import { useState } from 'react';
import { ApiProblem, enc } from '../api/client';
import { can } from '../api/session';
import { HubBanner } from '../live/HubBanner';
import { useClusterLive } from '../live/use-cluster-live';
import { href } from '../router';
import { useSession } from '../session-context';
import { packPhaseDisplay as phaseDisplay, phases, type PackPhase } from '../api/display';
import { ErrorNote } from '../ui/ErrorNote';
import { StatusBadge } from '../ui/StatusBadge';
import { AgentState } from './AgentState';
import { Attachments } from './Attachments';
import type { PackView } from '../api/types';
import { groupByLayer, groupByProfile, type LayerGroup } from './grouping';
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
  const [grouping, setGrouping] = useState<'profile' | 'layer'>('profile');

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
              <button
                type="button"
                className="button"
                onClick={() => void resync()}
                disabled={resyncing}
                title="Re-read the cluster and re-apply every pack that drifted"
              >
                {resyncing ? 'Re-syncing the cluster…' : 'Re-sync cluster'}
              </button>
            ) : null}
          </div>
        </div>
        <p className="muted cluster-meta">
          {view.agent ? <AgentState agent={view.agent} /> : <span>{view.server || 'server unknown'}</span>}
          <span aria-hidden="true"> · </span>
          <span>{countsText(view.counts, packs)}</span>
          {view.driver !== undefined ? (
            <>
              <span aria-hidden="true"> · </span>
              <span className="cluster-driver" title="The hub replica whose runner drives this cluster">
                driven by replica {view.driver}
              </span>
            </>
          ) : null}
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
          <InstallTimeline cluster={cluster} packs={packs} attachments={attachments} />
        ) : packs.length === 0 ? (
          <p className="empty">
            No packs yet. Attach a profile from the <a href={href.profiles()}>Profiles</a> page.
          </p>
        ) : (
          <>
            <div className="group-toggle" role="group" aria-label="Group packs by">
              <span aria-hidden="true">Group by</span>
              {(['profile', 'layer'] as const).map((g) => (
                <button
                  key={g}
                  type="button"
                  className="button"
                  aria-pressed={grouping === g}
                  onClick={() => {
                    setGrouping(g);
                  }}
                >
                  {g === 'profile' ? 'Profile' : 'Layer (cluster-wide)'}
                </button>
              ))}
            </div>
            <table className="table packs-table" data-grouping={grouping}>
              <caption className="visually-hidden">
                Packs of {view.name} in install order, grouped by{' '}
                {grouping === 'profile' ? 'profile, then layer' : 'layer'}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Status</th>
                  <th scope="col">Pack</th>
                  <th scope="col">Version</th>
                  <th scope="col">Type</th>
                  <th scope="col">Resources</th>
                  <th scope="col">Time</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              {grouping === 'layer'
                ? groupByLayer(packs).map((g) => (
                    <tbody key={g.layer} data-layer={g.layer}>
                      <LayerRows cluster={cluster} group={g} selected={pack} />
                    </tbody>
                  ))
                : groupByProfile(packs, attachments).map((g) => (
                    <tbody key={g.profile} data-profile={g.profile} data-phase={g.phase}>
                      <tr className="profile-row">
                        <th scope="rowgroup" colSpan={COLUMNS}>
                          <StatusBadge phase={g.phase} /> <span className="profile-name">{g.profile}</span>{' '}
                          {g.version !== undefined ? (
                            <span className="muted">version {g.version}</span>
                          ) : (
                            <span className="muted">no longer attached</span>
                          )}{' '}
                          <span className="muted profile-counts" data-counts>
                            {countsText(
                              g.counts,
                              g.layers.flatMap((l) => l.packs),
                            )}
                          </span>
                        </th>
                      </tr>
                      {g.layers.map((l) => (
                        <LayerRows key={l.layer} cluster={cluster} group={l} selected={pack} />
                      ))}
                    </tbody>
                  ))}
            </table>
          </>
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

const COLUMNS = 7;

/** "3 packs: 1 failed, 2 success" (the same words as the cluster's own counts). */
function countsText(counts: Record<PackPhase, number>, packs: readonly PackView[]): string {
  const parts = phases
    .filter((p) => counts[p] > 0)
    .map((p) => `${counts[p]} ${phaseDisplay[p].label.toLowerCase()}`);
  return `${packs.length} pack${packs.length === 1 ? '' : 's'}: ${parts.join(', ') || 'none'}`;
}

/** A layer's header row and its packs in install order. */
function LayerRows({
  cluster,
  group,
  selected,
}: {
  cluster: string;
  group: LayerGroup;
  selected: string | undefined;
}) {
  return (
    <>
      <tr className="layer-row" data-layer-row={group.layer}>
        <th scope="rowgroup" colSpan={COLUMNS}>
          layer <strong>{group.layer}</strong>
        </th>
      </tr>
      {group.packs.map((p) => (
        <PackRow key={p.name} cluster={cluster} pack={p} selected={p.name === selected} />
      ))}
    </>
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
