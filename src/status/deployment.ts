import type { V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { describeCondition, findCondition } from './conditions.js';
import { failed, progressing, ready, plural } from './evaluation.js';
import { generationBehind } from './generation.js';
import { refOf } from '../shared/refs.js';
import { ownedPodFailure } from './pod-failure.js';
import { noRelatedObjects, type RelatedObjects } from './related.js';
import type { ResourceEvaluation } from './resource-state.js';

const REVISION = 'deployment.kubernetes.io/revision';

/**
 * The Deployment's current-revision ReplicaSets: those it controls whose revision annotation matches its own.
 * Without a revision annotation (the controller has not run yet), or when none matches, every owned one.
 */
export function currentDeploymentReplicaSets(
  deployment: V1Deployment,
  related: RelatedObjects,
): readonly V1ReplicaSet[] {
  const uid = deployment.metadata?.uid;
  if (uid === undefined) return [];
  const replicaSets = related.replicaSetsOwnedBy(uid);
  const revision = deployment.metadata?.annotations?.[REVISION];
  const current =
    revision === undefined
      ? replicaSets
      : replicaSets.filter((rs) => rs.metadata?.annotations?.[REVISION] === revision);
  return current.length > 0 ? current : replicaSets;
}

/**
 * Pods of the Deployment's current revision: the pods of {@link currentDeploymentReplicaSets}. Pods of older
 * ReplicaSets are left out so that upgrading away from a crashing version does not turn red because of the
 * old, crashing pods that the upgrade is replacing; they still keep the Deployment Progressing (old replicas)
 * until they are gone.
 */
export function currentDeploymentPods(deployment: V1Deployment, related: RelatedObjects): readonly V1Pod[] {
  return currentDeploymentReplicaSets(deployment, related).flatMap((rs) =>
    rs.metadata?.uid === undefined ? [] : related.podsOwnedBy(rs.metadata.uid),
  );
}

/**
 * Deployment: Ready only when the controller has observed the latest generation and
 * updated = ready = available = desired, with no old or extra replicas left (pack-status.md).
 *
 * Ports and tightens:
 * - kstatus deploymentConditions (replica counters, ProgressDeadlineExceeded → Failed):
 *   https://github.com/kubernetes-sigs/cli-utils/blob/master/pkg/kstatus/status/core.go
 * - Argo CD getAppsv1DeploymentHealth (observedGeneration first, old replicas pending termination):
 *   https://github.com/argoproj/gitops-engine/blob/master/pkg/health/health_deployment.go
 * - Helm deploymentReady, which passes with `replicas - maxUnavailable` ready pods, i.e. too early:
 *   https://github.com/helm/helm/blob/main/pkg/kube/ready.go
 * Added: a current-revision pod in a terminal waiting state (ImagePullBackOff, CrashLoopBackOff, …) is
 * Failed with that pod named, which none of the three report.
 */
export function evaluateDeployment(
  deployment: V1Deployment,
  related: RelatedObjects = noRelatedObjects,
): ResourceEvaluation {
  const ref = refOf(deployment, { apiVersion: 'apps/v1', kind: 'Deployment' });
  const status = deployment.status ?? {};

  const behind = generationBehind(ref, deployment, status.observedGeneration, { requireObserved: true });
  if (behind) return behind;

  const podFailure = ownedPodFailure(currentDeploymentPods(deployment, related));
  if (podFailure) return podFailure;

  // The controller sets this once spec.progressDeadlineSeconds passes without progress; it stays until the
  // next rollout makes progress. https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#failed-deployment
  const progressingCondition = findCondition(status.conditions, 'Progressing');
  if (progressingCondition?.reason === 'ProgressDeadlineExceeded') {
    return failed(ref, 'ProgressDeadlineExceeded', describeCondition(progressingCondition));
  }

  if (deployment.spec?.paused === true) {
    // Argo CD calls this Suspended and Helm never-ready; a paused rollout will not finish, so the pack's
    // timeout is what turns it red, with this message.
    return progressing(ref, 'RolloutPaused', 'rollout is paused (spec.paused)');
  }

  // Pods that cannot even be created (quota, admission, PodSecurity) show only here; surface the API's
  // message. Progressing, not Failed: the ReplicaSet controller retries, and a quota can free up.
  const replicaFailure = findCondition(status.conditions, 'ReplicaFailure');
  if (replicaFailure?.status === 'True') {
    return progressing(ref, replicaFailure.reason ?? 'ReplicaFailure', describeCondition(replicaFailure));
  }

  const desired = deployment.spec?.replicas ?? 1; // the API server defaults spec.replicas to 1
  const replicas = status.replicas ?? 0;
  const updated = status.updatedReplicas ?? 0;
  const readyReplicas = status.readyReplicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const terminating = status.terminatingReplicas ?? 0;

  if (updated < desired) return progressing(ref, 'LessUpdated', `${updated}/${desired} updated`);
  if (replicas > updated) {
    const old = replicas - updated;
    return progressing(ref, 'OldReplicasPending', `${old} old ${plural(old, 'replica')} pending termination`);
  }
  if (replicas > desired) {
    return progressing(
      ref,
      'ExtraPods',
      `${replicas - desired} extra ${plural(replicas - desired, 'replica')} pending termination`,
    );
  }
  if (available < desired) return progressing(ref, 'LessAvailable', `${available}/${desired} available`);
  if (readyReplicas < desired) return progressing(ref, 'LessReady', `${readyReplicas}/${desired} ready`);
  // status.terminatingReplicas is only reported with the DeploymentReplicaSetTerminatingReplicas feature;
  // when it is, old pods still shutting down mean the rollout has not finished.
  if (terminating > 0)
    return progressing(
      ref,
      'ReplicasTerminating',
      `${terminating} ${plural(terminating, 'replica')} still terminating`,
    );

  return ready(ref, 'Available', `${available}/${desired} available`);
}
