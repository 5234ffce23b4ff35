// What the hub and `strata agent` say to each other (issue 16), declared once: the hub's agent routes
// (src/server/routes/agent.ts) validate and document with these, the agent (src/agent) validates the hub's
// answers with the same ones. The agent pulls its cluster's desired state and pushes its runner's events.
import { z } from 'zod';
import type { Pack } from '../profile/index.js';
import { MAX_RUNS, type HealthRuleSpec, type PackStatus } from '../status/index.js';
import {
  AGENT_DETAIL_LIMITS,
  cleanText,
  deeperThan,
  detailsBytes,
  PackDetailsEventSchema,
} from './agents-details.js';

export { packDetails } from './agents-details.js';
import {
  ConditionSchema,
  DriftPolicySchema,
  ObjectRefSchema,
  PackRunSchema,
  PackTransitionSchema,
  PhaseSchema,
  ResourceStateSchema,
} from './views.js';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A resolved pack (src/profile's `Pack`, macros substituted): what the hub's planner made of the profile. */
const ResolvedPackSchema = z
  .custom<Pack>(
    (value) => isObject(value) && typeof value.name === 'string' && typeof value.type === 'string',
  )
  .describe('the resolved pack (variables and macros substituted for this cluster)');

const HealthRuleSpecSchema = z
  .custom<HealthRuleSpec>(isObject)
  .describe('a health rule for custom resources (src/status HealthRuleSpec)');

/** sha256, hex: a chart archive's name in the hub's store and in the agent's state dir. */
export const DigestSchema = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 digest in hex');

/**
 * The largest chart archive the hub serves (its store's limit on one file, MAX_BLOB_BYTES): the agent reads no
 * more of an answer than this.
 */
export const MAX_AGENT_CHART_BYTES = 20 * 1024 * 1024;

export const AgentPackSchema = z.object({
  pack: ResolvedPackSchema,
  profile: z.object({ name: z.string(), version: z.string() }),
  wave: z.number().int(),
  order: z.number().int(),
  explanation: z.string(),
  healthChecks: z.array(HealthRuleSpecSchema).optional(),
  sensitive: z
    .array(z.string())
    .optional()
    .describe(
      "the pack's sensitive values (already in its resolved values): the agent redacts them from what it reports",
    ),
  chart: z
    .object({ digest: DigestSchema })
    .optional()
    .describe('the chart archive to render from: GET /api/v1/agent/charts/{digest}'),
});
export type AgentPack = z.infer<typeof AgentPackSchema>;

export const AgentDesiredSchema = z
  .object({
    cluster: z.string(),
    driftPolicy: DriftPolicySchema,
    packs: z.array(AgentPackSchema).describe('in install order'),
    healthRules: z.array(HealthRuleSpecSchema).describe('the cluster-wide health rules in force'),
    actions: z
      .object({
        resync: z.number().int().describe('bumped by each resync request'),
        retry: z.record(z.string(), z.number().int()).describe('per pack, bumped by each retry request'),
      })
      .describe('requests to carry out: the agent acts when a counter grows'),
    pollSeconds: z.number().positive().describe('how often the agent should ask again'),
    session: z
      .string()
      .describe(
        "names the hub's record of the agent in memory: a new one (a hub restart, another replica driving) " +
          'has none of its pack details, and the agent sends them again',
      ),
  })
  .meta({ id: 'AgentDesired' });
export type AgentDesired = z.infer<typeof AgentDesiredSchema>;

/**
 * Every part of a pack status, each object strict: a status with a field missing would be stored and then fail
 * every read of its cluster's page, and one with a field the hub does not know would be stored and served to
 * every viewer as it came (security review 10, item 3: a stolen agent token stored ~1 MiB of junk per push).
 * Either is refused (400) naming the field. Not stripped: the agent and the hub are the same release (the agent
 * checks the hub's answers the same way), so an unknown field is a version mismatch or a forgery, and a silent
 * loss would hide the first. A field added to PackStatus must be added here (WireFieldsComplete below fails to
 * compile otherwise), in the same release.
 */
const WireRefSchema = z.strictObject(ObjectRefSchema.shape);
const PackStageShape = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('Waiting'),
    waitingFor: z.array(z.strictObject({ pack: z.string(), phase: PhaseSchema })),
    wave: z.strictObject({ wave: z.number(), phases: z.array(PhaseSchema) }).optional(),
  }),
  z.strictObject({ type: z.literal('Blocked'), blockedBy: z.string() }),
  z.strictObject({ type: z.literal('Retrying'), attempt: z.number(), cause: z.string() }),
  z.strictObject({ type: z.enum(['RenderFailed', 'ApplyFailed']), error: z.string() }),
  z.strictObject({ type: z.enum(['Queued', 'Rendering', 'Applying', 'Applied']) }),
  z.strictObject({
    type: z.literal('Uninstalling'),
    kept: z.array(WireRefSchema).optional(),
    hooksSkipped: z.boolean().optional(),
    deletingCrds: z.array(z.strictObject({ ref: WireRefSchema, customResources: z.number() })).optional(),
    deletedAgain: z.array(WireRefSchema).optional(),
  }),
]);

/**
 * The most resources one stored status may list: the most objects the hub's own renderer lets one pack render
 * (src/engine/render.ts MAX_OBJECTS), so an honest agent, whose runner renders the same way, never reaches it.
 */
export const MAX_AGENT_STATUS_RESOURCES = 5000;

const PackStatusShape = z.strictObject({
  phase: PhaseSchema,
  condition: ConditionSchema,
  reason: z.string(),
  message: z.string(),
  progress: z.strictObject({ ready: z.number().int().min(0), total: z.number().int().min(0) }),
  resources: z
    .array(
      z.strictObject({
        ref: WireRefSchema,
        evaluation: z.strictObject({
          state: ResourceStateSchema,
          reason: z.string(),
          message: z.string(),
          cause: WireRefSchema.optional(),
        }),
        hook: z.literal(true).optional(),
      }),
    )
    .max(MAX_AGENT_STATUS_RESOURCES),
  revision: z.string(),
  operation: z.enum(['install', 'upgrade', 'uninstall']),
  stage: PackStageShape,
  timedOut: z.strictObject({ deadline: z.string(), after: z.string().optional() }).optional(),
  startTime: z.string().optional(),
  endTime: z.string().optional(),
  // As many as the hub's own reducer keeps: the runs route pages them, the page shows how many there are.
  runs: z.array(z.strictObject(PackRunSchema.shape)).max(MAX_RUNS).optional(),
  transitions: z.array(z.strictObject(PackTransitionSchema.shape)),
});

/** Compiles only while every field of PackStatus is on the wire (a strict schema would refuse a missing one). */
type WireFieldsComplete =
  Exclude<keyof PackStatus, keyof z.output<typeof PackStatusShape>> extends never ? true : never;
export const WIRE_FIELDS_COMPLETE: WireFieldsComplete = true;

/**
 * A pack status as the runner reports it (src/status PackStatus), checked for every field the hub reads; an
 * issue names its path (`status.resources.0.evaluation: …`).
 */
export const WirePackStatusSchema = z
  .custom<PackStatus>()
  .superRefine((value, ctx) => {
    const checked = PackStatusShape.safeParse(value);
    if (checked.success) return;
    for (const issue of checked.error.issues) {
      ctx.addIssue({ code: 'custom', path: issue.path, message: `not a pack status: ${issue.message}` });
    }
  })
  .describe('a pack status as src/status PackStatus defines it');

/** One of the runner's events (src/engine RunnerEvent), without the cluster: the token says which. */
export const AgentEventSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('PackStatusChanged'),
    pack: z.string(),
    profile: z.string(),
    status: WirePackStatusSchema,
  }),
  z.strictObject({ type: z.literal('PackRemoved'), pack: z.string(), time: z.string() }),
  z.strictObject({
    type: z.literal('DriftDetected'),
    pack: z.string(),
    ref: ObjectRefSchema,
    message: z.string(),
    correcting: z.boolean(),
    time: z.string(),
  }),
  z.strictObject({
    type: z.literal('ConnectionChanged'),
    reachable: z.boolean(),
    error: z.string().optional(),
    time: z.string(),
  }),
  PackDetailsEventSchema,
]);
export type AgentEvent = z.output<typeof AgentEventSchema>;

/** At most this many events per batch: one request stays small and one store transaction short. */
export const MAX_AGENT_BATCH = 200;

/**
 * An event as JSON, and how deep it nests: a pack status of a few hundred resources and its whole history is
 * some hundred KiB and under ten levels deep. The hub stores what an agent sends, so a stolen agent token must
 * not store more than that at once; the agent drops (and logs) an event past these rather than send it.
 */
export const MAX_AGENT_EVENT_BYTES = 1024 * 1024;
export const MAX_AGENT_EVENT_DEPTH = 16;

/** Why the hub would refuse this event (past the bounds above), or undefined. */
export function eventOverBounds(event: unknown): string | undefined {
  if (deeperThan(event, MAX_AGENT_EVENT_DEPTH)) return `nests deeper than ${MAX_AGENT_EVENT_DEPTH} levels`;
  const size = JSON.stringify(event).length;
  if (size > MAX_AGENT_EVENT_BYTES)
    return `is ${size} bytes as JSON, over the ${MAX_AGENT_EVENT_BYTES} allowed`;
  return undefined;
}

export const AgentBatchSchema = z
  .strictObject({
    stream: z
      .uuid()
      .describe("the agent's status stream (its state dir's): a new one starts its sequence at 1 again"),
    events: z
      .array(z.strictObject({ seq: z.number().int().positive(), event: AgentEventSchema }))
      .max(MAX_AGENT_BATCH)
      .describe('in the order the runner reported them, seq increasing by 1'),
  })
  .superRefine((batch, ctx) => {
    for (const [i, { event }] of batch.events.entries()) {
      const over = eventOverBounds(event);
      if (over !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['events', i, 'event'], message: over });
        continue;
      }
      if (event.type !== 'PackDetails') continue;
      const bytes = detailsBytes(event);
      if (bytes > AGENT_DETAIL_LIMITS.bytes) {
        ctx.addIssue({
          code: 'custom',
          path: ['events', i, 'event'],
          message: `the details of pack ${JSON.stringify(cleanText(event.pack, 60))} are ${bytes} bytes, over the ${AGENT_DETAIL_LIMITS.bytes} allowed`,
        });
      }
    }
  })
  .meta({ id: 'AgentBatch' });
export type AgentBatch = z.output<typeof AgentBatchSchema>;

export const AgentAckSchema = z
  .object({ acked: z.number().int().describe('every event of the stream up to this one is stored') })
  .meta({ id: 'AgentAck' });
export type AgentAck = z.infer<typeof AgentAckSchema>;

/** What the hub has stored of each pack, for an agent starting without its own record of them. */
export const AgentStatusesSchema = z
  .object({
    stream: z.string().optional(),
    acked: z.number().int(),
    packs: z.array(z.object({ pack: z.string(), status: WirePackStatusSchema })),
  })
  .meta({ id: 'AgentStatuses' });
