import { useEffect, useRef, useState } from 'react';
import { enc } from '../api/client';
import { formatPackReason } from '../api/display';
import { can } from '../api/session';
import type { AttachmentView, PackView } from '../api/types';
import { href, navigate } from '../router';
import { useSession } from '../session-context';
import { formatTime } from '../time';
import { ErrorNote } from '../ui/ErrorNote';
import { ProgressBar } from '../ui/ProgressBar';
import { StatusBadge } from '../ui/StatusBadge';
import { DriftNote, Elapsed } from './PackRow';
import { PackValues } from './PackValues';
import { PackRuns } from './RunsTable';
import { TransitionList } from './TransitionList';
import { ResourceTable } from './ResourceTable';

/** The pack's detail beside the list: resources, transitions, rendered values, variables, actions. Escape closes it. */
export function PackDetail({
  cluster,
  pack,
  attachments,
}: {
  cluster: string;
  pack: PackView;
  attachments: readonly AttachmentView[];
}) {
  const { api, role } = useSession();
  const heading = useRef<HTMLHeadingElement>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>();
  const [done, setDone] = useState<string>();

  useEffect(() => {
    heading.current?.focus();
  }, []);

  useEffect(() => {
    const close = (event: KeyboardEvent) => {
      if (event.key !== 'Escape' || event.defaultPrevented) return;
      navigate(href.cluster(cluster));
      // Back to the pack's row, so keyboard users keep their place.
      requestAnimationFrame(() => {
        document.querySelector<HTMLAnchorElement>(`tr[data-pack="${CSS.escape(pack.name)}"] a`)?.focus();
      });
    };
    window.addEventListener('keydown', close);
    return () => {
      window.removeEventListener('keydown', close);
    };
  }, [cluster, pack.name]);

  // Both buttons call the pack's retry route, which re-applies this pack only (the runner's retryPack), never
  // the whole cluster: "Re-sync cluster" on the cluster page does that.
  const failed = pack.phase === 'failed';
  const reapply = async () => {
    setBusy(true);
    setActionError(undefined);
    setDone(undefined);
    try {
      await api.request(`/clusters/${enc(cluster)}/packs/${enc(pack.name)}/retry`, { method: 'POST' });
      setDone(failed ? `Retry of ${pack.name} requested.` : `Re-apply of ${pack.name} requested.`);
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  };

  const attachment = attachments.find((a) => a.profile === pack.profile);
  const values = attachment ? Object.entries(attachment.values) : [];
  const sensitive = attachment?.sensitive ?? [];

  return (
    <aside className="detail" aria-labelledby="detail-title" data-detail-pack={pack.name}>
      <div className="detail-head">
        <h2 id="detail-title" ref={heading} tabIndex={-1}>
          {pack.name}
        </h2>
        <a className="button ghost" href={href.cluster(cluster)} aria-label="Close pack detail (Escape)">
          ✕ Close
        </a>
      </div>
      <div className="detail-status">
        <StatusBadge phase={pack.phase} stale={pack.stale} />
      </div>
      {/* Condition type once, cause once, the object and the message: as the row and the CLI say it. */}
      <p className={`detail-message message-${pack.phase}`}>{formatPackReason(pack)}</p>
      {pack.lastDrift ? (
        <p className="detail-drift">
          <DriftNote drift={pack.lastDrift} />
        </p>
      ) : null}
      <dl className="facts">
        <dt>Profile</dt>
        <dd>{pack.profile}</dd>
        <dt>Version</dt>
        <dd>{pack.version}</dd>
        <dt>Type / layer</dt>
        <dd>
          {pack.type} / {pack.layer} (wave {pack.wave})
        </dd>
        <dt>Resources</dt>
        <dd>
          <ProgressBar ready={pack.progress.ready} total={pack.progress.total} phase={pack.phase} />
        </dd>
        <dt>Time</dt>
        <dd>
          <Elapsed pack={pack} />
          {pack.startTime ? (
            <span className="muted">
              {' '}
              · {pack.lastRun?.kind ?? 'run'} started {formatTime(pack.startTime)}
            </span>
          ) : null}
          {pack.endTime ? <span className="muted"> · ended {formatTime(pack.endTime)}</span> : null}
        </dd>
        {pack.explanation ? (
          <>
            <dt>Order</dt>
            <dd className="muted">{pack.explanation}</dd>
          </>
        ) : null}
      </dl>

      {can(role, 'operator') ? (
        <div className="actions">
          {/* Retry only where there is something to retry: a red pack. Any other pack can be re-applied. */}
          <button
            type="button"
            className={failed ? 'button primary' : 'button'}
            onClick={() => void reapply()}
            disabled={busy}
            title={`Render and apply ${pack.name} again; the other packs are not touched`}
          >
            {failed ? (busy ? 'Retrying…' : 'Retry this pack') : busy ? 'Re-applying…' : 'Re-apply this pack'}
          </button>
          {done ? (
            <span role="status" className="muted">
              {done}
            </span>
          ) : null}
        </div>
      ) : null}
      {actionError ? <ErrorNote error={actionError} /> : null}

      <h3>Resources</h3>
      <ResourceTable resources={pack.resources} />

      {pack.lastRun !== undefined ? (
        <PackRuns
          cluster={cluster}
          pack={pack.name}
          lastRun={pack.lastRun}
          runCount={pack.runCount ?? 1}
          phase={pack.phase}
        />
      ) : null}

      <TransitionList cluster={cluster} pack={pack.name} phase={pack.phase} />

      <PackValues
        cluster={cluster}
        pack={pack.name}
        revision={`${pack.version} ${attachment?.version ?? ''} ${JSON.stringify(attachment?.values ?? {})}`}
      />

      {values.length > 0 || sensitive.length > 0 ? (
        <>
          <h3>Variables of {pack.profile}</h3>
          <dl className="facts">
            {values.map(([k, v]) => (
              <div key={k} className="fact">
                <dt>{k}</dt>
                <dd>
                  <code>{v}</code>
                </dd>
              </div>
            ))}
            {sensitive
              .filter((k) => !(k in (attachment?.values ?? {})))
              .map((k) => (
                <div key={k} className="fact">
                  <dt>{k}</dt>
                  <dd>
                    <code>
                      <span aria-hidden="true">******</span>
                      <span className="visually-hidden">hidden: sensitive value</span>
                    </code>
                  </dd>
                </div>
              ))}
          </dl>
        </>
      ) : null}
    </aside>
  );
}
