import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Api, onUnauthorized } from './api/client';
import { can, forgetToken, savedToken, detectRole } from './api/session';
import type { Role } from './api/types';
import { ClusterPageView } from './cluster/ClusterPageView';
import { LoginPage } from './pages/LoginPage';
import { OverviewPage } from './pages/OverviewPage';
import { ProfilesPage } from './profiles/ProfilesPage';
import { SourcesPage } from './sources/SourcesPage';
import { href, useRoute, type Route } from './router';
import { SessionContext, type Session } from './session-context';
import { useTheme } from './theme';

interface Signed {
  readonly token: string;
  readonly role: Role;
}

export function App() {
  const [theme, toggleTheme] = useTheme();
  const [signed, setSigned] = useState<Signed>();
  const [checking, setChecking] = useState(() => savedToken() !== undefined);
  const [notice, setNotice] = useState<string>();

  const logout = useCallback((why?: string) => {
    forgetToken();
    setSigned(undefined);
    setNotice(why);
  }, []);

  // A token kept in this tab's sessionStorage: check it (and learn its role) before showing anything.
  useEffect(() => {
    const token = savedToken();
    if (token === undefined) return;
    detectRole(new Api(token))
      .then((role) => {
        setSigned({ token, role });
      })
      .catch(() => {
        logout('Your session ended: sign in again.');
      })
      .finally(() => {
        setChecking(false);
      });
  }, [logout]);

  useEffect(
    () =>
      onUnauthorized(() => {
        logout('The hub no longer accepts this token (revoked or expired): sign in again.');
      }),
    [logout],
  );

  const session = useMemo<Session | undefined>(
    () =>
      signed && {
        api: new Api(signed.token, { reportUnauthorized: true }),
        role: signed.role,
        downgrade: (role) => {
          setSigned((s) => (s ? { ...s, role } : s));
        },
        logout: () => {
          logout();
        },
      },
    [signed, logout],
  );

  const themeButton = (
    <button
      type="button"
      className="button ghost"
      onClick={toggleTheme}
      aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
    >
      {theme === 'dark' ? '☀ Light' : '☾ Dark'}
    </button>
  );

  if (checking) return <p className="center-note">Checking your session…</p>;
  if (!session) {
    return (
      <LoginPage
        notice={notice}
        themeButton={themeButton}
        onSignedIn={(token, role) => {
          setNotice(undefined);
          setSigned({ token, role });
        }}
      />
    );
  }
  return (
    <SessionContext.Provider value={session}>
      <Shell themeButton={themeButton} />
    </SessionContext.Provider>
  );
}

function Shell({ themeButton }: { themeButton: React.ReactNode }) {
  const route = useRoute();
  useFocusKeptOnNavigation(route);
  return (
    <SessionContext.Consumer>
      {(session) => (
        <>
          <a className="skip-link" href="#main" onClick={skipToMain}>
            Skip to content
          </a>
          <header className="topbar">
            <a className="brand" href={href.overview()}>
              <span aria-hidden="true">▤</span> Strata
            </a>
            <nav aria-label="Main">
              <a
                href={href.overview()}
                aria-current={route.view === 'overview' || route.view === 'cluster' ? 'page' : undefined}
              >
                Clusters
              </a>
              <a href={href.profiles()} aria-current={route.view === 'profiles' ? 'page' : undefined}>
                Profiles
              </a>
              {session && can(session.role, 'admin') ? (
                <a href={href.sources()} aria-current={route.view === 'sources' ? 'page' : undefined}>
                  Sources
                </a>
              ) : null}
            </nav>
            <div className="topbar-end">
              <span className="role-chip" title="What this token may do">
                role: <strong>{session?.role}</strong>
              </span>
              {themeButton}
              <button type="button" className="button ghost" onClick={session?.logout}>
                Sign out
              </button>
            </div>
          </header>
          <main id="main" tabIndex={-1}>
            <RouteView route={route} />
          </main>
        </>
      )}
    </SessionContext.Consumer>
  );
}

/**
 * A link that navigates is usually replaced by the new view, and focus falls back to <body>: keyboard and screen
 * reader users would start again from the top of the page. After a route change that dropped focus, put it on
 * <main>, so the next Tab is the new view's first control. Views that place focus themselves (the pack detail
 * focuses its heading, Escape returns to the pack's row) run their effects first and are left alone.
 */
function useFocusKeptOnNavigation(route: Route) {
  const key = JSON.stringify(route);
  const previous = useRef(key);
  useEffect(() => {
    if (previous.current === key) return;
    previous.current = key;
    const active = document.activeElement;
    if (active === null || active === document.body) {
      document.getElementById('main')?.focus({ preventScroll: true });
    }
  }, [key]);
}

function skipToMain(event: React.MouseEvent) {
  // The hash is the router's: focus the content without changing the URL.
  event.preventDefault();
  document.getElementById('main')?.focus();
}

function RouteView({ route }: { route: Route }) {
  switch (route.view) {
    case 'overview':
      return <OverviewPage />;
    case 'cluster':
      return (
        <ClusterPageView key={route.cluster} cluster={route.cluster} pack={route.pack} tab={route.tab} />
      );
    case 'profiles':
      return <ProfilesPage profile={route.profile} version={route.version} />;
    case 'sources':
      return <SourcesPage />;
    case 'not-found':
      return (
        <section className="page">
          <h1>Not found</h1>
          <p>
            Nothing lives at <code>{route.path}</code>. <a href={href.overview()}>Go to the clusters</a>.
          </p>
        </section>
      );
  }
}
