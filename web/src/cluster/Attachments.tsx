import { useState } from 'react';
import { enc } from '../api/client';
import { can } from '../api/session';
import type { AttachmentView, PackDiff } from '../api/types';
import { href } from '../router';
import { useSession } from '../session-context';
import { ErrorNote } from '../ui/ErrorNote';
import { ChartUpdates } from './ChartUpdates';
import { DiffTable } from './DiffTable';
import { Rollback } from './Rollback';

/** The cluster's attached profiles, with "Updates available" and the per-pack diff before applying. */
export function Attachments({
  cluster,
  attachments,
  onChanged,
}: {
  cluster: string;
  attachments: readonly AttachmentView[];
  onChanged: () => void;
}) {
  if (attachments.length === 0) return null;
  return (
    <section className="attachments" aria-label="Attached profiles">
      <h2 className="section-title">Attached profiles</h2>
      <ul className="attachment-list">
        {attachments.map((a) => (
          <AttachmentItem key={a.profile} cluster={cluster} attachment={a} onChanged={onChanged} />
        ))}
      </ul>
    </section>
  );
}

function AttachmentItem({
  cluster,
  attachment: a,
  onChanged,
}: {
  cluster: string;
  attachment: AttachmentView;
  onChanged: () => void;
}) {
  const { api, role } = useSession();
  const [diff, setDiff] = useState<readonly PackDiff[]>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const path = `/clusters/${enc(cluster)}/attachments/${enc(a.profile)}`;

  const preview = async () => {
    if (a.updateAvailable === undefined) return;
    setBusy(true);
    setError(undefined);
    try {
      setDiff(
        await api.request<PackDiff[]>(`${path}/preview`, {
          method: 'POST',
          body: { version: a.updateAvailable },
        }),
      );
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const apply = async () => {
    if (a.updateAvailable === undefined) return;
    setBusy(true);
    setError(undefined);
    try {
      await api.request(path, { method: 'PATCH', body: { version: a.updateAvailable } });
      setDiff(undefined);
      onChanged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <li className="attachment">
      <a href={href.profile(a.profile, a.version)}>{a.profile}</a> <span className="muted">v{a.version}</span>
      {a.updateAvailable ? (
        <>
          {' '}
          <span className="update-chip">
            <span aria-hidden="true">⬆ </span>Update available: v{a.updateAvailable}
          </span>{' '}
          {diff === undefined ? (
            <button type="button" className="button small" onClick={() => void preview()} disabled={busy}>
              Preview changes
            </button>
          ) : null}
        </>
      ) : null}
      <Rollback cluster={cluster} attachment={a} onChanged={onChanged} />
      <ChartUpdates attachment={a} />
      {diff !== undefined ? (
        <div className="preview">
          <p>
            Changes to packs if {a.profile} goes from v{a.version} to v{a.updateAvailable}:
          </p>
          <DiffTable diff={diff} />
          <div className="actions">
            {can(role, 'operator') ? (
              <button type="button" className="button primary" onClick={() => void apply()} disabled={busy}>
                Apply update
              </button>
            ) : null}
            <button
              type="button"
              className="button"
              onClick={() => {
                setDiff(undefined);
              }}
            >
              Cancel
            </button>
          </div>
        </div>
      ) : null}
      {error ? <ErrorNote error={error} /> : null}
    </li>
  );
}
