// Which of a pack's objects may be evaluated while a new revision is being applied.
//
// When a revision starts, every resource evaluated under the previous one is set aside as progressing
// (`AwaitingNewRevision`, see reducePackStatus): Failed ones (ADR 0004) and Ready ones alike (ADR 0006). Until
// the new revision of such an object is applied AND the watches hold it, an evaluation would read the old
// object: a red blip while a fix rolls out, or a green one while an upgrade of a green pack is applied,
// before the controller has even seen the new generation. The gate holds those evaluations back and lets them
// through once the watched object is at least as new as the applied one; from then on the kind's own rule
// decides (a workload whose observedGeneration is behind is still progressing).
import type { KubernetesObject } from '@kubernetes/client-node';
import { AWAITING_NEW_REVISION, refKey, type PackResource } from '../status/index.js';

/** The resources a new revision set aside, by ref key: what the gate must hold. */
export function awaitingKeys(resources: readonly PackResource[]): string[] {
  return resources.filter((r) => r.evaluation.reason === AWAITING_NEW_REVISION).map((r) => refKey(r.ref));
}

interface Applied {
  readonly generation?: number;
  readonly resourceVersion?: string;
  /** The watched object's resourceVersion when the apply answered. */
  readonly before?: string;
}

export class RevisionGate {
  /**
   * Set-aside objects by ref key: null until applied in the new revision. Made by the first hold() that has
   * any: a first install holds nothing, and an empty Map per pack was ~180 bytes kept for nothing (issue 15).
   */
  #held: Map<string, Applied | null> | undefined;

  /** A revision started: these objects wait for their new version. Replaces what an earlier start held. */
  hold(keys: Iterable<string>): void {
    this.#held?.clear();
    for (const key of keys) (this.#held ??= new Map()).set(key, null);
  }

  /** Objects no longer owned by the pack are not waited for. */
  retain(keys: { has(key: string): boolean }): void {
    if (this.#held === undefined) return;
    for (const key of this.#held.keys()) if (!keys.has(key)) this.#held.delete(key);
  }

  /** Records the API server's answer to our apply of `key`; returns false when the object is not held. */
  applied(key: string, answer: KubernetesObject, watched: KubernetesObject | undefined): boolean {
    if (this.#held?.has(key) !== true) return false;
    const generation = answer.metadata?.generation;
    const resourceVersion = answer.metadata?.resourceVersion;
    const before = watched?.metadata?.resourceVersion;
    this.#held.set(key, {
      ...(generation !== undefined ? { generation } : {}),
      ...(resourceVersion !== undefined ? { resourceVersion } : {}),
      ...(before !== undefined ? { before } : {}),
    });
    return true;
  }

  /**
   * May the object be evaluated from what the watches hold? Always, unless it is held: then only once it was
   * applied and the watched copy is at least as new — the same resourceVersion, a generation at least the
   * applied one, or (objects without a generation) any version newer than the one seen when the apply answered.
   * Letting it through releases it.
   */
  admits(key: string, watched: KubernetesObject | undefined): boolean {
    if (this.#held?.has(key) !== true) return true;
    const applied = this.#held.get(key);
    if (!applied || watched === undefined) return false;
    const version = watched.metadata?.resourceVersion;
    const generation = watched.metadata?.generation;
    const current =
      version === applied.resourceVersion ||
      (applied.generation !== undefined && generation !== undefined
        ? generation >= applied.generation
        : version !== applied.before);
    if (current) this.#held.delete(key);
    return current;
  }
}
