// The Cluster Profile page's live state as a pure function (style.md rule 5): (state, event) => state, the
// same reference when the event changes nothing, so React re-renders only what an event touched. Packs keep
// their place in install order and their object identity unless their own status changed.
import type { ClusterPage, ClusterView, PackStatusRecord, PackView, ResourceView } from '../api/types';
import { emptyCounts } from '../status/counts';
import { phaseDisplay, worstPhase } from '../status/phase';
import { assertNever } from '../assert-never';
import type { LiveEvent } from './events';

export interface LiveState {
  readonly cluster: ClusterView;
  readonly attachments: ClusterPage['attachments'];
  /** In install order, as the page route returned them. */
  readonly packs: readonly PackView[];
  /** Per pack: the id of the last status event applied; an older one arriving late is ignored. */
  readonly seq: Readonly<Record<string, number>>;
  /** An event named something the page cannot place (a new pack, a changed cluster): fetch the page again. */
  readonly needsReload: boolean;
  readonly removed: boolean;
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

export function applyEvent(state: LiveState, event: LiveEvent): LiveState {
  if (event.kind === 'other' || event.cluster !== state.cluster.name) return state;
  switch (event.kind) {
    case 'pack.status':
      return applyStatus(state, event.id, event.pack, event.status);
    case 'pack.removed': {
      const packs = state.packs.filter((p) => p.name !== event.pack);
      if (packs.length === state.packs.length) return state;
      const { [event.pack]: _gone, ...seq } = state.seq;
      return { ...state, packs, seq, cluster: rollup(state.cluster, packs) };
    }
    case 'pack.drift': {
      // Not ordered by id (drift is not stored as an event): the newest time wins.
      const index = state.packs.findIndex((p) => p.name === event.pack);
      const pack = state.packs[index];
      if (pack === undefined || (pack.lastDrift !== undefined && pack.lastDrift.time >= event.drift.time))
        return state;
      return { ...state, packs: state.packs.with(index, { ...pack, lastDrift: event.drift }) };
    }
    case 'cluster.connection': {
      const { cluster } = state;
      if (cluster.reachable === event.reachable && cluster.error === event.error) return state;
      const { error: _old, ...rest } = cluster;
      const next: ClusterView = {
        ...rest,
        reachable: event.reachable,
        ...(event.error === undefined ? {} : { error: event.error }),
      };
      // While the cluster cannot be reached every colour is the last one known (pack-status.md).
      const packs = state.packs.map((p) =>
        p.stale === !event.reachable ? p : { ...p, stale: !event.reachable },
      );
      return { ...state, cluster: next, packs };
    }
    case 'cluster.changed':
      return state.needsReload ? state : { ...state, needsReload: true };
    case 'cluster.removed':
      return state.removed ? state : { ...state, removed: true };
    default:
      return assertNever(event);
  }
}

function applyStatus(state: LiveState, id: number, name: string, status: PackStatusRecord): LiveState {
  const index = state.packs.findIndex((p) => p.name === name);
  if (index === -1) return state.needsReload ? state : { ...state, needsReload: true };
  if (id <= (state.seq[name] ?? 0)) return state;
  const current = state.packs[index] as PackView;
  const updated = withStatus(current, status);
  if (updated === current) return state;
  const packs = state.packs.with(index, updated);
  return { ...state, packs, seq: { ...state.seq, [name]: id }, cluster: rollup(state.cluster, packs) };
}

/** The pack with a new status, or the same object when the status shows nothing new. */
export function withStatus(pack: PackView, status: PackStatusRecord): PackView {
  const display = phaseDisplay[status.phase];
  const resources: ResourceView[] = status.resources.map((r) => ({
    ref: r.ref,
    state: r.evaluation.state,
    reason: r.evaluation.reason,
    message: r.evaluation.message,
  }));
  const same =
    pack.phase === status.phase &&
    pack.condition === status.condition &&
    pack.reason === status.reason &&
    pack.message === status.message &&
    pack.progress.ready === status.progress.ready &&
    pack.progress.total === status.progress.total &&
    pack.startTime === status.startTime &&
    pack.endTime === status.endTime &&
    pack.runs?.length === status.runs?.length &&
    pack.runs?.at(-1)?.endTime === status.runs?.at(-1)?.endTime &&
    JSON.stringify(pack.resources) === JSON.stringify(resources);
  if (same) return pack;
  const { startTime: _s, endTime: _e, runs: _r, ...rest } = pack;
  return {
    ...rest,
    phase: status.phase,
    color: display.color,
    icon: display.icon,
    label: display.label,
    condition: status.condition,
    reason: status.reason,
    message: status.message,
    progress: { ready: status.progress.ready, total: status.progress.total },
    ...(status.startTime === undefined ? {} : { startTime: status.startTime }),
    ...(status.endTime === undefined ? {} : { endTime: status.endTime }),
    ...(status.runs === undefined ? {} : { runs: [...status.runs] }),
    resources,
  };
}

/** The cluster's colour and counts follow its packs (worst first). */
function rollup(cluster: ClusterView, packs: readonly PackView[]): ClusterView {
  const counts = emptyCounts();
  for (const p of packs) counts[p.phase]++;
  const phase = worstPhase(packs.map((p) => p.phase));
  return { ...cluster, counts, packs: packs.length, phase, color: phaseDisplay[phase].color };
}
