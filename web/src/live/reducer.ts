// The Cluster Profile page's live state as a pure function (style.md rule 5): (state, event) => state, the
// same reference when the event changes nothing, so React re-renders only what an event touched.
//
// The hub sends views (src/hub/stream-events.ts): a `pack.status` carries the pack as the page shows it, a
// `cluster.summary` the cluster's colour and counts. So this reducer replaces by name and never works out a
// colour, a severity or a count itself: the rules live once, in the hub.
import type { AttachmentView, ClusterPage, ClusterView, PackView, StreamEvent } from '../api/types';
import { assertNever } from '../../../src/shared/assert-never';

/** The hub's stream itself: lost (after a short grace) or back. Not a hub event: the page's own knowledge. */
export interface HubConnection {
  readonly kind: 'hub.connection';
  readonly connected: boolean;
  /** When the stream dropped (ISO-8601); the banner says "since". */
  readonly since?: string;
}

export type LiveInput = StreamEvent | HubConnection;

export interface LiveState {
  readonly cluster: ClusterView;
  readonly attachments: ClusterPage['attachments'];
  /** In install order, as the page route returned them. */
  readonly packs: readonly PackView[];
  /** Per pack: the id of the last status event applied; an older one arriving late is ignored. */
  readonly seq: Readonly<Record<string, number>>;
  /** An event named a pack the page cannot place (a profile attached meanwhile): fetch the page again. */
  readonly needsReload: boolean;
  readonly removed: boolean;
  /** The hub cannot be reached since then: every colour on the page is the last one known. */
  readonly hubDownSince?: string;
}

export function fromPage(page: ClusterPage): LiveState {
  return {
    cluster: page.cluster,
    attachments: page.attachments,
    packs: page.packs,
    seq: {},
    needsReload: false,
    removed: false,
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function applyEvent(state: LiveState, event: LiveInput): LiveState {
  if (event.kind === 'hub.connection') return applyHub(state, event);
  if (event.kind === 'profile.published') return state; // Reaches this page as attachment.changed.
  // The hub's retention deleted pack statuses this page resumed past: a pack may show a stale colour. Read the
  // page again (the stream goes on from where nothing is missing).
  if (event.kind === 'history.pruned') return state.needsReload ? state : { ...state, needsReload: true };
  if (event.cluster !== state.cluster.name) return state;
  switch (event.kind) {
    case 'pack.status':
      return applyPack(state, event.id, event.data);
    case 'pack.removed': {
      const packs = state.packs.filter((p) => p.name !== event.pack);
      if (packs.length === state.packs.length) return state;
      const { [event.pack]: _gone, ...seq } = state.seq;
      return { ...state, packs, seq };
    }
    case 'pack.drift': {
      // Not ordered by id (drift is not stored as an event): the newest time wins.
      const index = state.packs.findIndex((p) => p.name === event.pack);
      const pack = state.packs[index];
      if (pack === undefined || (pack.lastDrift !== undefined && pack.lastDrift.time >= event.data.time))
        return state;
      return { ...state, packs: state.packs.with(index, { ...pack, lastDrift: event.data }) };
    }
    case 'cluster.summary':
      return same(state.cluster, event.data) ? state : { ...state, cluster: event.data };
    case 'cluster.connection': {
      const { cluster } = state;
      const { reachable, error } = event.data;
      if (cluster.reachable === reachable && cluster.error === error) return state;
      const { error: _old, ...rest } = cluster;
      return {
        ...state,
        cluster: { ...rest, reachable, ...(error === undefined ? {} : { error }) },
        // The hub's views say `stale` while the cluster is unreachable; the packs it has not re-sent yet too.
        packs: state.packs.map((p) => (p.stale === !reachable ? p : { ...p, stale: !reachable })),
      };
    }
    case 'attachment.changed':
      return applyAttachment(state, event.data);
    case 'attachment.removed': {
      const attachments = state.attachments.filter((a) => a.profile !== event.data.profile);
      return attachments.length === state.attachments.length ? state : { ...state, attachments };
    }
    case 'cluster.removed':
      return state.removed ? state : { ...state, removed: true };
    case 'cluster.registered':
    case 'cluster.updated':
    case 'pack.transition':
      // A cluster.summary follows a registration or update; transitions are the timeline's, fetched there.
      return state;
    default:
      return assertNever(event);
  }
}

function applyPack(state: LiveState, id: number, view: PackView): LiveState {
  // order -1: a stored status the hub no longer places (a replay of a pack removed since).
  if (view.order < 0) return state;
  const index = state.packs.findIndex((p) => p.name === view.name);
  if (index === -1) return state.needsReload ? state : { ...state, needsReload: true };
  if (id <= (state.seq[view.name] ?? 0)) return state;
  const current = state.packs[index] as PackView;
  const seq = { ...state.seq, [view.name]: id };
  if (same(current, view)) return { ...state, seq };
  return { ...state, packs: state.packs.with(index, view), seq };
}

function applyAttachment(state: LiveState, view: AttachmentView): LiveState {
  const index = state.attachments.findIndex((a) => a.profile === view.profile);
  if (index === -1) return { ...state, attachments: [...state.attachments, view] };
  if (same(state.attachments[index], view)) return state;
  return { ...state, attachments: state.attachments.with(index, view) };
}

/**
 * The hub's stream dropped: every badge is marked as the last known (as for an unreachable cluster) until the
 * stream is back and the hub's own views replace them.
 */
function applyHub(state: LiveState, event: HubConnection): LiveState {
  if (event.connected) {
    if (state.hubDownSince === undefined) return state;
    const { hubDownSince: _since, ...rest } = state;
    return rest;
  }
  if (state.hubDownSince !== undefined) return state;
  return {
    ...state,
    hubDownSince: event.since ?? new Date().toISOString(),
    packs: state.packs.map((p) => (p.stale ? p : { ...p, stale: true })),
  };
}
