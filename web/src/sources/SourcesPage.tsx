import { useState } from 'react';
import { enc } from '../api/client';
import type { ChartSource, PutChartSource } from '../api/types';
import { useApiGet } from '../api/use-api-get';
import { useSession } from '../session-context';
import { formatDateTime } from '../time';
import { ErrorNote } from '../ui/ErrorNote';

/** What a source has set, in words: the password is only ever "set", never shown (the API never sends it). */
export function sourceFlags(s: ChartSource): string[] {
  return [
    ...(s.hasPassword ? ['password set'] : []),
    ...(s.hasCa ? ['own CA'] : []),
    ...(s.insecureSkipTlsVerify ? ['TLS not verified'] : []),
    ...(s.plainHttp ? ['plain HTTP'] : []),
  ];
}

/**
 * Chart sources (admin): the Helm repositories and OCI registries the hub fetches remote charts from when a
 * profile version is published, with their credentials. Listed without passwords; added or replaced by name;
 * removed (published versions keep the charts they pinned).
 */
export function SourcesPage() {
  const { value: sources, error, reload } = useApiGet<ChartSource[]>('/sources');
  return (
    <section className="page" aria-labelledby="sources-title">
      <h1 id="sources-title">Chart sources</h1>
      <p className="muted">
        A remote chart whose URL starts with a source&apos;s URL is fetched with its credentials when a
        profile version is published. Passwords and CAs are stored encrypted and never shown.
      </p>
      {error ? <ErrorNote error={error} /> : null}
      {sources === undefined ? null : <SourceTable sources={sources} onChanged={reload} />}
      <AddSource onAdded={reload} />
    </section>
  );
}

function SourceTable({ sources, onChanged }: { sources: readonly ChartSource[]; onChanged: () => void }) {
  if (sources.length === 0) return <p className="muted">No chart sources yet.</p>;
  return (
    <table className="table sources-table">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">URL</th>
          <th scope="col">Username</th>
          <th scope="col">Settings</th>
          <th scope="col">Added</th>
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {sources.map((s) => (
          <SourceRow key={s.name} source={s} onChanged={onChanged} />
        ))}
      </tbody>
    </table>
  );
}

function SourceRow({ source: s, onChanged }: { source: ChartSource; onChanged: () => void }) {
  const { api } = useSession();
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const remove = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.request(`/sources/${enc(s.name)}`, { method: 'DELETE' });
      onChanged();
    } catch (e) {
      setError(e);
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  };

  return (
    <tr data-source={s.name}>
      <th scope="row">{s.name}</th>
      <td>
        <code>{s.url}</code>
      </td>
      <td>{s.username ?? <span className="muted">none</span>}</td>
      <td>{sourceFlags(s).join(', ') || <span className="muted">none</span>}</td>
      <td>{formatDateTime(s.createdAt)}</td>
      <td>
        {confirming ? (
          <span className="actions">
            <button
              type="button"
              className="button small primary"
              onClick={() => void remove()}
              disabled={busy}
            >
              Remove {s.name}
            </button>
            <button
              type="button"
              className="button small"
              onClick={() => {
                setConfirming(false);
              }}
            >
              Keep
            </button>
          </span>
        ) : (
          <button
            type="button"
            className="button small"
            onClick={() => {
              setConfirming(true);
            }}
            aria-label={`Remove source ${s.name}`}
          >
            Remove…
          </button>
        )}
        {error ? <ErrorNote error={error} /> : null}
      </td>
    </tr>
  );
}

const EMPTY = { name: '', url: '', username: '', password: '', caPem: '', insecure: false, plainHttp: false };

function AddSource({ onAdded }: { onAdded: () => void }) {
  const { api } = useSession();
  const [form, setForm] = useState(EMPTY);
  const [error, setError] = useState<unknown>();
  const [added, setAdded] = useState<string>();
  const [busy, setBusy] = useState(false);
  const set =
    (field: keyof typeof EMPTY) => (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => {
      const { value, checked, type } = e.target as HTMLInputElement;
      setForm((f) => ({ ...f, [field]: type === 'checkbox' ? checked : value }));
    };

  const submit = async (event: React.SyntheticEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setAdded(undefined);
    // Empty optional fields are left out: the API refuses an empty username or password.
    const body: PutChartSource = {
      name: form.name.trim(),
      url: form.url.trim(),
      ...(form.username.trim() === '' ? {} : { username: form.username.trim() }),
      ...(form.password === '' ? {} : { password: form.password }),
      ...(form.caPem.trim() === '' ? {} : { caPem: form.caPem }),
      ...(form.insecure ? { insecureSkipTlsVerify: true } : {}),
      ...(form.plainHttp ? { plainHttp: true } : {}),
    };
    try {
      const saved = await api.request<ChartSource>('/sources', { method: 'POST', body });
      setForm(EMPTY);
      setAdded(saved.name);
      onAdded();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="add-source" onSubmit={(e) => void submit(e)} aria-labelledby="add-source-title">
      <h2 id="add-source-title">Add or replace a source</h2>
      <div className="import-fields">
        <label className="field">
          <span>Name</span>
          <input value={form.name} onChange={set('name')} required placeholder="charts" />
        </label>
        <label className="field">
          <span>URL</span>
          <input
            value={form.url}
            onChange={set('url')}
            required
            placeholder="https://charts.example.com or oci://registry.example.com/charts"
          />
        </label>
        <label className="field">
          <span>Username</span>
          <input value={form.username} onChange={set('username')} autoComplete="off" />
        </label>
        <label className="field">
          <span>Password</span>
          <input
            type="password"
            value={form.password}
            onChange={set('password')}
            autoComplete="new-password"
          />
        </label>
      </div>
      <label className="field">
        <span>CA certificate (PEM, optional)</span>
        <textarea value={form.caPem} onChange={set('caPem')} rows={3} spellCheck={false} />
      </label>
      <label>
        <input type="checkbox" checked={form.insecure} onChange={set('insecure')} /> Skip TLS verification
      </label>{' '}
      <label>
        <input type="checkbox" checked={form.plainHttp} onChange={set('plainHttp')} /> Plain HTTP
      </label>
      <div className="actions">
        <button type="submit" className="button primary" disabled={busy}>
          Save source
        </button>
        {added ? (
          <span role="status" className="ok-text">
            <span aria-hidden="true">✓ </span>Saved {added}
          </span>
        ) : null}
      </div>
      {error ? <ErrorNote error={error} /> : null}
    </form>
  );
}
