import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeObject } from '../profile/index.js';
import { installPack } from './install.js';
import type { PackView } from './pack-run.js';
import { PackSteps, type OperationsContext, type PackSink } from './pack-steps.js';
import { uninstallPack } from './uninstall.js';

export type { OperationsContext, PackSink } from './pack-steps.js';

/**
 * The steps of installing, upgrading and uninstalling one pack: render, namespace, hooks, CRDs until
 * Established, server-side apply with retries, prune, delete. The runner decides when they run and turns
 * their facts into the pack's colour. One type split by verb (style.md 14): install.ts, uninstall.ts, and the
 * steps both are made of, pack-steps.ts.
 */
export class PackOperations {
  constructor(private readonly ctx: OperationsContext) {}

  /** Installs or upgrades the pack to its desired definition, reporting to `sink`. */
  install(run: PackView, sink: PackSink, signal: AbortSignal): Promise<void> {
    return installPack(new PackSteps(this.ctx, sink), run, signal);
  }

  /**
   * Removes the pack as `helm uninstall` does: pre-delete hooks, then everything the pack owns, last installed
   * first, except what Helm keeps, then post-delete hooks. Resolves once what it deleted is gone.
   */
  uninstall(run: PackView, sink: PackSink, signal: AbortSignal): Promise<void> {
    return uninstallPack(new PackSteps(this.ctx, sink), run, signal);
  }

  /** Applies one object with server-side apply (drift correction puts an object back with it). */
  applyObject(
    run: PackView,
    sink: PackSink,
    object: KubeObject,
    options: { signal: AbortSignal; force?: boolean },
  ): Promise<KubernetesObject> {
    return new PackSteps(this.ctx, sink).applyObject(run, object, options.signal, {
      ...(options.force === undefined ? {} : { force: options.force }),
    });
  }
}
