import { useState } from 'react';
import { Api, ApiProblem } from '../api/client';
import { detectRole, saveToken } from '../api/session';
import type { Role } from '../api/types';

export function LoginPage({
  notice,
  themeButton,
  onSignedIn,
}: {
  notice: string | undefined;
  themeButton: React.ReactNode;
  onSignedIn: (token: string, role: Role) => void;
}) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: React.SyntheticEvent) => {
    event.preventDefault();
    const value = token.trim();
    if (value === '') {
      setError('Paste an API token first.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const role = await detectRole(new Api(value));
      saveToken(value);
      onSignedIn(value, role);
    } catch (e) {
      setError(
        e instanceof ApiProblem && e.status === 401
          ? 'The hub does not accept this token (unknown, revoked or mistyped).'
          : `Could not reach the hub: ${e instanceof Error ? e.message : String(e)}`,
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login" id="main">
      <div className="login-theme">{themeButton}</div>
      <form className="login-card" onSubmit={(e) => void submit(e)} aria-labelledby="login-title">
        <h1 id="login-title">
          <span aria-hidden="true">▤</span> Strata
        </h1>
        <p className="muted">
          Sign in with an API token. An admin creates one with <code>strata token create</code>.
        </p>
        {notice ? (
          <p className="banner banner-warn" role="status">
            {notice}
          </p>
        ) : null}
        <label className="field" htmlFor="token">
          <span>API token</span>
        </label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={token}
          onChange={(e) => {
            setToken(e.target.value);
          }}
          aria-invalid={error !== undefined}
          aria-describedby={error ? 'token-error' : 'token-help'}
          autoFocus
        />
        <p id="token-help" className="muted small">
          Kept in this browser tab only (sessionStorage) until you sign out or close the tab.
        </p>
        {error ? (
          <p id="token-error" className="banner banner-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
