import { useEffect, useState } from 'react';
import { enc } from '../api/client';
import { can } from '../api/session';
import type { AttachmentView, PackDiff, ProfileVersion } from '../api/types';
import { useSession } from '../session-context';
import { ErrorNote } from '../ui/ErrorNote';
import { DiffTable } from './DiffTable';

/**
 * The published version just before `versions`' entry `current` (the list is in publish order), or undefined
 * when there is none: what "Roll back" goes to.
 */
export function previousVersion(versions: readonly ProfileVersion[], current: string): string | undefined {
  const at = versions.findIndex((v) => v.version === current);
  if (at <= 0) return undefined;
  return versions
    .slice(0, at)
    .filter((v) => v.published)
    .at(-1)?.version;
}

/**
 * "Roll back to vX" on an attachment: the per-pack diff of going back to the previous published version, then
 * attaching it. The version brings back its own content and the charts it pinned at publish; the attachment's
 * values stay as set (docs/profiles.md, "Updates and rollback").
 */
export function Rollback({
  cluster,
  attachment: a,
  onChanged,
}: {
  cluster: string;
  attachment: AttachmentView;
  onChanged: () => void;
}) {
  const { api, role } = useSession();
  const [target, setTarget] = useState<string>();
  const [diff, setDiff] = useState<readonly PackDiff[]>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const path = `/clusters/${enc(cluster)}/attachments/${enc(a.profile)}`;

  useEffect(() => {
    if (!can(role, 'operator')) return;
    const controller = new AbortController();
    setTarget(undefined);
    setDiff(undefined);
    api
      .get<ProfileVersion[]>(`/profiles/${enc(a.profile)}/versions`, controller.signal)
      .then((versions) => {
        setTarget(previousVersion(versions, a.version));
      })
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setError(e);
      });
    return () => {
      controller.abort();
    };
  }, [api, role, a.profile, a.version]);

  const run = async (step: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await step();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const preview = (version: string) =>
    run(async () => {
      setDiff(await api.request<PackDiff[]>(`${path}/preview`, { method: 'POST', body: { version } }));
    });
  const apply = (version: string) =>
    run(async () => {
      await api.request(path, { method: 'PATCH', body: { version } });
      setDiff(undefined);
      onChanged();
    });

  // Rolling back changes the cluster: a viewer is not offered it (they still see the update's preview).
  if (!can(role, 'operator')) return null;
  if (target === undefined) return error ? <ErrorNote error={error} /> : null;
  return (
    <>
      {diff === undefined ? (
        <>
          {' '}
          <button type="button" className="button small" onClick={() => void preview(target)} disabled={busy}>
            Roll back to v{target}
          </button>
        </>
      ) : (
        <div className="preview">
          <p>
            Changes to packs if {a.profile} goes back from v{a.version} to v{target} (its content and pinned
            charts; the attachment&apos;s values stay as set):
          </p>
          <DiffTable diff={diff} />
          <div className="actions">
            <button
              type="button"
              className="button primary"
              onClick={() => void apply(target)}
              disabled={busy}
            >
              Roll back to v{target}
            </button>
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
      )}
      {error ? <ErrorNote error={error} /> : null}
    </>
  );
}
