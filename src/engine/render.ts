import { createHash } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import { PackType, type KubeObject, type Pack } from '../profile/index.js';
import { assertNever } from '../status/index.js';
import { EngineError, EngineErrorCode } from './errors.js';
import { helmTemplate, type HelmTemplateOptions } from './helm.js';
import { installOrder } from './order.js';

/** Labels Strata puts on every object it applies: how watches find a cluster's objects and who owns them. */
export const Label = {
  Cluster: 'strata.dev/cluster',
  Pack: 'strata.dev/pack',
  Profile: 'strata.dev/profile',
} as const;

export const HookEvent = {
  PreInstall: 'pre-install',
  PostInstall: 'post-install',
  PreUpgrade: 'pre-upgrade',
  PostUpgrade: 'post-upgrade',
} as const;
export type HookEvent = (typeof HookEvent)[keyof typeof HookEvent];

/** A Helm hook (https://helm.sh/docs/topics/charts_hooks/): applied around the pack's objects, in weight order. */
export interface HelmHook {
  readonly object: KubeObject;
  readonly events: readonly HookEvent[];
  readonly weight: number;
  readonly deletePolicies: readonly string[];
}

export interface RenderedPack {
  /** The pack's objects in install order, labelled with cluster, pack and profile. */
  readonly objects: readonly KubeObject[];
  readonly hooks: readonly HelmHook[];
  /** A digest of everything rendered: equal revisions mean there is nothing to apply. */
  readonly revision: string;
}

export interface RenderContext extends HelmTemplateOptions {
  readonly cluster: string;
  readonly profile: string;
}

const MAX_OBJECTS = 5000;

export async function renderPack(pack: Pack, context: RenderContext): Promise<RenderedPack> {
  let raw: { object: KubeObject; where: string }[];
  switch (pack.type) {
    case PackType.Helm:
      raw = parseManifestStream(await helmTemplate(pack, context), `chart of pack ${pack.name}`);
      break;
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

  const labelled = raw.map(({ object }) =>
    withLabels(object, { cluster: context.cluster, pack: pack.name, profile: context.profile }),
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
  const revision = createHash('sha256')
    .update(JSON.stringify({ objects: ordered, hooks }))
    .digest('hex')
    .slice(0, 16);
  return { objects: ordered, hooks: hooks.sort((a, b) => a.weight - b.weight), revision };
}

/** Splits `helm template` output into objects, flattening `kind: List`, naming the source template on errors. */
export function parseManifestStream(text: string, what: string): { object: KubeObject; where: string }[] {
  const out: { object: KubeObject; where: string }[] = [];
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, index) => {
    // Helm writes `# Source: chart/templates/file.yaml` before each document.
    const source = /Source: (\S+)/.exec(doc.commentBefore ?? '')?.[1];
    const where = source ?? `document ${index + 1}`;
    if (doc.errors.length > 0) {
      throw new EngineError(
        EngineErrorCode.RenderFailed,
        `${what}: ${where}: invalid YAML: ${doc.errors[0]?.message ?? ''}`,
      );
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
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
      return;
    }
    checkObject(value, `${what}: ${where}`);
    out.push({ object: value, where });
  });
  return out;
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

const INSTALL_HOOKS = new Set<string>(Object.values(HookEvent));

/** undefined: not a hook; 'ignored': a hook for events Strata does not run (delete, rollback, test). */
function hookOf(object: KubeObject): HelmHook | 'ignored' | undefined {
  const annotations = isRecord(object.metadata.annotations)
    ? (object.metadata.annotations as Record<string, string>)
    : {};
  const spec = annotations['helm.sh/hook'];
  if (spec === undefined) return undefined;
  const events = spec
    .split(',')
    .map((e) => e.trim())
    .filter((e): e is HookEvent => INSTALL_HOOKS.has(e));
  if (events.length === 0) return 'ignored';
  const weight = Number.parseInt(annotations['helm.sh/hook-weight'] ?? '0', 10);
  const deletePolicies = (annotations['helm.sh/hook-delete-policy'] ?? 'before-hook-creation')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  return { object, events, weight: Number.isFinite(weight) ? weight : 0, deletePolicies };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
