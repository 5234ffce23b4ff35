import type { KubernetesObject } from '@kubernetes/client-node';
import { progressing } from './evaluation.js';
import type { ObjectRef } from '../shared/refs.js';
import type { ResourceEvaluation } from './resource-state.js';

/**
 * Progressing while the controller has not yet seen the latest spec: until it has, every other status field
 * describes the previous spec, so nothing else can be trusted.
 * kstatus: https://github.com/kubernetes-sigs/cli-utils/blob/master/pkg/kstatus/status/generic.go (checkGeneration)
 * kubectl rollout status: https://github.com/kubernetes/kubectl/blob/master/pkg/polymorphichelpers/rollout_status.go
 *
 * `requireObserved`: for the built-in controllers (Deployment, StatefulSet, DaemonSet, ReplicaSet) a missing
 * observedGeneration means the controller has not acted yet, so it counts as behind (kstatus' checkGenerationSet
 * for DaemonSet, Helm's `ObservedGeneration != Generation`); for custom resources it may simply not be
 * reported, so it is only compared when present.
 */
export function generationBehind(
  ref: ObjectRef,
  obj: KubernetesObject,
  observedGeneration: number | undefined,
  options: { requireObserved: boolean },
): ResourceEvaluation | undefined {
  const generation = obj.metadata?.generation;
  if (generation === undefined) return undefined;
  if (observedGeneration === undefined) {
    return options.requireObserved
      ? progressing(
          ref,
          'LatestGenerationNotObserved',
          `generation ${generation} not yet observed by its controller`,
        )
      : undefined;
  }
  if (observedGeneration < generation) {
    return progressing(
      ref,
      'LatestGenerationNotObserved',
      `generation ${generation} not yet observed (controller is at ${observedGeneration})`,
    );
  }
  return undefined;
}
