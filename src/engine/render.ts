import { createHash } from 'node:crypto';
import { PackType, type HelmPack, type KubeObject, type Pack } from '../profile/index.js';
import { assertNever } from '../shared/assert-never.js';
import { EngineError, EngineErrorCode } from './errors.js';
import type { HelmTemplateOptions } from './helm.js';
import { isNotes, notesText, templateWithNotes } from './notes.js';
import { installOrder, isCrd } from './order.js';
import { isRecord } from '../shared/guards.js';
import { yamlDocuments } from '../shared/yaml-parse.js';

/** Labels Strata puts on every object it applies: how watches find a cluster's objects and who owns them. */
export const Label = {
  Cluster: 'strata.dev/cluster',
  Pack: 'strata.dev/pack',
  Profile: 'strata.dev/profile',
} as const;

/** Annotations Strata reads or writes on the objects it applies. */
export const Annotation = {
  /** Helm's removal policy: `keep` objects are left in the cluster on uninstall and when pruned. */
  ResourcePolicy: 'helm.sh/resource-policy',
  /**
   * Strata's mark on a CRD from a chart's `crds/` folder: Helm installs those when missing and never upgrades
   * or deletes them (https://helm.sh/docs/chart_best_practices/custom_resource_definitions/). On the live
   * object so a restarted hub, which has no rendering in memory, still leaves it.
   */
  ChartCrd: 'strata.dev/chart-crd',
} as const;

export const HookEvent = {
  PreInstall: 'pre-install',
  PostInstall: 'post-install',
  PreUpgrade: 'pre-upgrade',
  PostUpgrade: 'post-upgrade',
  PreDelete: 'pre-delete',
  PostDelete: 'post-delete',
} as const;
export type HookEvent = (typeof HookEvent)[keyof typeof HookEvent];

export const HookDeletePolicy = {
  BeforeHookCreation: 'before-hook-creation',
  HookSucceeded: 'hook-succeeded',
  HookFailed: 'hook-failed',
} as const;
export type HookDeletePolicy = (typeof HookDeletePolicy)[keyof typeof HookDeletePolicy];

/**
 * A Helm hook (https://helm.sh/docs/topics/charts_hooks/): one object that runs at each of its events. A hook
 * of several events (pre-install and post-install) is one hook, one resource of the pack.
 */
export interface HelmHook {
  readonly object: KubeObject;
  readonly events: readonly HookEvent[];
  readonly weight: number;
  /** Never empty: Helm's default is before-hook-creation. */
  readonly deletePolicies: readonly HookDeletePolicy[];
}

export interface RenderedPack {
  /** The pack's objects in install order, labelled with cluster, pack and profile. */
  readonly objects: readonly KubeObject[];
  /** In the order Helm runs them within an event: by weight, then name, then kind (Helm's hookByWeight). */
  readonly hooks: readonly HelmHook[];
  /** A digest of everything rendered: equal revisions mean there is nothing to apply. */
  readonly revision: string;
  /** The chart's NOTES.txt, rendered as `helm install` prints it (not part of the revision). */
  readonly notes?: string;
}

export interface RenderContext extends HelmTemplateOptions {
  readonly cluster: string;
  readonly profile: string;
  /**
   * Where a Helm pack's manifest comes from: `helm template` with the chart's notes (the default), or a rendering of the same
   * revision stored earlier (render-cache.ts). Either way it is parsed, labelled and ordered here.
   */
  readonly template?: (pack: HelmPack, options: HelmTemplateOptions) => Promise<string>;
}

const MAX_OBJECTS = 5000;

export async function renderPack(pack: Pack, context: RenderContext): Promise<RenderedPack> {
  let raw: { object: KubeObject; where: string }[];
  let notes: string | undefined;
  switch (pack.type) {
    case PackType.Helm: {
      const all = parseManifestStream(
        await (context.template ?? templateWithNotes)(pack, context),
        `chart of pack ${pack.name}`,
      );
      // The rendering of the chart's NOTES.txt (notes.ts) is read, never applied.
      const found = all.find(({ object, where }) => isNotes(object, where));
      if (found) notes = notesText(found.object);
      raw = all.filter((entry) => entry !== found);
      break;
    }
    case PackType.Manifest:
      raw = pack.manifests.map((object, index) => ({ object, where: `manifests[${index}]` }));
      for (const { object, where } of raw) checkObject(object, `pack ${pack.name} ${where}`);
      break;
    default:
      return assertNever(pack, 'pack type');
  }
  if (raw.length > MAX_OBJECTS) {
    throw new EngineError(
      EngineErrorCode.RenderFailed,
      `pack ${pack.name} renders ${raw.length} objects; the limit is ${MAX_OBJECTS}`,
    );
  }

  const labelled = raw.map(({ object, where }) =>
    withLabels(fromCrdsFolder(where) && isCrd(object) ? markChartCrd(object) : object, {
      cluster: context.cluster,
      pack: pack.name,
      profile: context.profile,
    }),
  );
  const objects: KubeObject[] = [];
  const hooks: HelmHook[] = [];
  for (const object of labelled) {
    const hook = hookOf(object);
    if (hook === 'ignored') continue;
    if (hook) hooks.push(hook);
    else objects.push(object);
  }
  checkDuplicates([...objects, ...hooks.map((h) => h.object)], pack.name);
  const ordered = installOrder(objects);
  // The first 8 bytes in hex, written as a string of its own: a slice of the 64-character digest would keep
  // the whole digest alive with it, in every status and run that holds the revision (issue 15).
  const revision = createHash('sha256')
    .update(JSON.stringify({ objects: ordered, hooks }))
    .digest()
    .toString('hex', 0, 8);
  return { objects: ordered, hooks: hookOrder(hooks), revision, ...(notes === undefined ? {} : { notes }) };
}

/** Splits `helm template` output into objects, flattening `kind: List`, naming the source template on errors. */
export function parseManifestStream(text: string, what: string): { object: KubeObject; where: string }[] {
  const out: { object: KubeObject; where: string }[] = [];
  // A repeated key stays an error (as before; helm install itself keeps one of them: sigs.k8s.io/yaml's
  // YAMLToJSON ignores duplicate fields), found in linear time: the yaml library's own check is quadratic in the
  // keys of a mapping, and a chart can loop out 100,000 keys (shared/yaml-parse.ts). One document's syntax tree
  // is held at a time.
  let file: string | undefined;
  let index = -1;
  for (const doc of yamlDocuments(text)) {
    index++;
    // Helm writes `# Source: chart/templates/file.yaml` before each document of a template, but a crds/ file
    // as it is after one such line: the documents after the file's own `---` have none and are from the same
    // file (prometheus-operator's CRDs start with a comment and `---`; read as unsourced, they were deleted).
    // Read from the document's own text: the yaml parser keeps a comment-only document's comments nowhere else.
    file = leadingSource(text.slice(doc.range[0], doc.range[2])) ?? file;
    const where = file ?? `document ${index + 1}`;
    if (doc.errors.length > 0) {
      throw new EngineError(
        EngineErrorCode.RenderFailed,
        `${what}: ${where}: invalid YAML: ${doc.errors[0]?.message ?? ''}`,
      );
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (
      isRecord(value) &&
      typeof value.kind === 'string' &&
      value.kind.endsWith('List') &&
      Array.isArray(value.items)
    ) {
      value.items.forEach((item: unknown, i) => {
        checkObject(item, `${what}: ${where} items[${i}]`);
        out.push({ object: item, where: `${where} items[${i}]` });
      });
      continue;
    }
    checkObject(value, `${what}: ${where}`);
    out.push({ object: value, where });
  }
  return out;
}

/** The file of a `# Source: <file>` line among the comments that open a document, if there is one. */
function leadingSource(raw: string): string | undefined {
  for (const line of raw.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed === '---') continue;
    if (!trimmed.startsWith('#')) return undefined;
    const source = /^#\s*Source: (\S+)/.exec(trimmed)?.[1];
    if (source !== undefined) return source;
  }
  return undefined;
}

function checkObject(value: unknown, where: string): asserts value is KubeObject {
  if (!isRecord(value))
    throw new EngineError(
      EngineErrorCode.RenderFailed,
      `${where}: expected a Kubernetes object, got ${typeof value}`,
    );
  const metadata = value.metadata;
  const missing = [
    typeof value.apiVersion === 'string' && value.apiVersion !== '' ? undefined : 'apiVersion',
    typeof value.kind === 'string' && value.kind !== '' ? undefined : 'kind',
    isRecord(metadata) && typeof metadata.name === 'string' && metadata.name !== ''
      ? undefined
      : 'metadata.name',
  ].filter((m) => m !== undefined);
  if (missing.length > 0) {
    throw new EngineError(EngineErrorCode.RenderFailed, `${where}: object has no ${missing.join(', ')}`);
  }
}

function checkDuplicates(objects: readonly KubeObject[], pack: string): void {
  const seen = new Set<string>();
  for (const o of objects) {
    const key = `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    if (seen.has(key)) {
      throw new EngineError(
        EngineErrorCode.RenderFailed,
        `pack ${pack} renders ${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name} twice`,
      );
    }
    seen.add(key);
  }
}

function withLabels(
  object: KubeObject,
  owner: { cluster: string; pack: string; profile: string },
): KubeObject {
  const metadata = object.metadata;
  const labels = isRecord(metadata.labels) ? (metadata.labels as Record<string, string>) : {};
  return {
    ...object,
    metadata: {
      ...metadata,
      labels: {
        ...labels,
        [Label.Cluster]: owner.cluster,
        [Label.Pack]: owner.pack,
        [Label.Profile]: owner.profile,
      },
    },
  };
}

const HOOK_EVENTS = new Set<string>(Object.values(HookEvent));
const DELETE_POLICIES = new Set<string>(Object.values(HookDeletePolicy));

/** undefined: not a hook; 'ignored': a hook only of events Strata does not run (rollback, test). */
function hookOf(object: KubeObject): HelmHook | 'ignored' | undefined {
  const annotations = annotationsOf(object);
  const spec = annotations['helm.sh/hook'];
  if (spec === undefined) return undefined;
  const events = [
    ...new Set(
      spec
        .split(',')
        .map((e) => e.trim())
        .filter((e): e is HookEvent => HOOK_EVENTS.has(e)),
    ),
  ];
  if (events.length === 0) return 'ignored';
  const weight = Number.parseInt(annotations['helm.sh/hook-weight'] ?? '0', 10);
  const policies = (annotations['helm.sh/hook-delete-policy'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p): p is HookDeletePolicy => DELETE_POLICIES.has(p));
  return {
    object,
    events,
    weight: Number.isFinite(weight) ? weight : 0,
    deletePolicies: policies.length > 0 ? policies : [HookDeletePolicy.BeforeHookCreation],
  };
}

/**
 * Helm sorts hooks by kind (InstallOrder), then stably by weight with the name breaking ties
 * (helm/helm pkg/action/hooks.go, hookByWeight): kind decides only between equal weights and names.
 */
/** The hooks of a rendering without any (most packs): one empty list for all, kept with each rendering. */
const NO_HOOKS: readonly HelmHook[] = Object.freeze([]);

function hookOrder(hooks: readonly HelmHook[]): readonly HelmHook[] {
  if (hooks.length === 0) return NO_HOOKS;
  const byKind = installOrder(hooks.map((h) => ({ kind: h.object.kind, hook: h }))).map((e) => e.hook);
  return byKind
    .map((hook, index) => ({ hook, index }))
    .sort(
      (a, b) =>
        a.hook.weight - b.hook.weight ||
        compareStrings(a.hook.object.metadata.name, b.hook.object.metadata.name) ||
        a.index - b.index,
    )
    .map((e) => e.hook);
}

/** Go's string order (bytes), which Helm's sort uses; localeCompare would differ. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Helm writes `# Source: <chart>/crds/<file>` (or `<chart>/charts/<sub>/crds/<file>`) for a crds/ folder. */
function fromCrdsFolder(where: string): boolean {
  return /^[^/]+(\/charts\/[^/]+)*\/crds\//.test(where);
}

function markChartCrd(object: KubeObject): KubeObject {
  return {
    ...object,
    metadata: {
      ...object.metadata,
      annotations: { ...annotationsOf(object), [Annotation.ChartCrd]: 'true' },
    },
  };
}

export function annotationsOf(object: Pick<KubeObject, 'metadata'>): Record<string, string> {
  const annotations = object.metadata.annotations;
  return isRecord(annotations) ? (annotations as Record<string, string>) : {};
}
