import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeObject } from '../profile/index.js';
import { installPack } from './install.js';
import type { PackRun } from './pack-run.js';
import { PackSteps, type OperationsContext } from './pack-steps.js';
import { uninstallPack } from './uninstall.js';

export type { OperationsContext, PackSink } from './pack-steps.js';

/**
 * The steps of installing, upgrading and uninstalling one pack: render, namespace, hooks, CRDs until
 * Established, server-side apply with retries, prune, delete. The runner decides when they run and turns
 * their facts into the pack's colour. One type split by verb (style.md 14): install.ts, uninstall.ts, and the
 * steps both are made of, pack-steps.ts.
 */
export class PackOperations {
  private readonly steps: PackSteps;

  constructor(ctx: OperationsContext) {
    this.steps = new PackSteps(ctx);
  }

  install(run: PackRun, signal: AbortSignal): Promise<void> {
    return installPack(this.steps, run, signal);
  }

  /**
   * Removes the pack as `helm uninstall` does: pre-delete hooks, then everything the pack owns, last installed
   * first, except what Helm keeps, then post-delete hooks. Resolves once what it deleted is gone.
   */
  uninstall(run: PackRun, signal: AbortSignal): Promise<void> {
    return uninstallPack(this.steps, run, signal);
  }

  /** Applies one object with server-side apply (drift correction puts an object back with it). */
  applyObject(
    run: PackRun,
    object: KubeObject,
    signal: AbortSignal,
    options: { force?: boolean } = {},
  ): Promise<KubernetesObject> {
    return this.steps.applyObject(run, object, signal, options);
  }
}
