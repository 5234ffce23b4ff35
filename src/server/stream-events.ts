// Every message of the live stream, declared once: the route table points at this union, so the OpenAPI
// document and the generated client types (client-types.ts) say exactly what each `kind` carries, and the CLI
// and the UI switch over it instead of guarding `unknown` by hand. The hub builds these (src/hub/stream-events.ts);
// stream-events.test.ts holds the hub's output to this schema.
//
// Persisted events carry `id` (the SSE `id:`, resume with Last-Event-ID); ephemeral ones (connection state,
// summaries, drift, profile and attachment changes) do not: a client that reconnects fetches the views again.
import { z } from 'zod';
import {
  AttachmentSchema,
  ClusterSchema,
  DriftSchema,
  PackSchema,
  PackTransitionSchema,
  ProfileVersionSchema,
} from './schemas.js';

const persisted = { id: z.number().int().describe('the event id: resume after it with Last-Event-ID') };
const time = { time: z.string().describe('ISO-8601') };
const cluster = { cluster: z.string() };
const pack = { pack: z.string() };

const event = <K extends string, S extends z.ZodType>(kind: K, fields: z.ZodRawShape, data: S, id: string) =>
  z.object({ ...fields, kind: z.literal(kind), ...time, data }).meta({ id });

export const PackStatusEventSchema = event(
  'pack.status',
  { ...persisted, ...cluster, ...pack },
  PackSchema.describe("the pack as the cluster page shows it: replace the page's pack of this name"),
  'PackStatusEvent',
);
export const PackTransitionEventSchema = event(
  'pack.transition',
  { ...persisted, ...cluster, ...pack },
  z.object({ transition: PackTransitionSchema }),
  'PackTransitionEvent',
);
export const PackRemovedEventSchema = event(
  'pack.removed',
  { ...persisted, ...cluster, ...pack },
  z.object({}),
  'PackRemovedEvent',
);
export const PackDriftEventSchema = event(
  'pack.drift',
  { ...cluster, ...pack },
  DriftSchema,
  'PackDriftEvent',
);
export const ClusterRegisteredEventSchema = event(
  'cluster.registered',
  { ...persisted, ...cluster },
  z.object({}),
  'ClusterRegisteredEvent',
);
export const ClusterUpdatedEventSchema = event(
  'cluster.updated',
  { ...persisted, ...cluster },
  z.object({}),
  'ClusterUpdatedEvent',
);
export const ClusterRemovedEventSchema = event(
  'cluster.removed',
  { ...persisted, ...cluster },
  z.object({}),
  'ClusterRemovedEvent',
);
export const ClusterConnectionEventSchema = event(
  'cluster.connection',
  cluster,
  z.object({ reachable: z.boolean(), error: z.string().optional() }),
  'ClusterConnectionEvent',
);
export const ClusterSummaryEventSchema = event(
  'cluster.summary',
  cluster,
  ClusterSchema.describe("the cluster's rollup after a change: replace the cluster of this name"),
  'ClusterSummaryEvent',
);
export const AttachmentChangedEventSchema = event(
  'attachment.changed',
  cluster,
  AttachmentSchema.describe('an attachment added or changed, or a newer version of its profile published'),
  'AttachmentChangedEvent',
);
export const AttachmentRemovedEventSchema = event(
  'attachment.removed',
  cluster,
  z.object({ profile: z.string() }),
  'AttachmentRemovedEvent',
);
export const ProfilePublishedEventSchema = event(
  'profile.published',
  {},
  ProfileVersionSchema,
  'ProfilePublishedEvent',
);

export const StreamEventSchema = z
  .discriminatedUnion('kind', [
    PackStatusEventSchema,
    PackTransitionEventSchema,
    PackRemovedEventSchema,
    PackDriftEventSchema,
    ClusterRegisteredEventSchema,
    ClusterUpdatedEventSchema,
    ClusterRemovedEventSchema,
    ClusterConnectionEventSchema,
    ClusterSummaryEventSchema,
    AttachmentChangedEventSchema,
    AttachmentRemovedEventSchema,
    ProfilePublishedEventSchema,
  ])
  .meta({ id: 'Event', description: 'one SSE message: `id:` = id, `event:` = kind, `data:` = this object' });

export type StreamEventBody = z.infer<typeof StreamEventSchema>;
