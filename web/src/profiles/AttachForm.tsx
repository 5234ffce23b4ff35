import { useEffect, useState } from 'react';
import { enc } from '../api/client';
import type { ClusterView } from '../api/types';
import { href, navigate } from '../router';
import { useSession } from '../session-context';
import { ErrorNote } from '../ui/ErrorNote';
import type { VariableSpec } from './variables';

/**
 * Attach this profile version to a cluster, with a field per variable it declares. Clusters the profile is
 * attached to already (any version) are not offered: the hub would refuse a second attachment; their version is
 * changed from the cluster page, which previews the diff first.
 */
export function AttachForm({
  profile,
  version,
  yaml,
  attached = [],
}: {
  profile: string;
  version: string;
  yaml: string;
  /** Clusters the profile is attached to now. */
  attached?: readonly string[];
}) {
  const { api } = useSession();
  const [variables, setVariables] = useState<readonly VariableSpec[]>([]);
  const [clusters, setClusters] = useState<readonly ClusterView[]>();
  const [cluster, setCluster] = useState('');
  const [values, setValues] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  // The YAML parser is loaded only when someone is about to attach (it is most of the bundle otherwise).
  useEffect(() => {
    let live = true;
    void import('./variables').then(({ profileVariables }) => {
      if (live) setVariables(profileVariables(yaml, profile));
    });
    return () => {
      live = false;
    };
  }, [yaml, profile]);

  useEffect(() => {
    api.get<ClusterView[]>('/clusters').then(setClusters).catch(setError);
  }, [api]);
  const offered = (clusters ?? []).filter((c) => !attached.includes(c.name));
  // The first cluster offered until one is chosen; a chosen one attached meanwhile (live) is no choice any more.
  const chosen = offered.some((c) => c.name === cluster) ? cluster : (offered[0]?.name ?? '');

  const submit = async (event: React.SyntheticEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const given = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ''));
    try {
      await api.request(`/clusters/${enc(chosen)}/attachments`, {
        method: 'POST',
        body: { profile, version, ...(Object.keys(given).length > 0 ? { values: given } : {}) },
      });
      navigate(href.cluster(chosen));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="attach-form" onSubmit={(e) => void submit(e)} aria-labelledby="attach-title">
      <h3 id="attach-title">Attach to a cluster</h3>
      {clusters?.length === 0 ? <p className="muted">No clusters registered.</p> : null}
      {attached.length > 0 ? (
        <p className="muted small attach-already">
          Already attached to{' '}
          {attached.map((c, i) => (
            <span key={c}>
              {i > 0 ? ', ' : ''}
              <a href={href.cluster(c)}>{c}</a>
            </span>
          ))}
          : change its version there.
        </p>
      ) : null}
      <label className="field">
        <span>Cluster</span>
        <select
          value={chosen}
          onChange={(e) => {
            setCluster(e.target.value);
          }}
          required
        >
          {offered.map((c) => (
            <option key={c.name} value={c.name}>
              {c.name}
            </option>
          ))}
        </select>
      </label>
      {variables.map((v) => (
        <label key={v.name} className="field">
          <span>
            {v.name}
            {v.required ? <span className="required"> (required)</span> : null}
            {v.sensitive ? <span className="muted"> · sensitive</span> : null}
          </span>
          <input
            type={v.sensitive ? 'password' : 'text'}
            autoComplete="off"
            value={values[v.name] ?? ''}
            // A sensitive default is never served (a legacy one arrives masked): say one is set, not "******".
            placeholder={
              v.default === undefined ? '' : v.sensitive ? 'default set (hidden)' : `default: ${v.default}`
            }
            required={v.required && v.default === undefined}
            // No `pattern`: the browser would run the profile author's regex with its backtracking engine
            // (a ReDoS in a viewer's tab, and not RE2's syntax). The hub checks the value with RE2 and answers
            // with a positioned error, shown below the form.
            onChange={(e) => {
              setValues((old) => ({ ...old, [v.name]: e.target.value }));
            }}
          />
          {v.description ? <small className="muted">{v.description}</small> : null}
          {v.regex === undefined ? null : (
            <small className="muted">
              must match <code>{v.regex}</code>
            </small>
          )}
        </label>
      ))}
      <button type="submit" className="button primary" disabled={busy || chosen === ''}>
        {busy ? 'Attaching…' : `Attach v${version}`}
      </button>
      {error ? <ErrorNote error={error} /> : null}
    </form>
  );
}
