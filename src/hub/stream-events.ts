// The live stream's events, declared once as zod schemas beside the views they carry: the server's route table
// points at StreamEventSchema, so the OpenAPI document and the generated client types (`Event`) say exactly
// what each `kind` carries, and HubEvent is its inferred type. The hub publishes views, not store records: a
// `pack.status` carries the pack exactly as the cluster page shows it (packView, redacted), a `cluster.summary`
// the cluster's rollup, so no client recomputes a colour, a severity or a count (ADR 0008).
//
// Persisted events carry `id` (the SSE `id:`, resume with Last-Event-ID); ephemeral ones (connection state,
// summaries, drift, profile and attachment changes) do not: a client that reconnects fetches the views again.
import { z } from 'zod';
import type { DesiredPack } from '../engine/index.js';
import { packPhaseDisplay, type ObjectRef, type PackPhase, type PackStatus } from '../status/index.js';
import { EventKind, toPackStatus, type StoredEvent } from '../store/index.js';
import { packView, unreadableStatus } from './present.js';
import {
  AttachmentViewSchema,
  ClusterViewSchema,
  ColorSchema,
  DriftViewSchema,
  PackTransitionSchema,
  PackViewSchema,
  ProfileVersionViewSchema,
  type ClusterView,
  type DriftView,
  type PackView,
  type WarningEventView,
} from './views.js';

/** A cluster's rollup as a client shows it: the hub's view and its colour. */
export const ClusterSummarySchema = ClusterViewSchema.extend({ color: ColorSchema }).meta({ id: 'Cluster' });
export type ClusterSummaryView = z.infer<typeof ClusterSummarySchema>;

const persisted = { id: z.number().int().describe('the event id: resume after it with Last-Event-ID') };
const time = { time: z.string().describe('ISO-8601') };
const cluster = { cluster: z.string() };
const pack = { pack: z.string() };
/** An object declared with no fields (the envelope says it all). */
const nothing = z.object({});

const event = <K extends string, F extends z.ZodRawShape, S extends z.ZodType>(
  kind: K,
  fields: F,
  data: S,
  id: string,
) => z.object({ ...fields, kind: z.literal(kind), ...time, data }).meta({ id });

export const StreamEventSchema = z
  .discriminatedUnion('kind', [
    event(
      'pack.status',
      { ...persisted, ...cluster, ...pack },
      PackViewSchema.describe("the pack as the cluster page shows it: replace the page's pack of this name"),
      'PackStatusEvent',
    ),
    event(
      'pack.transition',
      { ...persisted, ...cluster, ...pack },
      z.object({ transition: PackTransitionSchema }),
      'PackTransitionEvent',
    ),
    event('pack.removed', { ...persisted, ...cluster, ...pack }, nothing, 'PackRemovedEvent'),
    event('pack.drift', { ...cluster, ...pack }, DriftViewSchema, 'PackDriftEvent'),
    event('cluster.registered', { ...persisted, ...cluster }, nothing, 'ClusterRegisteredEvent'),
    event('cluster.updated', { ...persisted, ...cluster }, nothing, 'ClusterUpdatedEvent'),
    event('cluster.removed', { ...persisted, ...cluster }, nothing, 'ClusterRemovedEvent'),
    event(
      'cluster.connection',
      cluster,
      z.object({ reachable: z.boolean(), error: z.string().optional() }),
      'ClusterConnectionEvent',
    ),
    event(
      'cluster.summary',
      cluster,
      ClusterSummarySchema.describe("the cluster's rollup after a change: replace the cluster of this name"),
      'ClusterSummaryEvent',
    ),
    event(
      'attachment.changed',
      cluster,
      AttachmentViewSchema.describe(
        'an attachment added or changed, or a newer version of its profile published',
      ),
      'AttachmentChangedEvent',
    ),
    event('attachment.removed', cluster, z.object({ profile: z.string() }), 'AttachmentRemovedEvent'),
    event('profile.published', {}, ProfileVersionViewSchema, 'ProfilePublishedEvent'),
    event(
      'history.pruned',
      {
        id: z
          .number()
          .int()
          .describe('where the stream continues: the events after this id follow, none of them missing'),
      },
      z
        .object({ lastEventId: z.number().int().describe('the Last-Event-ID the client resumed from') })
        .describe(
          "sent first to a client resuming from an id older than the hub's retention kept (some events after " +
            'it were deleted), as a Kubernetes watch answers 410 Gone: what the client shows may miss changes, so ' +
            'it reads its views again (the page, the list); the stream then continues after `id`',
        ),
      'HistoryPrunedEvent',
    ),
  ])
  .meta({ id: 'Event', description: 'one SSE message: `id:` = id, `event:` = kind, `data:` = this object' });

/** A stream event, with the envelope fields some kinds carry readable (as undefined) on all. */
export type HubEvent = z.infer<typeof StreamEventSchema> & {
  readonly id?: number;
  readonly cluster?: string;
  readonly pack?: string;
};
export type HubEventKind = HubEvent['kind'];

/** What a pack's view is built from besides its status: where it sits, its redactor, the cluster's state. */
export interface PackContext {
  readonly desired: DesiredPack;
  readonly stale: boolean;
  readonly drift?: DriftView;
  /**
   * A resource's recent Warning events, as the page read gives them: without them a status event would replace
   * the page's pack with one whose events list is empty (the open pack detail would lose it).
   */
  readonly warnings?: (ref: ObjectRef) => readonly WarningEventView[];
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
      // What the view is built from is taken now (the pack's place, redactor, drift and the cluster's state
      // as they are when the event is published); the view itself when `data` is first read, once, then kept:
      // by the stream's fan-out when a connected client is to get the event, and shared by all of them. With
      // no client, no view: an install's status events built one per event per pack, each resource's view
      // with it, for nobody (issue 15: 79-104 MiB promoted over the 10k-object bench step). A resource's
      // recent Warning events are read when the view is built, in the same turn of the event loop or the next.
      const pack = context(event.cluster, event.pack);
      const stored = event.status;
      let view: PackView | undefined;
      const lazy = {
        ...base,
        kind: 'pack.status' as const,
        pack: event.pack,
        get data(): PackView {
          return (view ??= statusView(event.pack, toPackStatus(stored), pack));
        },
      };
      timings.set(lazy, stored);
      return lazy;
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

/** A pack.status event's view, as the page shows the pack (or as unplaced when the hub does not run it). */
function statusView(name: string, status: PackStatus, pack: PackContext | undefined): PackView {
  const view = (shown: PackStatus) =>
    pack ? packView(pack.desired, shown, pack.stale, pack.drift, pack.warnings) : unplacedView(name, shown);
  try {
    return view(status);
  } catch (error) {
    // Built during a fan-out, a throw would stop it for every client: the pack says what went wrong instead.
    return view(unreadableStatus(status, error));
  }
}

/** The phase and times of the statuses of pack.status events, read without building their views. */
const timings = new WeakMap<object, PackTiming>();

/** What a pack.status event says of the pack's run, as its view does (its phase, start and end times). */
export interface PackTiming {
  readonly phase: PackPhase;
  /** Absent or empty: not started (the view leaves it out). */
  readonly startTime?: string;
  readonly endTime?: string;
}

/**
 * The phase and run times a pack.status event carries, without building its view (the metrics read them for
 * every event, connected clients or not); undefined for any other event.
 */
export function packTiming(event: object): PackTiming | undefined {
  return timings.get(event);
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
