// Packs the store still holds but no attachment wants: a hub killed while removing one (a detach, or an update to
// a profile version without it) restarts with only the remaining attachments, so nothing else would ever delete
// their objects or their rows.
import {
  DEFAULT_NAMESPACE,
  DEFAULT_TIMEOUT_MS,
  Layer,
  PackType,
  PrioritySource,
  noRedaction,
  type ManifestPack,
} from '../profile/index.js';
import type { ObjectRef, PackStatus } from '../status/index.js';
import type { DesiredPack } from './desired.js';

/** The lane every orphan is placed in (see orphanedPacks); no profile can be named so (names are DNS labels). */
export const ORPHAN_PROFILE = '(detached)';

export interface OrphanedPack {
  readonly desired: DesiredPack;
  readonly status: PackStatus;
  /** The objects it owned as last stored, in install order. */
  readonly inventory: readonly ObjectRef[];
}

/**
 * The stored packs not among `desired`, each with a synthetic DesiredPack: the runner's ordering, gates and
 * uninstall take one, but the pack's profile (and so its definition and rendering) is gone. It is the least that
 * works: a manifest pack with nothing to render (its objects come from the stored resources and the pack label),
 * create: false so its namespace is never touched. The store keeps no install order, so the start times stand in
 * for it: the orphans share one lane, one wave each in the order they started, and removal (reverse install
 * order, runner.reconcileRemovals) deletes the last started first, as Helm removes a release's dependents first.
 */
export function orphanedPacks(
  initial: ReadonlyMap<string, PackStatus>,
  desired: ReadonlySet<string>,
  firstOrder: number,
): OrphanedPack[] {
  const orphans = [...initial]
    .filter(([name]) => !desired.has(name))
    .sort(([a, s], [b, t]) => (s.startTime ?? '').localeCompare(t.startTime ?? '') || a.localeCompare(b));
  return orphans.map(([name, status], index) => {
    const pack: ManifestPack = {
      name,
      layer: Layer.Addon,
      version: '',
      installPriority: 0,
      prioritySource: PrioritySource.Default,
      dependsOn: [],
      timeoutMs: DEFAULT_TIMEOUT_MS,
      namespace: { name: DEFAULT_NAMESPACE, labels: {}, annotations: {}, create: false },
      type: PackType.Manifest,
      manifests: [],
      files: [],
    };
    return {
      desired: {
        pack,
        profile: { name: ORPHAN_PROFILE, version: '' },
        wave: index + 1,
        order: firstOrder + index,
        explanation: 'no longer attached: removed after a restart',
        // Stored statuses are redacted before they are stored (hub StatusWriter): nothing left to mask.
        redactor: noRedaction,
      },
      status,
      inventory: status.resources.map((r) => r.ref),
    };
  });
}
