import { useEffect, useState } from 'react';
import { enc } from '../api/client';
import { can } from '../api/session';
import { useApiGet } from '../api/use-api-get';
import type { ProfileSummary, ProfileVersion, ProfileWithSource } from '../api/types';
import { href } from '../router';
import { useSession } from '../session-context';
import { formatDateTime } from '../time';
import { HubBanner } from '../live/HubBanner';
import { ErrorNote } from '../ui/ErrorNote';
import { AttachForm } from './AttachForm';
import { ImportPanel } from './ImportPanel';
import { PinnedCharts } from './PinnedCharts';
import { revisionOf } from './profile-changes';
import { useProfileRevisions } from './use-profile-revisions';
import { YamlView } from './YamlView';

export function ProfilesPage({
  profile,
  version,
}: {
  profile: string | undefined;
  version: string | undefined;
}) {
  const { api } = useSession();
  // Live: a version published or an attachment changed elsewhere is fetched again, without a reload.
  const revisions = useProfileRevisions(api);
  const {
    value: profiles,
    error,
    reload,
  } = useApiGet<ProfileSummary[]>('/profiles', `${revisions.all}.${revisions.list}`);

  return (
    <>
      <HubBanner since={revisions.hubDownSince} />
      <div className="profiles-layout">
        <nav className="profiles-list" aria-labelledby="profiles-title">
          <h1 id="profiles-title">Profiles</h1>
          {error ? <ErrorNote error={error} /> : null}
          {profiles === undefined ? (
            <p className="muted">Loading…</p>
          ) : profiles.length === 0 ? (
            <p className="empty">No profiles yet.</p>
          ) : (
            <ul>
              {profiles.map((p) => (
                <li key={p.name}>
                  <a href={href.profile(p.name)} aria-current={p.name === profile ? 'page' : undefined}>
                    <strong>{p.name}</strong>
                    <span className="muted small">
                      {p.type} · v{p.latest} · {p.versions} version{p.versions === 1 ? '' : 's'}
                    </span>
                  </a>
                </li>
              ))}
            </ul>
          )}
          <a
            className="button"
            href={href.profiles()}
            aria-current={profile === undefined ? 'page' : undefined}
          >
            Import a profile…
          </a>
        </nav>
        <section className="page profiles-main">
          {profile === undefined ? (
            <ImportPanel onImported={reload} />
          ) : (
            <ProfileDetail
              key={`${profile}@${version ?? ''}`}
              profile={profile}
              version={version}
              revision={revisionOf(revisions, profile)}
            />
          )}
        </section>
      </div>
    </>
  );
}

/**
 * One version of a profile: the one in the URL, else the latest, which follows a newer version published while
 * the page is open. `revision` changes when the stream says the profile changed: fetch again, keep what is
 * shown until the answer arrives.
 */
function ProfileDetail({
  profile,
  version,
  revision,
}: {
  profile: string;
  version: string | undefined;
  revision: string;
}) {
  const { api, role } = useSession();
  const [versions, setVersions] = useState<readonly ProfileVersion[]>();
  const [shown, setShown] = useState<ProfileWithSource>();
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    const controller = new AbortController();
    (async () => {
      const list = await api.get<ProfileVersion[]>(`/profiles/${enc(profile)}/versions`, controller.signal);
      const chosen = version ?? list.at(-1)?.version;
      const next =
        chosen === undefined
          ? undefined
          : await api.get<ProfileWithSource>(
              `/profiles/${enc(profile)}/versions/${enc(chosen)}`,
              controller.signal,
            );
      // Both at once: the chips and the version shown never disagree on screen.
      setVersions(list);
      setShown(next);
      setError(undefined);
    })().catch((e: unknown) => {
      if (!controller.signal.aborted) setError(e);
    });
    return () => {
      controller.abort();
    };
  }, [api, profile, version, revision]);

  return (
    <>
      <h2 className="profile-title">
        {profile} {shown ? <span className="muted">v{shown.version}</span> : null}
      </h2>
      {error ? <ErrorNote error={error} /> : null}
      {shown?.description ? <p>{shown.description}</p> : null}
      {versions ? (
        <div className="versions" role="group" aria-label="Versions">
          <span className="muted">Versions:</span>
          {[...versions].reverse().map((v) => (
            <a
              key={v.version}
              className="version-chip"
              href={href.profile(profile, v.version)}
              aria-current={shown?.version === v.version ? 'page' : undefined}
              title={`${v.packs} packs, created ${formatDateTime(v.createdAt)}${v.published ? '' : ' (draft)'}`}
            >
              v{v.version}
              {v.published ? '' : ' (draft)'}
            </a>
          ))}
        </div>
      ) : null}
      {shown ? <AttachedTo profile={profile} shown={shown} /> : null}
      {shown ? <PackTable shown={shown} /> : null}
      {shown ? (
        <div className="profile-columns">
          <div>
            <h3>
              YAML <span className="muted small">{shown.packs} packs</span>
            </h3>
            <YamlView yaml={shown.yaml} label={`${profile} v${shown.version} (YAML)`} />
            <PinnedCharts charts={shown.charts} />
          </div>
          {can(role, 'operator') ? (
            <AttachForm
              profile={profile}
              version={shown.version}
              yaml={shown.yaml}
              attached={shown.attachedTo.map((a) => a.cluster)}
            />
          ) : null}
        </div>
      ) : null}
    </>
  );
}

/** Where the profile is attached, any version, this one marked: what an update of it would touch. */
function AttachedTo({ profile, shown }: { profile: string; shown: ProfileWithSource }) {
  return (
    <section aria-labelledby="attached-title" className="profile-attached">
      <h3 id="attached-title">Attached to</h3>
      {shown.attachedTo.length === 0 ? (
        <p className="muted">Not attached to any cluster.</p>
      ) : (
        <ul className="attached-list">
          {shown.attachedTo.map((a) => (
            <li key={a.cluster} data-attached={a.cluster}>
              <a href={href.cluster(a.cluster)}>{a.cluster}</a>{' '}
              <span className="muted">
                {a.version === shown.version ? (
                  <>this version (v{a.version})</>
                ) : (
                  <>
                    <a href={href.profile(profile, a.version)}>v{a.version}</a>
                  </>
                )}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The version's packs in file order: layer, type, version, and where a chart comes from (with its digest). */
function PackTable({ shown }: { shown: ProfileWithSource }) {
  return (
    <>
      <h3>Packs</h3>
      <table className="table profile-packs">
        <caption className="visually-hidden">
          Packs of {shown.name} v{shown.version}
        </caption>
        <thead>
          <tr>
            <th scope="col">Pack</th>
            <th scope="col">Layer</th>
            <th scope="col">Type</th>
            <th scope="col">Version</th>
            <th scope="col">Chart or objects</th>
          </tr>
        </thead>
        <tbody>
          {shown.packTable.map((p) => (
            <tr key={p.name} data-profile-pack={p.name}>
              <th scope="row">{p.name}</th>
              <td>{p.layer}</td>
              <td>{p.type}</td>
              <td>{p.version}</td>
              <td className="pack-source">
                {p.chart !== undefined ? <code>{p.chart}</code> : null}
                {p.digest !== undefined ? (
                  <span className="muted small" title={`sha256:${p.digest}`}>
                    {' '}
                    sha256:{p.digest.slice(0, 12)}
                  </span>
                ) : null}
                {p.objects !== undefined && p.objects.length > 0 ? (
                  <span className="muted">{p.objects.join(', ')}</span>
                ) : null}
                {p.files !== undefined ? (
                  <span className="muted">
                    {p.objects !== undefined && p.objects.length > 0 ? '; ' : ''}from {p.files.join(', ')}
                  </span>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
