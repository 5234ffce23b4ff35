// The profile file format as zod schemas: the single source of truth for validation and for the committed
// JSON Schema (scripts/gen-profile-schema.ts). These describe the file as written; `normalize.ts` turns a
// validated file into the `ClusterProfile` the rest of Strata uses (defaults applied, Palette block folded in).
// No transforms here, so `z.toJSONSchema` can represent every schema.
import * as z from 'zod';
import { DURATION_PATTERN } from '../shared/duration.js';

export const API_VERSION = 'strata.dev/v1alpha1';
export const KIND = 'ClusterProfile';

/** Install order of layers: a pack of an earlier layer installs before any pack of a later one. */
export const Layer = { Os: 'os', K8s: 'k8s', Cni: 'cni', Csi: 'csi', Addon: 'addon' } as const;
export type Layer = (typeof Layer)[keyof typeof Layer];
export const LAYERS: readonly Layer[] = [Layer.Os, Layer.K8s, Layer.Cni, Layer.Csi, Layer.Addon];

export const ProfileType = { Infra: 'infra', AddOn: 'add-on', Full: 'full' } as const;
export type ProfileType = (typeof ProfileType)[keyof typeof ProfileType];

export const PackType = { Helm: 'helm', Manifest: 'manifest' } as const;
export type PackType = (typeof PackType)[keyof typeof PackType];

/** The Palette key for install priority inside a `pack:` block at the top of a pack's values. */
export const PALETTE_PRIORITY_KEY = 'spectrocloud.com/install-priority';

// semver.org's recommended expression; `semver.valid` double-checks in normalize.ts.
export const SEMVER_PATTERN =
  '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$';
// Kubernetes DNS-1123 label: names of profiles, packs, namespaces and Helm releases.
export const DNS1123_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const VARIABLE_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';

// Fields that reach `helm` on its command line follow a grammar that cannot start with `-`, so no value can
// read as a flag (`name: "--post-renderer=/bin/sh"` piped a chart into a shell).
// Helm's own rule for chart names is ^[a-zA-Z0-9._-]+$, at most 250 characters (helm pkg/chartutil/create.go
// `chartName`); we also require a letter or digit first, which rules out `-x`, `.` and `..`.
export const CHART_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*$';
export const MAX_CHART_NAME_LENGTH = 250;
// A DNS host name (letters, digits, -; dot-separated labels of at most 63) with an optional port.
const HOST_PORT =
  '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(?::[0-9]{1,5})?';
// http(s) only; the host grammar has no `@`, so no credentials; path characters are RFC 3986 pchars, so no
// whitespace, control characters, query or fragment.
export const REPO_URL_PATTERN = `^https?://${HOST_PORT}(?:/[-A-Za-z0-9._~!$&'()*+,;=:@%]*)*$`;
// The repository part of an OCI reference, as in the distribution spec's reference grammar: lowercase
// components separated by `/`, each alphanumeric runs joined by `.`, `_`, `__` or dashes. No tag or digest:
// the version goes in `version`.
export const OCI_REF_PATTERN = `^oci://${HOST_PORT}(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+$`;
/** Bounds the work per profile (dependency walks are per pack); real profiles hold a few dozen. */
export const MAX_PACKS = 1000;
/**
 * Variables per new profile version: no more than one request may give values for (views.ts
 * MAX_VARIABLE_VALUES), or a required variable past it could never be set. Checked in normalize.ts, not here,
 * so a version stored before the rule still loads.
 */
export const MAX_VARIABLES = 1000;
/** Health rules per profile: one per kind is the norm. */
export const MAX_HEALTH_CHECKS = 200;
/** Longer URLs and references are refused before any pattern runs on them. */
export const MAX_URL_LENGTH = 2048;

const semver = z
  .string()
  .regex(new RegExp(SEMVER_PATTERN), { error: 'expected a semantic version like 1.2.3' })
  .describe('Semantic version (semver.org), e.g. 1.2.3 or 2.0.0-rc.1.');

const dnsLabel = z
  .string()
  .max(63, { error: 'expected at most 63 characters' })
  .regex(new RegExp(DNS1123_LABEL_PATTERN), {
    error:
      'expected a DNS-1123 label (lowercase letters, digits and -, starting and ending with a letter or digit)',
  });

const stringMap = z.record(z.string(), z.string());

export const variableSchema = z
  .strictObject({
    name: z
      .string()
      .regex(new RegExp(VARIABLE_NAME_PATTERN), { error: 'expected a name of letters, digits and _' })
      .describe('Referenced as {{ .strata.var.NAME }}.'),
    description: z.string().optional(),
    default: z.string().optional().describe('Used when the cluster gives no value.'),
    required: z.boolean().optional().describe('The cluster must end up with a value (default false).'),
    regex: z
      .string()
      .optional()
      .describe(
        'The whole value must match this regular expression (RE2 syntax: no backreferences or lookaround; at most 1000 characters).',
      ),
    sensitive: z
      .boolean()
      .optional()
      .describe('Never printed: errors, logs and API output show ****** instead (default false).'),
  })
  .describe('A profile variable, given a value per cluster.');

export const chartSourceSchema = z
  .strictObject({
    path: z
      .string()
      .min(1)
      .optional()
      .describe('A local chart directory or .tgz, relative to the profile file.'),
    repo: z
      .string()
      .max(MAX_URL_LENGTH, { error: `expected at most ${MAX_URL_LENGTH} characters` })
      .regex(new RegExp(REPO_URL_PATTERN), {
        error:
          'expected an http(s) URL with no credentials, spaces or query, like https://charts.example.com',
      })
      .optional()
      .describe('A Helm repository URL (http or https, no credentials in it).'),
    name: z
      .string()
      .max(MAX_CHART_NAME_LENGTH, { error: `expected at most ${MAX_CHART_NAME_LENGTH} characters` })
      .regex(new RegExp(CHART_NAME_PATTERN), {
        error: 'expected a Helm chart name (letters, digits, ., _ and -, starting with a letter or digit)',
      })
      .optional()
      .describe('Chart name in `repo`.'),
    oci: z
      .string()
      .max(MAX_URL_LENGTH, { error: `expected at most ${MAX_URL_LENGTH} characters` })
      .regex(new RegExp(OCI_REF_PATTERN), {
        error:
          'expected an OCI reference oci://host[:port]/path with lowercase path components and no tag (the version goes in version)',
      })
      .optional()
      .describe('An OCI reference, oci://registry[:port]/path/chart, without a tag.'),
    version: semver
      .optional()
      .describe('Chart version for repo and oci charts; defaults to the pack version.'),
    source: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, {
        error: 'expected a chart source name (lowercase letters, digits and -, at most 63)',
      })
      .optional()
      .describe(
        'For repo and oci charts: the chart source (`strata source add`) whose credentials fetch it; default: ' +
          'the source whose URL is the longest prefix of the chart URL.',
      ),
  })
  .describe('Exactly one of: path; repo + name; oci.');

export const namespaceSchema = z.union([
  dnsLabel,
  z.strictObject({
    name: dnsLabel,
    labels: stringMap.optional(),
    annotations: stringMap.optional(),
    create: z.boolean().optional().describe('Create the namespace if it is missing (default true).'),
  }),
]);

const kubeObjectSchema = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: z.looseObject({ name: z.string().min(1), namespace: z.string().optional() }),
});

const packFields = {
  name: dnsLabel.describe('Unique among all packs of a cluster.'),
  layer: z.enum(LAYERS as [Layer, ...Layer[]]),
  version: semver,
  installPriority: z
    .int({ error: 'expected an integer' })
    .optional()
    .describe('Lower installs first within a layer (default 0). Wins over the values `pack:` block.'),
  dependsOn: z.array(z.string()).optional().describe('Names of packs that must be ready first.'),
  timeout: z
    .string()
    .regex(new RegExp(DURATION_PATTERN), { error: 'expected a duration like 90s, 10m or 1h30m' })
    .optional()
    .describe('How long the pack may take to become ready (default 10m).'),
  namespace: namespaceSchema.optional(),
  healthGrace: z
    .string()
    .regex(new RegExp(DURATION_PATTERN), { error: 'expected a duration like 90s, 10m or 1h30m' })
    .optional()
    .describe(
      'How long a custom resource of this pack with no status yet waits for its controller before it counts as ready (default 30s).',
    ),
};

export const helmPackSchema = z.strictObject({
  ...packFields,
  type: z.literal(PackType.Helm),
  chart: chartSourceSchema,
  releaseName: dnsLabel.optional().describe('Helm release name (default: the pack name).'),
  deleteCrds: z
    .boolean()
    .optional()
    .describe(
      "Delete the CRDs of the chart's crds/ folder, and every custom resource of them, when the pack is removed (default false: kept, as Helm does).",
    ),
  values: z
    .union([z.string(), z.record(z.string(), z.unknown())])
    .optional()
    .describe('Helm values: a mapping or a YAML string. A top-level `pack:` block is read and removed.'),
});

export const manifestPackSchema = z.strictObject({
  ...packFields,
  type: z.literal(PackType.Manifest),
  manifests: z
    .union([z.string(), z.array(kubeObjectSchema)])
    .optional()
    .describe('Kubernetes objects: a list, or a string of YAML documents separated by ---.'),
  files: z
    .array(z.string().min(1))
    .optional()
    .describe('YAML files of Kubernetes objects, relative to the profile.'),
});

const celExpression = z.string().min(1, { error: 'expected a CEL expression' });

/** Group/version of a custom resource: `cert-manager.io/v1`. */
export const GROUP_VERSION_PATTERN = '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[a-z0-9]+$';

export const healthCheckSchema = z
  .strictObject({
    apiVersion: z
      .string()
      .regex(new RegExp(GROUP_VERSION_PATTERN), {
        error: 'expected the group/version of a custom resource, like cert-manager.io/v1',
      })
      .describe('Group and version of the kind; any served version of the group matches.'),
    kind: z.string().min(1).describe('The custom resource kind, e.g. Certificate.'),
    current: celExpression.describe('CEL: true when the object is ready (green).'),
    inProgress: celExpression.optional().describe('CEL: true while the object is still converging.'),
    failed: celExpression.optional().describe('CEL: true when the object has failed (red).'),
    message: celExpression
      .optional()
      .describe('CEL giving a string: the sentence shown for the object (default: its Ready condition).'),
    grace: z
      .string()
      .regex(new RegExp(DURATION_PATTERN), { error: 'expected a duration like 90s, 10m or 1h30m' })
      .optional()
      .describe('How long an object of this kind with no status yet waits for its controller (default 30s).'),
  })
  .describe(
    "A health rule for a custom resource kind, in Flux's healthCheckExprs shape. Expressions see the object's fields (status, spec, metadata, apiVersion, kind) and `self`; evaluated inProgress, failed, current, the first that holds deciding.",
  );

export const packSchema = z.discriminatedUnion('type', [helmPackSchema, manifestPackSchema]);

export const clusterProfileSchema = z
  .strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(KIND),
    metadata: z.strictObject({
      name: dnsLabel,
      labels: stringMap.optional(),
      annotations: stringMap.optional(),
    }),
    spec: z.strictObject({
      version: semver,
      type: z.enum([ProfileType.Infra, ProfileType.AddOn, ProfileType.Full]),
      description: z.string().optional(),
      variables: z.array(variableSchema).optional(),
      healthChecks: z
        .array(healthCheckSchema)
        .max(MAX_HEALTH_CHECKS, { error: `expected at most ${MAX_HEALTH_CHECKS} health checks` })
        .optional()
        .describe(
          "Health rules for custom resources of this profile's packs; they win over cluster-wide and built-in rules.",
        ),
      packs: z
        .array(packSchema)
        .min(1, { error: 'expected at least one pack' })
        .max(MAX_PACKS, { error: `expected at most ${MAX_PACKS} packs` }),
    }),
  })
  .describe('A Strata cluster profile: an ordered set of packs (Helm charts and manifests).');

export type ClusterProfileFile = z.infer<typeof clusterProfileSchema>;
export type PackFile = z.infer<typeof packSchema>;
export type VariableFile = z.infer<typeof variableSchema>;
export type ChartSourceFile = z.infer<typeof chartSourceSchema>;
export type NamespaceFile = z.infer<typeof namespaceSchema>;
export type HealthCheckFile = z.infer<typeof healthCheckSchema>;
