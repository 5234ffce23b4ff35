// The overview's live list, a pure function like the page's reducer: the hub sends each cluster's rollup as a
// `cluster.summary` view, so a row is replaced by name, never recounted here. A cluster registered elsewhere
// appears with its first summary; a removed one goes.
import type { ClusterView, StreamEvent } from '../api/types';
import { assertNever } from '../../../src/shared/assert-never';
import type { HubConnection } from './reducer';

export interface ClustersState {
  readonly clusters: readonly ClusterView[] | undefined;
  /** The hub cannot be reached since then: the colours shown are the last known. */
  readonly hubDownSince?: string;
}

export function applyClusterEvent(state: ClustersState, event: StreamEvent | HubConnection): ClustersState {
  if (event.kind === 'hub.connection') {
    if (event.connected === (state.hubDownSince === undefined)) return state;
    if (event.connected) return { clusters: state.clusters };
    return { ...state, hubDownSince: event.since ?? new Date().toISOString() };
  }
  const list = state.clusters;
  if (list === undefined) return state;
  switch (event.kind) {
    case 'cluster.summary': {
      const index = list.findIndex((c) => c.name === event.data.name);
      if (index === -1) {
        const clusters = [...list, event.data].sort((a, b) => a.name.localeCompare(b.name));
        return { ...state, clusters };
      }
      if (JSON.stringify(list[index]) === JSON.stringify(event.data)) return state;
      return { ...state, clusters: list.with(index, event.data) };
    }
    case 'cluster.connection': {
      const index = list.findIndex((c) => c.name === event.cluster);
      const cluster = list[index];
      if (cluster === undefined) return state;
      const { reachable, error } = event.data;
      if (cluster.reachable === reachable && cluster.error === error) return state;
      const { error: _old, ...rest } = cluster;
      const next = { ...rest, reachable, ...(error === undefined ? {} : { error }) };
      return { ...state, clusters: list.with(index, next) };
    }
    case 'cluster.removed': {
      const clusters = list.filter((c) => c.name !== event.cluster);
      return clusters.length === list.length ? state : { ...state, clusters };
    }
    case 'cluster.registered': // its first cluster.summary adds it
    case 'cluster.updated':
    case 'pack.status': // each pack change is followed by its cluster's summary
    case 'pack.removed':
    case 'pack.transition':
    case 'pack.drift':
    case 'attachment.changed':
    case 'attachment.removed':
    case 'profile.published':
    case 'history.pruned': // retention deletes pack statuses and transitions; the rows come from summaries
      return state;
    default:
      return assertNever(event);
  }
}
