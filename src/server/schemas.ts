// The shapes the API speaks, as zod schemas. The route table (routes/*.ts) points at these, so one
// definition validates requests, checks responses in tests, feeds the OpenAPI document and, through it, the
// generated client types (client-types.ts). Names given with `.meta({ id })` become components. The views the
// hub returns are defined once, in src/hub/views.ts; this file adds what only the API has (requests, tokens,
// the stream, the cluster's colour) and gives the views their API names.
import { z } from 'zod';
import {
  AttachmentViewSchema,
  ClusterSummarySchema,
  ColorSchema,
  DriftPolicySchema,
  DriftViewSchema,
  ObjectRefSchema,
  PackDiffSchema,
  PackRunSchema,
  PackTransitionSchema,
  PackTransitionsSchema,
  PackValuesViewSchema,
  PackViewSchema,
  PhaseCountsSchema,
  PhaseSchema,
  ProfileSummaryViewSchema,
  ProfileVersionViewSchema,
  ProfileWithSourceSchema,
  ResourceStateSchema,
  ConditionSchema,
  ResourceViewSchema,
  StreamEventSchema,
  TokenRole,
  VariableValuesSchema,
} from '../hub/index.js';
import { FILE_NAME_PATTERN, MAX_FILE_NAME } from '../shared/file-name.js';
import { ProblemIssueSchema } from './problem.js';

const values = <T extends Record<string, string>>(o: T) => Object.values(o) as [T[keyof T], ...T[keyof T][]];

export {
  ColorSchema,
  ConditionSchema,
  DriftPolicySchema,
  ObjectRefSchema,
  PackDiffSchema,
  PackRunSchema,
  PackTransitionSchema,
  PackTransitionsSchema,
  PhaseCountsSchema,
  PhaseSchema,
  ProfileWithSourceSchema,
  ResourceStateSchema,
  VariableValuesSchema,
};
export const PackResourceSchema = ResourceViewSchema;
export const DriftSchema = DriftViewSchema;
export const PackSchema = PackViewSchema;
export const PackValuesSchema = PackValuesViewSchema;
export const ProfileVersionSchema = ProfileVersionViewSchema;
export const ProfileSummarySchema = ProfileSummaryViewSchema;
export const AttachmentSchema = AttachmentViewSchema;

export const RoleSchema = z.enum(values(TokenRole)).meta({ id: 'TokenRole' });
/** Kubernetes object names and profile names: DNS-1123 labels are what the store accepts. */
export const NameSchema = z.string().min(1).max(253);

/**
 * The name a client gives the file it sends, which every issue about it quotes (src/shared/file-name.ts):
 * refused past MAX_FILE_NAME before any other check of it, and with a control or bidi character.
 */
export const FileNameSchema = z
  .string()
  .max(MAX_FILE_NAME, { error: `at most ${MAX_FILE_NAME} characters`, abort: true })
  .regex(FILE_NAME_PATTERN, { error: 'no control, bidi or line-separator characters' })
  .describe(`the name errors are reported against (at most ${MAX_FILE_NAME} characters)`);

/** The hub's cluster view plus its rollup colour (routes/clusters.ts adds it). */
export const ClusterSchema = ClusterSummarySchema;
/** Every message of the live stream, one schema per kind (src/hub/stream-events.ts). */
export { StreamEventSchema };

export const RegisterClusterSchema = z
  .object({
    name: NameSchema,
    kubeconfig: z.string().min(1).describe('the kubeconfig file, as text'),
    context: z.string().optional().describe("default: the kubeconfig's current-context"),
    driftPolicy: DriftPolicySchema.optional(),
  })
  .meta({ id: 'RegisterCluster' });

// Strict: the hub reads no path a client names, so a field it no longer takes (`baseDir`) is a 400 naming it,
// not silently ignored.
export const ProfileTextSchema = z
  .strictObject({
    yaml: z
      .string()
      .min(1)
      .describe('the profile file (with no local charts or files: send those as a bundle)'),
    file: FileNameSchema.optional(),
    draft: z.boolean().optional(),
  })
  .meta({ id: 'ProfileText' });

export const ValidationSchema = z
  .object({ valid: z.boolean(), issues: z.array(ProblemIssueSchema) })
  .meta({ id: 'ValidationResult' });

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

export const HealthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });

/** /readyz: the database answers; with hub replicas, who this replica is and which replica drives each cluster. */
export const ReadinessSchema = z
  .object({
    status: z.literal('ok'),
    replica: z
      .object({
        id: z.string().describe('this replica'),
        address: z.string(),
        replicas: z
          .array(z.object({ id: z.string(), address: z.string() }))
          .describe('the replicas with a fresh heartbeat, this one included'),
        clusters: z.array(
          z.object({
            cluster: z.string(),
            driver: z
              .string()
              .optional()
              .describe('the replica holding its lease; absent: none (a failover)'),
            epoch: z.number().int().describe('the lease fencing epoch: grows by one at each takeover'),
            expiresAt: z.string(),
          }),
        ),
      })
      .optional()
      .describe(
        'absent when this hub runs alone (SQLite), or when the request has no valid API token (viewer or above)',
      ),
  })
  .meta({ id: 'Readiness' });

// Chart sources (Helm repositories, OCI registries) and their credentials. The password and CA go in once
// and never come back out: the list shows only whether they are set.
export const ChartSourceSchema = z
  .object({
    name: z.string(),
    url: z.string(),
    username: z.string().optional(),
    hasPassword: z.boolean(),
    hasCa: z.boolean(),
    insecureSkipTlsVerify: z.boolean(),
    plainHttp: z.boolean(),
    createdAt: z.string(),
  })
  .meta({ id: 'ChartSource' });

export const SourceNameSchema = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, {
  error: 'expected lowercase letters, digits and -, at most 63',
});

export const PutChartSourceSchema = z
  .strictObject({
    name: SourceNameSchema,
    url: z
      .string()
      .max(2000)
      .regex(/^(https?|oci):\/\/[^\s/@?#]+(\/[^\s?#@]*)?$/, {
        error:
          'expected https://host[/path], http://host[/path] or oci://host[/path], with no credentials or query',
      })
      .describe(
        'the repository or registry URL; a chart whose URL starts with it (at a / boundary) uses this source',
      ),
    username: z.string().min(1).max(500).optional(),
    password: z.string().min(1).max(10_000).optional().describe('write-only: never returned'),
    caPem: z
      .string()
      .max(256 * 1024)
      .regex(/-----BEGIN CERTIFICATE-----/, { error: 'expected PEM certificate(s)' })
      .optional()
      .describe('PEM CA certificate(s) the source’s TLS certificate chains to'),
    insecureSkipTlsVerify: z.boolean().optional(),
    plainHttp: z.boolean().optional(),
  })
  .meta({ id: 'PutChartSource' });

export const OutdatedChartSchema = z
  .object({
    pack: z.string(),
    chart: z.string().describe('`oci://host/path/chart`, or `https://repo name`'),
    version: z.string().describe('the version the profile version pinned'),
    newer: z.array(z.string()).describe('newer versions the source has now, oldest first'),
    error: z.string().optional().describe('why the source could not be asked (401, TLS error, …)'),
  })
  .meta({ id: 'OutdatedChart' });
