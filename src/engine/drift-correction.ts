// Drift of an applied pack's objects (drift.ts decides what counts): reported, and under the `correct` policy
// put back as last rendered.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeObject } from '../profile/index.js';
import { formatRef, refKey, type ObjectRef } from '../status/index.js';
import { detectDrift } from './drift.js';
import { DriftPolicy } from './events.js';
import type { KindScopes } from './kind-scopes.js';
import type { PackOperations } from './pack-operations.js';
import { inPackNamespace, type PackRun, type RunnerCore } from './pack-run.js';
import { refOf } from '../shared/refs.js';

export class DriftCorrection {
  constructor(
    private readonly core: RunnerCore,
    private readonly options: {
      readonly policy: DriftPolicy;
      readonly ops: PackOperations;
      readonly scopes: KindScopes;
      /** Strata's managed fields of the pack's object at `key` after its last apply (evaluations.ts keeps them). */
      readonly appliedFields: (run: PackRun, key: string) => string | undefined;
    },
  ) {}

  /** A watch event of an object the pack owns: drift only once the pack is applied and no task runs. */
  check(run: PackRun, ref: ObjectRef, type: 'ADDED' | 'MODIFIED' | 'DELETED', live: KubernetesObject): void {
    if (run.removing || run.task || run.appliedRevision === undefined) return;
    const key = refKey(ref);
    if (run.correcting?.has(key) === true) {
      if (type !== 'DELETED') run.correcting.delete(key);
      return;
    }
    const message = detectDrift({ ref, type, live, appliedFields: this.options.appliedFields(run, key) });
    if (!message) return;
    const correcting = this.options.policy === DriftPolicy.Correct;
    this.core.emit({
      type: 'DriftDetected',
      cluster: this.core.cluster,
      pack: run.desired.pack.name,
      ref,
      message,
      correcting,
      time: this.core.iso(),
    });
    if (!correcting) return;
    const object = renderedObject(run, ref, this.options.scopes);
    if (!object) return;
    (run.correcting ??= new Set()).add(key);
    const task = new AbortController();
    // Put it back as rendered; force takes back the fields another manager took over.
    this.options.ops
      .applyObject(run, this.core.sink(run), object, { signal: task.signal, force: true })
      .catch((error: unknown) => {
        run.correcting?.delete(key);
        this.core.dispatch(run, {
          type: 'StageChanged',
          time: this.core.iso(),
          stage: {
            type: 'ApplyFailed',
            error: `correcting drift of ${formatRef(ref)}: ${error instanceof Error ? error.message : String(error)}`,
          },
        });
      });
  }
}

/** The last rendered version of an owned object, kept for drift correction. */
function renderedObject(run: PackRun, ref: ObjectRef, scopes: KindScopes): KubeObject | undefined {
  return run.rendered?.objects.find((o) => refKey(inPackNamespace(run, refOf(o), scopes)) === refKey(ref));
}
