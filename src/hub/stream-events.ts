// The live stream's events as the hub publishes them: views, not store records. A `pack.status` event carries
// the pack exactly as the cluster page shows it (packView, redacted), a `cluster.summary` the cluster's
// rollup, so no client recomputes a colour, a severity or a count. The wire schema of this union is
// src/server/stream-events.ts (the route table's); stream-events.test.ts there holds this file to it.
import type { DesiredPack } from '../engine/index.js';
import { packPhaseDisplay, type PackStatus, type PackTransition, type PhaseColor } from '../status/index.js';
import { EventKind, toPackStatus, type StoredEvent } from '../store/index.js';
import type { AttachmentView, ProfileVersionView } from './hub.js';
import { packView, type ClusterView, type DriftView, type PackView } from './views.js';

interface Persisted {
  readonly id: number;
  readonly time: string;
  readonly cluster: string;
}
interface Ephemeral {
  readonly id?: undefined;
  readonly time: string;
}

/** A cluster's rollup as a client shows it: the hub's view and its colour. */
export interface ClusterSummaryView extends ClusterView {
  readonly color: PhaseColor;
}

export type HubEvent =
  | (Persisted & { readonly kind: 'pack.status'; readonly pack: string; readonly data: PackView })
  | (Persisted & {
      readonly kind: 'pack.transition';
      readonly pack: string;
      readonly data: { readonly transition: PackTransition };
    })
  | (Persisted & {
      readonly kind: 'pack.removed';
      readonly pack: string;
      readonly data: Readonly<Record<string, never>>;
    })
  | (Persisted & {
      readonly kind: 'cluster.registered' | 'cluster.updated' | 'cluster.removed';
      readonly data: Readonly<Record<string, never>>;
    })
  | (Ephemeral & {
      readonly kind: 'pack.drift';
      readonly cluster: string;
      readonly pack: string;
      readonly data: DriftView;
    })
  | (Ephemeral & {
      readonly kind: 'cluster.connection';
      readonly cluster: string;
      readonly data: { readonly reachable: boolean; readonly error?: string };
    })
  | (Ephemeral & {
      readonly kind: 'cluster.summary';
      readonly cluster: string;
      readonly data: ClusterSummaryView;
    })
  | (Ephemeral & {
      readonly kind: 'attachment.changed';
      readonly cluster: string;
      readonly data: AttachmentView;
    })
  | (Ephemeral & {
      readonly kind: 'attachment.removed';
      readonly cluster: string;
      readonly data: { readonly profile: string };
    })
  | (Ephemeral & {
      readonly kind: 'profile.published';
      readonly cluster?: undefined;
      readonly data: ProfileVersionView;
    });

export type HubEventKind = HubEvent['kind'];

/** What a pack's view is built from besides its status: where it sits, its redactor, the cluster's state. */
export interface PackContext {
  readonly desired: DesiredPack;
  readonly stale: boolean;
  readonly drift?: DriftView;
}

export function clusterSummary(view: ClusterView): ClusterSummaryView {
  return { ...view, color: packPhaseDisplay[view.phase].color };
}

/**
 * A stored event as the stream publishes it. Status and transition messages pass through the pack's redactor,
 * so a sensitive value that reached a resource message never reaches a stream client (what the store holds
 * was redacted before it was written).
 */
export function streamEvent(
  event: StoredEvent,
  context: (cluster: string, pack: string) => PackContext | undefined,
): HubEvent {
  const base = { id: event.id, time: event.time, cluster: event.cluster };
  switch (event.kind) {
    case EventKind.PackStatus: {
      const pack = context(event.cluster, event.pack);
      const status = toPackStatus(event.status);
      const data = pack
        ? packView(pack.desired, status, pack.stale, pack.drift)
        : unplacedView(event.pack, status);
      return { ...base, kind: 'pack.status', pack: event.pack, data };
    }
    case EventKind.PackTransition: {
      const redactor = context(event.cluster, event.pack)?.desired.redactor;
      const transition = redactor
        ? { ...event.transition, message: redactor.redact(event.transition.message) }
        : event.transition;
      return { ...base, kind: 'pack.transition', pack: event.pack, data: { transition } };
    }
    case EventKind.PackRemoved:
      return { ...base, kind: 'pack.removed', pack: event.pack, data: {} };
    case EventKind.ClusterRegistered:
      return { ...base, kind: 'cluster.registered', data: {} };
    case EventKind.ClusterUpdated:
      return { ...base, kind: 'cluster.updated', data: {} };
    case EventKind.ClusterRemoved:
      return { ...base, kind: 'cluster.removed', data: {} };
  }
}

/**
 * The view of a stored status whose pack the hub does not place now (a replay of a pack removed since, or of a
 * cluster whose runner is not running): its colour and why, with no place in the install order (`order` -1).
 * A client that does not know the pack fetches the page instead of showing this.
 */
export function unplacedView(name: string, status: PackStatus): PackView {
  const display = packPhaseDisplay[status.phase];
  return {
    name,
    profile: '',
    layer: '',
    version: '',
    type: '',
    wave: -1,
    order: -1,
    explanation: 'not placed: the pack is no longer desired on this cluster, or its runner is not running',
    phase: status.phase,
    color: display.color,
    icon: display.icon,
    label: display.label,
    condition: status.condition,
    reason: status.reason,
    message: status.message,
    progress: status.progress,
    ...(status.startTime ? { startTime: status.startTime } : {}),
    ...(status.endTime ? { endTime: status.endTime } : {}),
    stale: true,
    resources: status.resources.map((r) => ({
      ref: r.ref,
      state: r.evaluation.state,
      reason: r.evaluation.reason,
      message: r.evaluation.message,
      ...(r.hook ? { hook: true as const } : {}),
    })),
  };
}
