// What the hub shows, as zod schemas: the one definition of each view. The hub builds them (present.ts), the
// server's route table points at them (src/server/schemas.ts), and through its OpenAPI document they become
// the generated client types. Names given with `.meta({ id })` become OpenAPI components.
import { z } from 'zod';
import { MAX_VARIABLES } from '../profile/schema.js';
import { PackConditionType, PackPhase, ResourceState } from '../status/index.js';

const values = <T extends Record<string, string>>(o: T) => Object.values(o) as [T[keyof T], ...T[keyof T][]];

export const PhaseSchema = z.enum(values(PackPhase)).meta({ id: 'PackPhase' });
export const ColorSchema = z.enum(['gray', 'blue', 'green', 'red']).meta({ id: 'PhaseColor' });
export const ConditionSchema = z.enum(values(PackConditionType)).meta({ id: 'PackCondition' });
export const ResourceStateSchema = z.enum(values(ResourceState)).meta({ id: 'ResourceState' });
export const DriftPolicySchema = z.enum(['correct', 'report']).meta({ id: 'DriftPolicy' });

export const PhaseCountsSchema = z
  .object({
    onboarding: z.number().int(),
    processing: z.number().int(),
    success: z.number().int(),
    failed: z.number().int(),
  })
  .meta({ id: 'PhaseCounts' });
export type PhaseCounts = z.infer<typeof PhaseCountsSchema>;

/** A pack the overview names: failed or processing, with its short reason (a code, never a message). */
export const AttentionViewSchema = z
  .object({ pack: z.string(), phase: PhaseSchema, reason: z.string() })
  .meta({ id: 'AttentionPack' });
export type AttentionView = z.infer<typeof AttentionViewSchema>;

/** A cluster as the hub sees it (the server adds the rollup colour). */
export const ClusterViewSchema = z.object({
  name: z.string(),
  server: z.string(),
  context: z.string(),
  driftPolicy: DriftPolicySchema,
  createdAt: z.string(),
  reachable: z.boolean(),
  error: z.string().optional(),
  driver: z
    .string()
    .optional()
    .describe(
      'hub replicas on PostgreSQL: the replica driving this cluster; absent when none does (a failover)',
    ),
  agent: z
    .object({
      connected: z.boolean().describe('heard from within the last few polls'),
      lastSeenAt: z.string().optional(),
    })
    .optional()
    .describe('set for a cluster run by `strata agent` (the hub never connects to it)'),
  phase: PhaseSchema.describe("the worst pack's phase; success when there are no packs"),
  counts: PhaseCountsSchema,
  packs: z.number().int(),
  attention: z
    .array(AttentionViewSchema)
    .describe('its red packs, then its blue ones, at most 5: what the overview names'),
});
export type ClusterView = z.infer<typeof ClusterViewSchema>;

export const ObjectRefSchema = z
  .object({ apiVersion: z.string(), kind: z.string(), namespace: z.string().optional(), name: z.string() })
  .meta({ id: 'ObjectRef' });

export const WarningEventViewSchema = z
  .object({
    object: z.string().describe('the object the event is about, e.g. "Pod web/api-7d9-x"'),
    reason: z.string(),
    message: z.string(),
    count: z.number().int(),
    time: z.string().optional().describe('when last seen'),
  })
  .meta({ id: 'WarningEvent' });
export type WarningEventView = z.infer<typeof WarningEventViewSchema>;

export const ResourceViewSchema = z
  .object({
    ref: ObjectRefSchema,
    state: ResourceStateSchema,
    reason: z.string(),
    message: z.string(),
    events: z
      .array(WarningEventViewSchema)
      .optional()
      .describe(
        'recent Warning events of the object and of the ReplicaSets and pods it controls, newest first',
      ),
    hook: z
      .literal(true)
      .optional()
      .describe("a Helm hook of the pack's chart (run around install, upgrade or removal)"),
  })
  .meta({ id: 'PackResource' });
export type ResourceView = z.infer<typeof ResourceViewSchema>;

/** Someone changed or deleted an object a pack owns. */
export const DriftViewSchema = z
  .object({
    time: z.string(),
    message: z.string().describe('what changed, e.g. "drift: ConfigMap tenant-a/quota deleted"'),
    correcting: z
      .boolean()
      .describe('true when the drift policy puts the object back, false when only reported'),
  })
  .meta({ id: 'Drift' });
export type DriftView = z.infer<typeof DriftViewSchema>;

/** One run of a pack (install, upgrade, retry, uninstall), on its own clock. */
export const PackRunSchema = z
  .object({
    kind: z.enum(['install', 'upgrade', 'retry', 'uninstall']),
    revision: z.string(),
    startTime: z.string(),
    endTime: z.string().optional().describe('first time the run reached success or failed'),
    outcome: z.enum(['success', 'failed']).optional(),
  })
  .meta({ id: 'PackRun' });

/** One pack on the Cluster Profile page: where it sits, its colour and why. */
export const PackViewSchema = z
  .object({
    name: z.string(),
    profile: z.string(),
    layer: z.string(),
    version: z.string(),
    type: z.string(),
    wave: z.number().int(),
    order: z.number().int(),
    explanation: z.string().describe('why the pack installs where it does'),
    phase: PhaseSchema,
    color: ColorSchema,
    icon: z.string(),
    label: z.string(),
    condition: ConditionSchema,
    reason: z.string(),
    message: z.string(),
    progress: z.object({ ready: z.number().int(), total: z.number().int() }),
    startTime: z
      .string()
      .optional()
      .describe('start of the current run (install, upgrade, retry, uninstall)'),
    endTime: z.string().optional().describe('first time the current run reached success or failed'),
    lastRun: PackRunSchema.optional().describe(
      'the current run (the newest); every run kept: GET /clusters/{cluster}/packs/{pack}/runs',
    ),
    runCount: z
      .number()
      .int()
      .optional()
      .describe(
        'how many runs the pack keeps (at most 20), the current one included; absent when only that one',
      ),
    stale: z.boolean().describe('true while the cluster is unreachable: the colour is the last one known'),
    resources: z.array(ResourceViewSchema),
    lastDrift: DriftViewSchema.optional().describe(
      "the last drift seen on the pack's objects since the hub started",
    ),
  })
  .meta({ id: 'Pack' });
export type PackView = z.infer<typeof PackViewSchema>;

export const PackTransitionSchema = z
  .object({
    time: z.string(),
    from: PhaseSchema,
    to: PhaseSchema,
    condition: ConditionSchema,
    reason: z.string(),
    message: z.string(),
  })
  .meta({ id: 'PackTransition' });

export const PackTransitionsSchema = z
  .object({
    pack: z.string(),
    transitions: z.array(PackTransitionSchema).describe('oldest first'),
    runs: z
      .array(PackRunSchema)
      .optional()
      .describe(
        "the pack's runs kept (at most 20), oldest first: the timeline marks each start. On the newest page " +
          'only (no ?before): older pages do not repeat them',
      ),
  })
  .meta({ id: 'PackTransitions' });

/**
 * What a pack deploys with, after every variable and macro of its cluster is resolved: a Helm pack's values (the
 * ones passed to `helm template`), a manifest pack's objects. Sensitive variable values are masked.
 */
export const PackValuesViewSchema = z
  .object({
    pack: z.string(),
    profile: z.string(),
    profileVersion: z.string(),
    type: z.string(),
    chart: z.string().optional().describe('Helm packs: the chart and where it comes from'),
    releaseName: z.string().optional(),
    namespace: z.string(),
    values: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('Helm packs: the values passed to helm template, macros resolved, sensitive values masked'),
    manifests: z
      .array(z.unknown())
      .optional()
      .describe('manifest packs: the objects applied, macros resolved, sensitive values masked'),
    yaml: z.string().describe('the same as YAML (one document per object for manifest packs)'),
    masked: z.boolean().describe('true when at least one sensitive value was replaced by ******'),
    notes: z
      .string()
      .optional()
      .describe(
        "Helm packs: the chart's NOTES.txt as helm install prints it, from the last rendering; sensitive values masked",
      ),
  })
  .meta({ id: 'PackValues' });
export type PackValuesView = z.infer<typeof PackValuesViewSchema>;

export const ProfileVersionViewSchema = z
  .object({
    name: z.string(),
    version: z.string(),
    type: z.string(),
    published: z.boolean(),
    createdAt: z.string(),
    packs: z.number().int(),
    description: z.string().optional(),
  })
  .meta({ id: 'ProfileVersion' });
export type ProfileVersionView = z.infer<typeof ProfileVersionViewSchema>;

/** One pack of a profile version, as the Profiles page's table shows it. */
export const ProfilePackRowSchema = z
  .object({
    name: z.string(),
    layer: z.string(),
    type: z.string(),
    version: z.string(),
    chart: z.string().optional().describe("where a Helm pack's chart comes from"),
    digest: z
      .string()
      .optional()
      .describe('the sha256 of the chart archive the version renders (local, or remote pinned at publish)'),
    objects: z.array(z.string()).optional().describe("a manifest pack's inline objects, at most 20"),
    files: z.array(z.string()).optional().describe("a manifest pack's files, as the profile names them"),
  })
  .meta({ id: 'ProfilePackRow' });
export type ProfilePackRow = z.infer<typeof ProfilePackRowSchema>;

export const ProfileWithSourceSchema = ProfileVersionViewSchema.extend({
  yaml: z.string(),
  files: z
    .record(z.string(), z.string())
    .optional()
    .describe('each local chart and file the version was published with → the sha256 of its content'),
  charts: z
    .record(z.string(), z.string())
    .optional()
    .describe(
      'each remote chart (`oci://host/path/chart@1.2.3`, or `https://repo name@1.2.3`) → the sha256 of the ' +
        'archive fetched when the version was published: what it renders, without contacting the remote again',
    ),
  packTable: z.array(ProfilePackRowSchema).describe('the packs of this version, in file order'),
  attachedTo: z
    .array(z.object({ cluster: z.string(), version: z.string() }))
    .describe('every cluster the profile is attached to, with the attached version (any version)'),
}).meta({
  id: 'ProfileWithSource',
});
export type ProfileWithSource = z.infer<typeof ProfileWithSourceSchema>;

export const ProfileSummaryViewSchema = z
  .object({ name: z.string(), type: z.string(), latest: z.string(), versions: z.number().int() })
  .meta({ id: 'ProfileSummary' });
export type ProfileSummaryView = z.infer<typeof ProfileSummaryViewSchema>;

/**
 * The longest variable value taken: a certificate bundle or a kubeconfig fits many times over, and a value is
 * copied into every place the profile references it, so its size multiplies the work of every plan.
 */
export const MAX_VARIABLE_VALUE = 64 * 1024;

/**
 * The most variable values one request (attach, preview, update) or attachment holds: far more than a profile
 * declares in practice. Counted before any name or value is looked at: 70,000 values for undeclared
 * variables made a preview hold the event loop 20 s and answer 59 MiB (review 14), and 200,000 values of the
 * wrong type made 200,000 validation issues. A new profile version declares no more variables than this.
 */
export const MAX_VARIABLE_VALUES = MAX_VARIABLES;

/** More than `max` own keys: stops counting at max + 1. */
function moreKeysThan(value: object, max: number): boolean {
  let count = 0;
  for (const key in value) if (Object.hasOwn(value, key) && ++count > max) return true;
  return false;
}

export const VariableValuesSchema = z
  .preprocess(
    (value, ctx) => {
      if (typeof value === 'object' && value !== null && moreKeysThan(value, MAX_VARIABLE_VALUES)) {
        // An issue here ends the parse: the record below never walks the keys.
        ctx.addIssue({ code: 'custom', message: `at most ${MAX_VARIABLE_VALUES} values` });
      }
      return value;
    },
    z.record(z.string().max(253), z.string().max(MAX_VARIABLE_VALUE)),
  )
  .meta({ id: 'VariableValues', maxProperties: MAX_VARIABLE_VALUES });

export const AttachmentViewSchema = z
  .object({
    cluster: z.string(),
    profile: z.string(),
    version: z.string(),
    /** Values of variables that are not sensitive; sensitive ones are listed by name only. */
    values: VariableValuesSchema,
    sensitive: z.array(z.string()).optional(),
    createdAt: z.string().optional(),
    updatedAt: z.string().optional(),
    updateAvailable: z.string().optional().describe('a newer published version of the profile'),
  })
  .meta({ id: 'Attachment' });
export type AttachmentView = z.infer<typeof AttachmentViewSchema>;

/** What changing an attachment would do to one pack. */
export const PackDiffSchema = z
  .object({
    pack: z.string(),
    profile: z.string(),
    change: z.enum(['added', 'removed', 'changed', 'unchanged']),
    fromVersion: z
      .string()
      .optional()
      .describe("the pack's version now (changed to another version, or removed)"),
    toVersion: z
      .string()
      .optional()
      .describe("the pack's version after (added, or changed to another version)"),
    changes: z
      .array(z.string())
      .optional()
      .describe('changed packs: each changed field, old → new, sensitive values masked'),
  })
  .meta({ id: 'PackDiff' });
export type PackDiff = z.infer<typeof PackDiffSchema>;

export interface ClusterPage {
  readonly cluster: ClusterView;
  readonly attachments: readonly AttachmentView[];
  readonly packs: readonly PackView[];
}
