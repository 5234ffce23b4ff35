import type { ObjectRef, PackEvent, PackStatus } from '../status/index.js';
import type { DesiredPack } from './desired.js';
import type { RunnerEvent } from './events.js';
import type { PackSink } from './pack-steps.js';
import type { KeySet } from './key-set.js';
import type { KindScopes } from './kind-scopes.js';
import type { RenderedPack } from './render.js';
import type { RevisionGate } from './revision-gate.js';

/**
 * What the steps of an install or removal (PackOperations) read of a pack. They write none of it: what they
 * learn goes to their PackSink, and the runner records it on its PackRun.
 */
export interface PackView {
  readonly desired: DesiredPack;
  readonly rendered?: RenderedPack;
  readonly status: PackStatus;
  readonly inventory: readonly ObjectRef[];
  readonly inventoryKeys: KeySet;
  readonly appliedRevision?: string;
}

/** Everything the runner knows about one pack. */
export interface PackRun extends PackView {
  desired: DesiredPack;
  /** The last rendering of the desired pack, kept for drift correction. */
  rendered?: RenderedPack;
  status: PackStatus;
  /** Owned objects, in install order (hooks first and last, as they run). */
  inventory: ObjectRef[];
  /** The ref keys of `inventory` (key-set.ts). */
  inventoryKeys: KeySet;
  /** The revision whose objects are all applied; undefined until the first complete apply. */
  appliedRevision?: string;
  /** The desired pack's definition the current task works on; a change restarts the task. */
  startedFor?: DesiredPack;
  task?: AbortController;
  removing: boolean;
  /**
   * Objects being put back after drift, so their own events are not reported as drift again. Made by the first
   * correction: most packs never need one, and an empty Set per pack was kept for the runner's life.
   */
  correcting?: Set<string>;
  /** Objects evaluated under the previous revision, held back from evaluation until their new one is seen. */
  gate: RevisionGate;
}

/**
 * What the runner's parts (installs.ts, removals.ts, evaluations.ts, drift-correction.ts) share of it: its
 * packs, the one way a fact becomes a pack's status (`dispatch`), and its outbound events. They hold no pack
 * state of their own beyond their index and timers.
 */
export interface RunnerCore {
  readonly cluster: string;
  readonly runs: ReadonlyMap<string, PackRun>;
  /** Whether the runner was stopped: nothing is started or evaluated then. */
  stopped(): boolean;
  /** Reduces a fact into the pack's status and emits it when it changed. */
  dispatch(run: PackRun, event: PackEvent): void;
  /** A RunnerEvent for whoever runs the runner. */
  emit(event: RunnerEvent): void;
  /**
   * Decides, after this turn's I/O callbacks, what the packs do next (scheduler.ts, schedule.ts): after `run`'s
   * phase, start or task changed, or (without one) after the packs changed.
   */
  scheduleReconcile(run?: PackRun): void;
  /** Re-checks what install steps wait on (waiters.ts). */
  wake(): void;
  /** The current time, ISO 8601. */
  iso(): string;
  /** Where the steps of an install, removal or drift correction of `run` report (runner.ts records it). */
  sink(run: PackRun): PackSink;
}

/**
 * The inventory is keyed before objects are applied, so a namespaced object without a namespace is keyed under
 * the pack's namespace; which kinds are cluster-scoped, `scopes` knows (kind-scopes.ts).
 */
export function inPackNamespace(run: PackRun, ref: ObjectRef, scopes: KindScopes): ObjectRef {
  if (ref.namespace || scopes.isClusterScoped(ref.apiVersion, ref.kind)) return ref;
  return { ...ref, namespace: run.desired.pack.namespace.name };
}
