import type { V1StatefulSet } from '@kubernetes/client-node';
import { progressing, ready, plural } from './evaluation.js';
import { generationBehind } from './generation.js';
import { refOf } from '../shared/refs.js';
import { ownedPodFailure } from './pod-failure.js';
import { noRelatedObjects, type RelatedObjects } from './related.js';
import type { ResourceEvaluation } from './resource-state.js';

/**
 * StatefulSet: observed generation current, every replica present, ready and available, and the rollout done:
 * - RollingUpdate with a partition p: only ordinals ≥ p are updated, so `desired - p` updated replicas is done
 *   (currentRevision legitimately differs from updateRevision until the partition is lowered).
 * - RollingUpdate without a partition: all replicas updated and currentRevision = updateRevision.
 * - OnDelete: the user replaces pods; counts are all we can ask for.
 * A pod in a terminal waiting state → Failed naming it: a StatefulSet waits for each ordinal to be Ready, so
 * one crashing pod stalls it forever.
 *
 * Ports: kstatus stsConditions (partition and revision checks)
 *   https://github.com/kubernetes-sigs/cli-utils/blob/master/pkg/kstatus/status/core.go
 * Argo CD getAppsv1StatefulSetHealth https://github.com/argoproj/gitops-engine/blob/master/pkg/health/health_statefulset.go
 * Helm statefulSetReady https://github.com/helm/helm/blob/main/pkg/kube/ready.go
 * Partitions: https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#partitions
 */
export function evaluateStatefulSet(
  sts: V1StatefulSet,
  related: RelatedObjects = noRelatedObjects,
): ResourceEvaluation {
  const ref = refOf(sts, { apiVersion: 'apps/v1', kind: 'StatefulSet' });
  const status = sts.status;

  const behind = generationBehind(ref, sts, status?.observedGeneration, { requireObserved: true });
  if (behind) return behind;

  const uid = sts.metadata?.uid;
  const podFailure = uid === undefined ? undefined : ownedPodFailure(related.podsOwnedBy(uid));
  if (podFailure) return podFailure;

  const desired = sts.spec?.replicas ?? 1;
  const replicas = status?.replicas ?? 0;
  const readyReplicas = status?.readyReplicas ?? 0;
  // availableReplicas honours minReadySeconds; older API servers do not report it, then ready stands in.
  const available = status?.availableReplicas ?? readyReplicas;
  const updated = status?.updatedReplicas ?? 0;

  if (replicas < desired) return progressing(ref, 'LessReplicas', `${replicas}/${desired} replicas created`);
  if (readyReplicas < desired) return progressing(ref, 'LessReady', `${readyReplicas}/${desired} ready`);
  if (available < desired) return progressing(ref, 'LessAvailable', `${available}/${desired} available`);
  if (replicas > desired) {
    return progressing(
      ref,
      'ExtraPods',
      `${replicas - desired} extra ${plural(replicas - desired, 'replica')} pending termination`,
    );
  }

  const strategy = sts.spec?.updateStrategy;
  if (strategy?.type === 'OnDelete') {
    return ready(ref, 'Available', `${readyReplicas}/${desired} ready (OnDelete update strategy)`);
  }

  const partition = strategy?.rollingUpdate?.partition ?? 0;
  if (partition > 0) {
    const expected = Math.max(desired - partition, 0);
    if (updated < expected) {
      return progressing(ref, 'PartitionRollout', `${updated}/${expected} updated (partition ${partition})`);
    }
    return ready(
      ref,
      'PartitionRolloutComplete',
      `${readyReplicas}/${desired} ready; ${updated} updated above partition ${partition}`,
    );
  }

  if (updated < desired) return progressing(ref, 'LessUpdated', `${updated}/${desired} updated`);
  if (status?.updateRevision !== undefined && status.currentRevision !== status.updateRevision) {
    return progressing(
      ref,
      'RevisionMismatch',
      `rolling update to revision ${status.updateRevision} not finished (current ${status.currentRevision ?? 'none'})`,
    );
  }
  return ready(ref, 'Available', `${readyReplicas}/${desired} ready`);
}
