// The overview's data: the cluster list once (and again after the hub comes back), then each cluster's
// summary as the stream sends it.
import { useCallback, useReducer, useRef, useState } from 'react';
import type { Api } from '../api/client';
import type { ClusterView, StreamEvent } from '../api/types';
import { applyClusterEvent, type ClustersState } from './clusters';
import { useHubConnection } from './hub-connection';
import type { HubConnection } from './reducer';

type Action =
  | {
      readonly type: 'load';
      readonly clusters: readonly ClusterView[];
      readonly replay: readonly StreamEvent[];
    }
  | { readonly type: 'event'; readonly event: StreamEvent | HubConnection };

function reduce(state: ClustersState, action: Action): ClustersState {
  if (action.type === 'load') {
    const { hubDownSince: _since, ...rest } = state;
    return action.replay.reduce(applyClusterEvent, { ...rest, clusters: action.clusters });
  }
  return applyClusterEvent(state, action.event);
}

export interface ClustersLive extends ClustersState {
  readonly error: Error | undefined;
}

export function useClustersLive(api: Api): ClustersLive {
  const [state, dispatch] = useReducer(reduce, { clusters: undefined });
  const [error, setError] = useState<Error>();
  const pending = useRef<StreamEvent[] | null>(null);

  const load = useCallback(async () => {
    pending.current = [];
    try {
      const clusters = await api.get<ClusterView[]>('/clusters');
      dispatch({ type: 'load', clusters, replay: pending.current });
      setError(undefined);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      pending.current = null;
    }
  }, [api]);

  const onEvent = useCallback((event: StreamEvent) => {
    pending.current?.push(event);
    dispatch({ type: 'event', event });
  }, []);
  const onHub = useCallback(
    (connected: boolean, since: string | undefined) => {
      dispatch({ type: 'event', event: { kind: 'hub.connection', connected, ...(since ? { since } : {}) } });
      if (connected) void load();
    },
    [load],
  );
  useHubConnection({ api, onEvent, onHub, onOpen: () => void load() });
  return { ...state, error };
}
