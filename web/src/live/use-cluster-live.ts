// The Cluster Profile page's data: the page route once, then the live stream applied through the reducer.
// The stream is opened BEFORE the page is fetched and its events are kept until the page arrives, then
// replayed over it: a change that happens while the page loads is never lost (see fromPage/applyEvent).
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { ApiProblem, enc, type Api } from '../api/client';
import { openStream } from '../api/stream';
import type { ClusterPage } from '../api/types';
import { toLiveEvent, type LiveEvent } from './events';
import { applyEvent, fromPage, type LiveState } from './reducer';

type Action =
  | { readonly type: 'load'; readonly page: ClusterPage; readonly replay: readonly LiveEvent[] }
  | { readonly type: 'event'; readonly event: LiveEvent };

function reduce(state: LiveState | undefined, action: Action): LiveState | undefined {
  if (action.type === 'load') {
    // Replayed events may name packs the fresh page already dropped; they must not trigger another reload.
    const next = action.replay.reduce(applyEvent, fromPage(action.page));
    return next.needsReload ? { ...next, needsReload: false } : next;
  }
  return state === undefined ? state : applyEvent(state, action.event);
}

export interface ClusterLive {
  readonly state: LiveState | undefined;
  readonly error: ApiProblem | Error | undefined;
  /** The stream is connected; false while it reconnects (the page shows that its data may lag). */
  readonly live: boolean;
  readonly reload: () => void;
}

export function useClusterLive(api: Api, cluster: string): ClusterLive {
  const [state, dispatch] = useReducer(reduce, undefined);
  const [error, setError] = useState<ApiProblem | Error>();
  const [live, setLive] = useState(false);
  /** Events seen since the current page request started; replayed over its answer. */
  const pending = useRef<LiveEvent[] | null>(null);
  const loading = useRef(false);

  const load = useCallback(async () => {
    if (loading.current) return;
    loading.current = true;
    pending.current = [];
    try {
      const page = await api.get<ClusterPage>(`/clusters/${enc(cluster)}/page`);
      dispatch({ type: 'load', page, replay: pending.current });
      setError(undefined);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      pending.current = null;
      loading.current = false;
    }
  }, [api, cluster]);

  useEffect(() => {
    const close = openStream({
      token: api.token,
      cluster,
      onEvent: (raw) => {
        const event = toLiveEvent(raw);
        if (event.kind === 'other') return;
        pending.current?.push(event);
        dispatch({ type: 'event', event });
      },
      onConnection: (connected, resumed) => {
        setLive(connected);
        // Connection state is not replayed on resume (it is not stored); the page route knows it.
        if (connected && resumed) void load();
      },
    });
    void load();
    return close;
  }, [api, cluster, load]);

  // A pack the page did not know about (a profile attached elsewhere) or a changed cluster: fetch again.
  const needsReload = state?.needsReload === true;
  useEffect(() => {
    if (!needsReload) return;
    const timer = setTimeout(() => void load(), 250);
    return () => {
      clearTimeout(timer);
    };
  }, [needsReload, load]);

  const reload = useCallback(() => void load(), [load]);
  return { state, error, live, reload };
}
