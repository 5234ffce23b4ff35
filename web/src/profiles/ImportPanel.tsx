import { useEffect, useRef, useState } from 'react';
import { ApiProblem } from '../api/client';
import { can } from '../api/session';
import type { ProfileIssue, ProfileVersion, ValidationResult } from '../api/types';
import { href } from '../router';
import { useSession } from '../session-context';
import { ErrorNote } from '../ui/ErrorNote';
import { YamlView } from './YamlView';

/** Import a profile file (chosen or pasted); problems appear at their lines in the text. */
export function ImportPanel({ onImported }: { onImported: () => void }) {
  const { api, role } = useSession();
  const [yaml, setYaml] = useState('');
  const [file, setFile] = useState('profile.yaml');
  const [issues, setIssues] = useState<readonly ProfileIssue[]>();
  const [checked, setChecked] = useState<string>();
  const [imported, setImported] = useState<readonly ProfileVersion[]>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const body = () => ({ yaml, file });

  const validate = async () => {
    setBusy(true);
    setError(undefined);
    setImported(undefined);
    try {
      const result = await api.request<ValidationResult>('/profiles/validate', {
        method: 'POST',
        body: body(),
      });
      setIssues(result.issues);
      setChecked(yaml);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const created = await api.request<ProfileVersion[]>('/profiles', { method: 'POST', body: body() });
      setImported(created);
      setIssues([]);
      setChecked(yaml);
      onImported();
    } catch (e) {
      if (e instanceof ApiProblem && e.problem?.issues) {
        setIssues(e.problem.issues);
        setChecked(yaml);
      } else setError(e);
    } finally {
      setBusy(false);
    }
  };

  const shownIssues = checked === yaml ? issues : undefined;
  const issuesRef = useRef<HTMLDivElement>(null);
  const issueCount = shownIssues?.length ?? 0;
  // New problems: bring them into view (they sit under the text box, often below the fold).
  useEffect(() => {
    if (issueCount > 0) issuesRef.current?.scrollIntoView({ block: 'start' });
  }, [issues, issueCount]);
  return (
    <div className="import">
      <h2>Import a profile</h2>
      <p className="muted">
        Choose a profile file or paste it below. A profile with local charts or files is sent with them as a
        bundle by <code>strata profile apply -f FILE</code>: the hub reads no folder of its own.
      </p>
      <div className="import-fields">
        <label className="field">
          <span>Profile file</span>
          <input
            type="file"
            accept=".yaml,.yml,application/yaml,text/yaml"
            onChange={(e) => {
              const chosen = e.target.files?.[0];
              if (!chosen) return;
              setFile(chosen.name);
              void chosen.text().then((text) => {
                setYaml(text);
                setIssues(undefined);
              });
            }}
          />
        </label>
        <label className="field">
          <span>File name (for error messages)</span>
          <input
            value={file}
            onChange={(e) => {
              setFile(e.target.value);
            }}
          />
        </label>
      </div>
      <label className="field">
        <span>YAML</span>
        <textarea
          className="yaml-input"
          value={yaml}
          rows={issueCount > 0 ? 6 : 12}
          spellCheck={false}
          onChange={(e) => {
            setYaml(e.target.value);
          }}
          aria-describedby={shownIssues && shownIssues.length > 0 ? 'import-issues' : undefined}
        />
      </label>
      <div className="actions">
        <button
          type="button"
          className="button"
          onClick={() => void validate()}
          disabled={busy || yaml.trim() === ''}
        >
          Validate
        </button>
        {can(role, 'operator') ? (
          <button
            type="button"
            className="button primary"
            onClick={() => void submit()}
            disabled={busy || yaml.trim() === ''}
          >
            Import
          </button>
        ) : null}
        {shownIssues?.length === 0 && !imported ? (
          <span role="status" className="ok-text">
            <span aria-hidden="true">✓ </span>Valid profile
          </span>
        ) : null}
      </div>
      {error ? <ErrorNote error={error} /> : null}
      {imported ? (
        <p role="status" className="banner banner-ok">
          <span aria-hidden="true">✓ </span>Imported{' '}
          {imported.map((v, i) => (
            <span key={`${v.name}@${v.version}`}>
              {i > 0 ? ', ' : ''}
              <a href={href.profile(v.name, v.version)}>
                {v.name} v{v.version}
              </a>
            </span>
          ))}
          .
        </p>
      ) : null}
      {shownIssues && shownIssues.length > 0 ? (
        <div id="import-issues" className="import-issues" ref={issuesRef}>
          <p className="banner banner-error" role="alert">
            <span aria-hidden="true">✗ </span>
            {shownIssues.length} problem{shownIssues.length === 1 ? '' : 's'} in {file}: shown at their lines
            below.
          </p>
          <YamlView yaml={yaml} issues={shownIssues} label={`${file} with its problems (YAML)`} />
        </div>
      ) : null}
    </div>
  );
}
