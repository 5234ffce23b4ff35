import type { CoreV1Event, KubernetesObject, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';

/**
 * The objects a rule may look at besides the one it evaluates. Workload rules need the Pods behind a
 * controller to name the pod that is failing (pack-status.md: "A pod it owns in a terminal waiting state →
 * Failed, naming that pod"; kstatus misses these causes).
 *
 * Ownership is resolved through `metadata.ownerReferences` with `controller: true`, by uid, exactly as the
 * garbage collector and `kubectl` do; never through label selectors, which can match pods of another owner.
 *   Deployment  → its ReplicaSets → their Pods
 *   StatefulSet, DaemonSet, ReplicaSet, Job → their Pods
 *
 * The engine supplies this from its watch caches: it watches ReplicaSets and Pods in the namespaces its packs
 * write to, and either keeps its own index by owner uid (implementing this interface) or calls
 * {@link indexRelated} with the cached lists. Extra unrelated objects are harmless.
 */
export interface RelatedObjects {
  replicaSetsOwnedBy(uid: string): readonly V1ReplicaSet[];
  podsOwnedBy(uid: string): readonly V1Pod[];
  /**
   * Recent Warning events whose involvedObject has this uid, oldest first (bounded and deduplicated by reason
   * by the engine). Optional: without it, reasons carry no events (root-cause.ts).
   */
  warningEventsFor?(uid: string): readonly CoreV1Event[];
}

export const noRelatedObjects: RelatedObjects = {
  replicaSetsOwnedBy: () => [],
  podsOwnedBy: () => [],
};

/** The uid of the object's controller (the owner reference with `controller: true`), if any. */
export function controllerUid(obj: KubernetesObject): string | undefined {
  return obj.metadata?.ownerReferences?.find((o) => o.controller === true)?.uid;
}

function groupByController<T extends KubernetesObject>(
  objects: Iterable<T>,
): ReadonlyMap<string, readonly T[]> {
  const byOwner = new Map<string, T[]>();
  for (const obj of objects) {
    const owner = controllerUid(obj);
    if (owner === undefined) continue;
    const list = byOwner.get(owner);
    if (list) list.push(obj);
    else byOwner.set(owner, [obj]);
  }
  return byOwner;
}

/** An owner index over plain lists, e.g. the contents of the engine's Pod and ReplicaSet caches. */
export function indexRelated(objects: {
  readonly replicaSets?: Iterable<V1ReplicaSet>;
  readonly pods?: Iterable<V1Pod>;
}): RelatedObjects {
  const replicaSets = groupByController(objects.replicaSets ?? []);
  const pods = groupByController(objects.pods ?? []);
  return {
    replicaSetsOwnedBy: (uid) => replicaSets.get(uid) ?? [],
    podsOwnedBy: (uid) => pods.get(uid) ?? [],
  };
}

/**
 * Which owners' evaluations a change to `obj` can affect: its controller and, for a Pod of a ReplicaSet, that
 * ReplicaSet's controller (the Deployment). The engine calls this on every Pod or ReplicaSet watch event and
 * re-evaluates the pack resources with these uids, so a pod entering ImagePullBackOff turns its Deployment
 * red without waiting for the Deployment itself to change. `replicaSetByUid` looks up the engine's cache.
 */
export function ownersAffectedBy(
  obj: KubernetesObject,
  replicaSetByUid: (uid: string) => V1ReplicaSet | undefined,
): readonly string[] {
  const owner = controllerUid(obj);
  if (owner === undefined) return [];
  const rs = replicaSetByUid(owner);
  const grandOwner = rs === undefined ? undefined : controllerUid(rs);
  return grandOwner === undefined ? [owner] : [owner, grandOwner];
}
