import { useEffect, useRef, useState } from 'react';
import { MAX_FILE_NAME, uploadFileName } from '../../../src/shared/file-name';
import { MAX_PROFILE_BYTES } from '../../../src/shared/profile-size';
import { ApiProblem } from '../api/client';
import { can } from '../api/session';
import type { ProfileIssue, ProfileVersion, ValidationResult } from '../api/types';
import { href } from '../router';
import { useSession } from '../session-context';
import { ErrorNote } from '../ui/ErrorNote';
import { isBundleName, profileOfBundle } from './bundle-file';
import { YamlView } from './YamlView';

/**
 * Import a profile file (chosen or pasted) or a bundle (a .tgz: the profile with its local charts and files);
 * problems appear at their lines in the text (a bundle's profile.yaml is read for it).
 */
export function ImportPanel({ onImported }: { onImported: () => void }) {
  const { api, role } = useSession();
  const [yaml, setYaml] = useState('');
  const [file, setFile] = useState('profile.yaml');
  const [issues, setIssues] = useState<readonly ProfileIssue[]>();
  const [checked, setChecked] = useState<string>();
  const [imported, setImported] = useState<readonly ProfileVersion[]>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  /** The chosen bundle; `yaml` then holds its profile.yaml (read-only) to show problems against. */
  const [bundle, setBundle] = useState<File>();

  const send = (path: string) =>
    bundle
      ? api.request<unknown>(`${path}?file=${encodeURIComponent(file)}`, {
          method: 'POST',
          text: { body: bundle, contentType: 'application/gzip' },
        })
      : api.request<unknown>(path, { method: 'POST', body: { yaml, file } });

  const validate = async () => {
    setBusy(true);
    setError(undefined);
    setImported(undefined);
    try {
      const result = (await send('/profiles/validate')) as ValidationResult;
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
      const created = (await send('/profiles')) as ProfileVersion[];
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
        Choose a profile file or paste it below. A profile with local charts or files goes with them as a
        bundle: choose the <code>.tgz</code> that{' '}
        <code>strata profile get NAME@VERSION --bundle -o FILE</code> wrote, or use{' '}
        <code>strata profile apply -f FILE</code>. The hub reads no folder of its own.
      </p>
      <div className="import-fields">
        <label className="field">
          <span>Profile file or bundle (.tgz)</span>
          <input
            type="file"
            accept=".yaml,.yml,.tgz,.tar.gz,application/yaml,text/yaml,application/gzip"
            onChange={(e) => {
              const chosen = e.target.files?.[0];
              if (!chosen) return;
              // A chosen file's name may be longer than the hub takes: its end, as the CLI sends it.
              setFile(uploadFileName(chosen.name));
              setIssues(undefined);
              setImported(undefined);
              setError(undefined);
              const bundled = isBundleName(chosen.name);
              setBundle(bundled ? chosen : undefined);
              void (bundled ? profileOfBundle(chosen) : chosen.text()).then((text) => {
                setYaml(text ?? '');
              });
            }}
          />
        </label>
        <label className="field">
          <span>File name (for error messages)</span>
          <input
            value={file}
            maxLength={MAX_FILE_NAME}
            onChange={(e) => {
              setFile(e.target.value);
            }}
          />
        </label>
      </div>
      <label className="field">
        <span>{yamlLabel(bundle, yaml)}</span>
        <textarea
          className="yaml-input"
          value={yaml}
          // Characters, not bytes: text of many-byte characters under it may still be over the hub's limit,
          // which the hub then says at line 1.
          maxLength={MAX_PROFILE_BYTES}
          readOnly={bundle !== undefined}
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
          disabled={busy || (bundle === undefined && yaml.trim() === '')}
        >
          Validate
        </button>
        {can(role, 'operator') ? (
          <button
            type="button"
            className="button primary"
            onClick={() => void submit()}
            disabled={busy || (bundle === undefined && yaml.trim() === '')}
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

/** The text box's label: a bundle's profile.yaml is shown read-only, or said to be unreadable here. */
function yamlLabel(bundle: File | undefined, yaml: string): string {
  if (bundle === undefined) return 'YAML';
  if (yaml === '') return `YAML (no profile.yaml read from ${bundle.name}: the hub says why on Validate)`;
  return `YAML (profile.yaml of ${bundle.name}, read-only)`;
}
