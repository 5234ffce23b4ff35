// Which of a pack's objects may be evaluated while a new revision is being applied.
//
// When a revision starts, resources that failed under the previous one are set aside as progressing
// (`AwaitingNewRevision`, see reducePackStatus). Until the new revision of such an object is applied AND the
// watches hold it, an evaluation would read the old object and turn the pack red again while the fix is
// being rolled out: a red blip between "start applying" and the object's first watch event. The gate holds
// those evaluations back and lets them through once the watched object is at least as new as the applied one.
import type { KubernetesObject } from '@kubernetes/client-node';

interface Applied {
  readonly generation?: number;
  readonly resourceVersion?: string;
  /** The watched object's resourceVersion when the apply answered. */
  readonly before?: string;
}

export class RevisionGate {
  /** Set-aside objects by ref key: null until applied in the new revision. */
  readonly #held = new Map<string, Applied | null>();

  /** A revision started: these objects wait for their new version. Replaces what an earlier start held. */
  hold(keys: Iterable<string>): void {
    this.#held.clear();
    for (const key of keys) this.#held.set(key, null);
  }

  /** Objects no longer owned by the pack are not waited for. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.#held.keys()) if (!keys.has(key)) this.#held.delete(key);
  }

  /** Records the API server's answer to our apply of `key`; returns false when the object is not held. */
  applied(key: string, answer: KubernetesObject, watched: KubernetesObject | undefined): boolean {
    if (!this.#held.has(key)) return false;
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
    if (!this.#held.has(key)) return true;
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
