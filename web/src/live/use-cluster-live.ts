// The Cluster Profile page's data: the page route once, then the live stream applied through the reducer.
// The stream is opened BEFORE the page is fetched and its events are kept until the page arrives, then
// replayed over it: a change that happens while the page loads is never lost (see fromPage/applyEvent).
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { ApiProblem, enc, type Api } from '../api/client';
import type { ClusterPage, StreamEvent } from '../api/types';
import { useHubConnection } from './hub-connection';
import { applyEvent, fromPage, type LiveInput, type LiveState } from './reducer';

type Action =
  | { readonly type: 'load'; readonly page: ClusterPage; readonly replay: readonly StreamEvent[] }
  | { readonly type: 'event'; readonly event: LiveInput };

function reduce(state: LiveState | undefined, action: Action): LiveState | undefined {
  if (action.type === 'load') {
    // Replayed events may name packs the fresh page already dropped; they must not trigger another reload.
    const next = action.replay.reduce<LiveState>(applyEvent, fromPage(action.page));
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
  /** Events seen since the current page request started; replayed over its answer. */
  const pending = useRef<StreamEvent[] | null>(null);
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

  const onEvent = useCallback((event: StreamEvent) => {
    pending.current?.push(event);
    dispatch({ type: 'event', event });
  }, []);
  const onHub = useCallback(
    (connected: boolean, since: string | undefined) => {
      dispatch({ type: 'event', event: { kind: 'hub.connection', connected, ...(since ? { since } : {}) } });
      // Back after a drop: the missed stored events replay (Last-Event-ID); what is not stored (connection
      // state, summaries, attachments) comes with the page, fetched again.
      if (connected) void load();
    },
    [load],
  );
  const live = useHubConnection({ api, cluster, onEvent, onHub, onOpen: () => void load() });

  // A pack the page did not know about (a profile attached meanwhile): fetch again.
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
