import type { V1ReplicaSet } from '@kubernetes/client-node';
import { describeCondition, findCondition } from './conditions.js';
import { progressing, ready, plural } from './evaluation.js';
import { generationBehind } from './generation.js';
import { refOf } from '../shared/refs.js';
import { ownedPodFailure } from './pod-failure.js';
import { noRelatedObjects, type RelatedObjects } from './related.js';
import type { ResourceEvaluation } from './resource-state.js';

/**
 * ReplicaSet (one a pack applies directly; those behind a Deployment are judged through it): observed
 * generation current, desired replicas ready and available, no extra pods. A pod in a terminal waiting state
 * → Failed naming it. ReplicaFailure (pods cannot be created: quota, admission) → Progressing with the API
 * server's message; the controller retries and the pack timeout bounds it. Argo CD calls it Degraded and
 * kstatus InProgress; we show the cause either way.
 *
 * Ports: kstatus replicasetConditions https://github.com/kubernetes-sigs/cli-utils/blob/master/pkg/kstatus/status/core.go
 * Argo CD getAppsv1ReplicaSetHealth https://github.com/argoproj/gitops-engine/blob/master/pkg/health/health_replicaset.go
 * Helm replicaSetReady + podsReadyForObject https://github.com/helm/helm/blob/main/pkg/kube/ready.go
 */
export function evaluateReplicaSet(
  rs: V1ReplicaSet,
  related: RelatedObjects = noRelatedObjects,
): ResourceEvaluation {
  const ref = refOf(rs, { apiVersion: 'apps/v1', kind: 'ReplicaSet' });
  const status = rs.status;

  const behind = generationBehind(ref, rs, status?.observedGeneration, { requireObserved: true });
  if (behind) return behind;

  const uid = rs.metadata?.uid;
  const podFailure = uid === undefined ? undefined : ownedPodFailure(related.podsOwnedBy(uid));
  if (podFailure) return podFailure;

  const replicaFailure = findCondition(status?.conditions, 'ReplicaFailure');
  if (replicaFailure?.status === 'True') {
    return progressing(ref, replicaFailure.reason ?? 'ReplicaFailure', describeCondition(replicaFailure));
  }

  const desired = rs.spec?.replicas ?? 1;
  const replicas = status?.replicas ?? 0;
  const readyReplicas = status?.readyReplicas ?? 0;
  const available = status?.availableReplicas ?? 0;

  if (replicas < desired) return progressing(ref, 'LessReplicas', `${replicas}/${desired} replicas created`);
  if (available < desired) return progressing(ref, 'LessAvailable', `${available}/${desired} available`);
  if (readyReplicas < desired) return progressing(ref, 'LessReady', `${readyReplicas}/${desired} ready`);
  if (replicas > desired) {
    return progressing(
      ref,
      'ExtraPods',
      `${replicas - desired} extra ${plural(replicas - desired, 'replica')} pending termination`,
    );
  }
  return ready(ref, 'Available', `${available}/${desired} available`);
}
