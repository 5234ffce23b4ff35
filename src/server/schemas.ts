// The shapes the API speaks, as zod schemas. The route table (routes/*.ts) points at these, so one
// definition validates requests, checks responses in tests, feeds the OpenAPI document and, through it, the
// generated client types (client-types.ts). Names given with `.meta({ id })` become components.
import { z } from 'zod';
import { PackConditionType, PackPhase, ResourceState } from '../status/index.js';
import { TokenRole } from '../store/index.js';
import { ProblemIssueSchema } from './problem.js';

const values = <T extends Record<string, string>>(o: T) => Object.values(o) as [T[keyof T], ...T[keyof T][]];

export const PhaseSchema = z.enum(values(PackPhase)).meta({ id: 'PackPhase' });
export const ColorSchema = z.enum(['gray', 'blue', 'green', 'red']).meta({ id: 'PhaseColor' });
export const ConditionSchema = z.enum(values(PackConditionType)).meta({ id: 'PackCondition' });
export const ResourceStateSchema = z.enum(values(ResourceState)).meta({ id: 'ResourceState' });
export const RoleSchema = z.enum(values(TokenRole)).meta({ id: 'TokenRole' });
export const DriftPolicySchema = z.enum(['correct', 'report']).meta({ id: 'DriftPolicy' });

/** Kubernetes object names and profile names: DNS-1123 labels are what the store accepts. */
export const NameSchema = z.string().min(1).max(253);

export const PhaseCountsSchema = z
  .object({
    onboarding: z.number().int(),
    processing: z.number().int(),
    success: z.number().int(),
    failed: z.number().int(),
  })
  .meta({ id: 'PhaseCounts' });

export const ClusterSchema = z
  .object({
    name: z.string(),
    server: z.string(),
    context: z.string(),
    driftPolicy: DriftPolicySchema,
    createdAt: z.string(),
    reachable: z.boolean(),
    error: z.string().optional(),
    phase: PhaseSchema.describe("the worst pack's phase; success when there are no packs"),
    color: ColorSchema,
    counts: PhaseCountsSchema,
    packs: z.number().int(),
    attention: z
      .array(
        z.object({ pack: z.string(), phase: PhaseSchema, reason: z.string() }).meta({ id: 'AttentionPack' }),
      )
      .describe('its red packs, then its blue ones, at most 5: what the overview names'),
  })
  .meta({ id: 'Cluster' });

export const RegisterClusterSchema = z
  .object({
    name: NameSchema,
    kubeconfig: z.string().min(1).describe('the kubeconfig file, as text'),
    context: z.string().optional().describe("default: the kubeconfig's current-context"),
    driftPolicy: DriftPolicySchema.optional(),
  })
  .meta({ id: 'RegisterCluster' });

export const ObjectRefSchema = z
  .object({ apiVersion: z.string(), kind: z.string(), namespace: z.string().optional(), name: z.string() })
  .meta({ id: 'ObjectRef' });

export const PackResourceSchema = z
  .object({
    ref: ObjectRefSchema,
    state: ResourceStateSchema,
    reason: z.string(),
    message: z.string(),
    hook: z
      .literal(true)
      .optional()
      .describe("a Helm hook of the pack's chart (run around install, upgrade or removal)"),
  })
  .meta({ id: 'PackResource' });

export const DriftSchema = z
  .object({
    time: z.string(),
    message: z.string().describe('what changed, e.g. "drift: ConfigMap tenant-a/quota deleted"'),
    correcting: z
      .boolean()
      .describe('true when the drift policy puts the object back, false when only reported'),
  })
  .meta({ id: 'Drift' });

export const PackRunSchema = z
  .object({
    kind: z.enum(['install', 'upgrade', 'retry', 'uninstall']),
    revision: z.string(),
    startTime: z.string(),
    endTime: z.string().optional(),
    outcome: z.enum(['success', 'failed']).optional(),
  })
  .meta({ id: 'PackRun' });

export const PackSchema = z
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
    runs: z
      .array(PackRunSchema)
      .optional()
      .describe("every run's times, oldest first; the last is the current run"),
    stale: z.boolean().describe('true while the cluster is unreachable: the colour is the last one known'),
    resources: z.array(PackResourceSchema),
    lastDrift: DriftSchema.optional().describe(
      "the last drift seen on the pack's objects since the hub started",
    ),
  })
  .meta({ id: 'Pack' });

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
  .object({ pack: z.string(), transitions: z.array(PackTransitionSchema).describe('oldest first') })
  .meta({ id: 'PackTransitions' });

export const PackValuesSchema = z
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
  })
  .meta({ id: 'PackValues' });

export const ProfileVersionSchema = z
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

export const ProfileWithSourceSchema = ProfileVersionSchema.extend({
  yaml: z.string(),
  files: z
    .record(z.string(), z.string())
    .optional()
    .describe('each local chart and file the version was published with → the sha256 of its content'),
  packTable: z
    .array(
      z
        .object({
          name: z.string(),
          layer: z.string(),
          type: z.string(),
          version: z.string(),
          chart: z.string().optional().describe("where a Helm pack's chart comes from"),
          digest: z.string().optional().describe('the sha256 of a local chart as published with the version'),
          objects: z.array(z.string()).optional().describe("a manifest pack's inline objects, at most 20"),
          files: z
            .array(z.string())
            .optional()
            .describe("a manifest pack's files, as the profile names them"),
        })
        .meta({ id: 'ProfilePackRow' }),
    )
    .describe('the packs of this version, in file order'),
  attachedTo: z
    .array(z.object({ cluster: z.string(), version: z.string() }))
    .describe('every cluster the profile is attached to, with the attached version (any version)'),
}).meta({
  id: 'ProfileWithSource',
});

export const ProfileSummarySchema = z
  .object({ name: z.string(), type: z.string(), latest: z.string(), versions: z.number().int() })
  .meta({ id: 'ProfileSummary' });

// Strict: the hub reads no path a client names, so a field it no longer takes (`baseDir`) is a 400 naming it,
// not silently ignored.
export const ProfileTextSchema = z
  .strictObject({
    yaml: z
      .string()
      .min(1)
      .describe('the profile file (with no local charts or files: send those as a bundle)'),
    file: z.string().optional().describe('the name errors are reported against'),
    draft: z.boolean().optional(),
  })
  .meta({ id: 'ProfileText' });

export const ValidationSchema = z
  .object({ valid: z.boolean(), issues: z.array(ProblemIssueSchema) })
  .meta({ id: 'ValidationResult' });

export const VariableValuesSchema = z.record(z.string(), z.string()).meta({ id: 'VariableValues' });

export const AttachSchema = z
  .object({
    profile: NameSchema,
    version: z.string().optional().describe('default: the latest published version'),
    values: VariableValuesSchema.optional(),
  })
  .meta({ id: 'Attach' });

export const UpdateAttachmentSchema = z
  .object({ version: z.string().optional(), values: VariableValuesSchema.optional() })
  .meta({ id: 'UpdateAttachment' });

export const AttachmentSchema = z
  .object({
    cluster: z.string(),
    profile: z.string(),
    version: z.string(),
    values: VariableValuesSchema,
    sensitive: z.array(z.string()).optional(),
    createdAt: z.string().optional(),
    updatedAt: z.string().optional(),
    updateAvailable: z.string().optional().describe('a newer published version of the profile'),
  })
  .meta({ id: 'Attachment' });

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

export const ClusterPageSchema = z
  .object({
    cluster: ClusterSchema,
    attachments: z.array(AttachmentSchema),
    packs: z.array(PackSchema).describe('in install order'),
  })
  .meta({ id: 'ClusterPage' });

export const TokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: RoleSchema,
    createdAt: z.string(),
    lastUsedAt: z.string().optional(),
  })
  .meta({ id: 'Token' });

export const CreateTokenSchema = z.object({ role: RoleSchema, name: z.string().min(1).max(200) }).meta({
  id: 'CreateToken',
});

export const CreatedTokenSchema = z
  .object({ token: TokenSchema, plaintext: z.string().describe('shown this once; store it now') })
  .meta({ id: 'CreatedToken' });

export const EventSchema = z
  .object({
    id: z.number().int().optional().describe('absent on ephemeral cluster.connection events'),
    kind: z.string(),
    cluster: z.string().optional(),
    pack: z.string().optional(),
    time: z.string(),
    data: z.unknown(),
  })
  .meta({ id: 'Event', description: 'one SSE message: `id:` = id, `event:` = kind, `data:` = this object' });

export const HealthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });
