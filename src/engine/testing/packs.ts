// Test and benchmark support: a whole pack, or a whole desired pack, from the few fields a test is about. Twelve
// test files spelled out every field of the same pack; a field added to the model is now added here once.
import {
  ChartSourceKind,
  DEFAULT_TIMEOUT_MS,
  Layer,
  PackType,
  PrioritySource,
  noRedaction,
  type HelmPack,
  type ManifestPack,
  type NamespaceSpec,
  type Pack,
} from '../../profile/index.js';
import type { DesiredPack } from '../desired.js';

/** A namespace the pack creates, with no labels or annotations of its own. */
export const packNamespace = (name: string): NamespaceSpec => ({
  name,
  labels: {},
  annotations: {},
  create: true,
});

/** A manifest pack `web` in namespace `apps`, no objects, default priority and timeout; `overrides` win. */
export function manifestPack(overrides: Partial<Omit<ManifestPack, 'type'>> = {}): ManifestPack {
  return {
    name: 'web',
    layer: Layer.Addon,
    version: '1.0.0',
    installPriority: 0,
    prioritySource: PrioritySource.Default,
    dependsOn: [],
    timeoutMs: DEFAULT_TIMEOUT_MS,
    namespace: packNamespace('apps'),
    type: PackType.Manifest,
    manifests: [],
    files: [],
    ...overrides,
  };
}

/**
 * A Helm pack named `web` (or `overrides.name`), its namespace and release named after it, a local chart
 * `charts/<name>`, no values, a 60 s timeout; `overrides` win.
 */
export function helmPack(overrides: Partial<Omit<HelmPack, 'type'>> = {}): HelmPack {
  const name = overrides.name ?? 'web';
  return {
    type: PackType.Helm,
    name,
    layer: Layer.Addon,
    version: '1.0.0',
    installPriority: 0,
    prioritySource: PrioritySource.Default,
    dependsOn: [],
    timeoutMs: 60_000,
    namespace: packNamespace(name),
    chart: { kind: ChartSourceKind.Local, path: `charts/${name}` },
    releaseName: name,
    values: {},
    ...overrides,
  };
}

export type DesiredOverrides = Partial<Omit<DesiredPack, 'pack'>>;

/** `pack` as the only pack of profile `apps` 1.0.0, in wave 1 (or `overrides.wave`), first, nothing masked. */
export function desiredPack(pack: Pack, overrides: DesiredOverrides = {}): DesiredPack {
  const wave = overrides.wave ?? 1;
  return {
    pack,
    profile: { name: 'apps', version: '1.0.0' },
    wave,
    order: 0,
    explanation: `wave ${String(wave)}`,
    redactor: noRedaction,
    ...overrides,
  };
}

/** A desired manifest pack: `manifestPack(overrides.pack)` placed by `desiredPack`. */
export function desiredManifestPack(
  overrides: DesiredOverrides & { pack?: Partial<Omit<ManifestPack, 'type'>> } = {},
): DesiredPack {
  const { pack, ...desired } = overrides;
  return desiredPack(manifestPack(pack), desired);
}
