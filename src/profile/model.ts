// The validated, normalized profile the rest of Strata works with: defaults applied, the Palette `pack:` block
// folded in and stripped from the values, durations in milliseconds. Plain data: safe to store as JSON.
import type { HealthRuleSpec } from '../health-rules/index.js';
import type { Layer, PackType, ProfileType } from './schema.js';

export const DEFAULT_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_NAMESPACE = 'default';

/** A Kubernetes object as written in a profile: only the fields every object has are typed. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

export interface Variable {
  readonly name: string;
  readonly description?: string;
  readonly default?: string;
  readonly required: boolean;
  readonly regex?: string;
  readonly sensitive: boolean;
}

export interface NamespaceSpec {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** Create the namespace if it does not exist (default true). Strata never deletes a namespace it did not create. */
  readonly create: boolean;
}

export const ChartSourceKind = { Local: 'local', Repo: 'repo', Oci: 'oci' } as const;
export type ChartSourceKind = (typeof ChartSourceKind)[keyof typeof ChartSourceKind];

export type ChartSource =
  /** `path` exactly as written, relative to the profile file's directory. */
  | { readonly kind: typeof ChartSourceKind.Local; readonly path: string }
  | {
      readonly kind: typeof ChartSourceKind.Repo;
      readonly repo: string;
      readonly name: string;
      readonly version: string;
      /** The chart source named in the pack (its credentials fetch the chart); default: matched by URL. */
      readonly source?: string;
    }
  | {
      readonly kind: typeof ChartSourceKind.Oci;
      readonly ref: string;
      readonly version: string;
      readonly source?: string;
    };

/** Where a pack's install priority came from, so plans can explain it. */
export const PrioritySource = {
  Default: 'default',
  Pack: 'pack',
  ValuesPackBlock: 'values-pack-block',
} as const;
export type PrioritySource = (typeof PrioritySource)[keyof typeof PrioritySource];

interface PackBase {
  readonly name: string;
  readonly layer: Layer;
  readonly version: string;
  readonly installPriority: number;
  readonly prioritySource: PrioritySource;
  readonly dependsOn: readonly string[];
  readonly timeoutMs: number;
  readonly namespace: NamespaceSpec;
  /** How long a custom resource without status waits for its controller; absent: the default (30 s). */
  readonly healthGraceMs?: number;
}

export interface HelmPack extends PackBase {
  readonly type: typeof PackType.Helm;
  readonly chart: ChartSource;
  readonly releaseName: string;
  /**
   * The profile opted in to deleting the CRDs of the chart's crds/ folder (and with them every custom resource
   * of theirs) on removal; absent: they are kept, as Helm keeps them.
   */
  readonly deleteCrds?: true;
  /** Helm values without the Palette `pack:` block. May contain `{{ .strata.* }}` macros until resolved. */
  readonly values: Readonly<Record<string, unknown>>;
}

export interface ManifestPack extends PackBase {
  readonly type: typeof PackType.Manifest;
  /** Inline objects. May contain macros until resolved. */
  readonly manifests: readonly KubeObject[];
  /** Paths as written, relative to the profile file; `load.ts` reads them. */
  readonly files: readonly string[];
}

export type Pack = HelmPack | ManifestPack;

export interface ClusterProfile {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
  };
  readonly spec: {
    readonly version: string;
    readonly type: ProfileType;
    readonly description?: string;
    readonly variables: readonly Variable[];
    /**
     * Health rules for custom resources of this profile's packs (compiled and checked at load). Absent when
     * the file has none, so profiles stored before it existed read the same.
     */
    readonly healthChecks?: readonly HealthRuleSpec[];
    readonly packs: readonly Pack[];
  };
}

/** A field path such as ['spec', 'packs', 2, 'layer']. */
export type FieldPath = readonly (string | number)[];

/** `spec.packs[2].layer`; keys that are not identifiers are quoted: `values.pack["spectrocloud.com/x"]`. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
