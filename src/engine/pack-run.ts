import type { ObjectRef, PackStatus } from '../status/index.js';
import type { DesiredPack } from './desired.js';
import type { RenderedPack } from './render.js';
import type { RevisionGate } from './revision-gate.js';

/** Everything the runner knows about one pack. */
export interface PackRun {
  desired: DesiredPack;
  /** The last rendering of the desired pack, kept for drift correction. */
  rendered?: RenderedPack;
  status: PackStatus;
  /** Owned objects, in install order (hooks first and last, as they run). */
  inventory: ObjectRef[];
  inventoryKeys: ReadonlySet<string>;
  /** The revision whose objects are all applied; undefined until the first complete apply. */
  appliedRevision?: string;
  /** The desired pack's definition the current task works on; a change restarts the task. */
  startedFor?: DesiredPack;
  task?: AbortController;
  removing: boolean;
  timer?: NodeJS.Timeout;
  /** strata's managed fields per object right after our apply: a change means someone else took some over. */
  appliedFields: Map<string, string>;
  /** Objects being put back after drift, so their own events are not reported as drift again. */
  correcting: Set<string>;
  /** Objects evaluated under the previous revision, held back from evaluation until their new one is seen. */
  gate: RevisionGate;
}
