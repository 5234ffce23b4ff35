import type { V1DaemonSet } from '@kubernetes/client-node';
import { progressing, ready } from './evaluation.js';
import { generationBehind } from './generation.js';
import { refOf } from '../shared/refs.js';
import { ownedPodFailure } from './pod-failure.js';
import { noRelatedObjects, type RelatedObjects } from './related.js';
import type { ResourceEvaluation } from './resource-state.js';

/**
 * DaemonSet: observed generation current (and reported at all), then on every node that should run it a pod
 * scheduled, updated, ready and available. With the OnDelete strategy pods are replaced by the user, so
 * "updated" is not required. A pod in a terminal waiting state → Failed naming it.
 *
 * Ports: kstatus daemonsetConditions (checkGenerationSet, current/updated/available/ready)
 *   https://github.com/kubernetes-sigs/cli-utils/blob/master/pkg/kstatus/status/core.go
 * Argo CD getAppsv1DaemonSetHealth https://github.com/argoproj/gitops-engine/blob/master/pkg/health/health_daemonset.go
 * Helm daemonSetReady, which accepts `desired - maxUnavailable` ready pods (too early for us):
 *   https://github.com/helm/helm/blob/main/pkg/kube/ready.go
 */
export function evaluateDaemonSet(
  ds: V1DaemonSet,
  related: RelatedObjects = noRelatedObjects,
): ResourceEvaluation {
  const ref = refOf(ds, { apiVersion: 'apps/v1', kind: 'DaemonSet' });
  const status = ds.status;

  const behind = generationBehind(ref, ds, status?.observedGeneration, { requireObserved: true });
  if (behind) return behind;

  const uid = ds.metadata?.uid;
  const podFailure = uid === undefined ? undefined : ownedPodFailure(related.podsOwnedBy(uid));
  if (podFailure) return podFailure;

  if (status === undefined) return progressing(ref, 'NoDesiredNumber', 'not yet scheduled by its controller');
  const desired = status.desiredNumberScheduled;
  const current = status.currentNumberScheduled;
  const updated = status.updatedNumberScheduled ?? 0;
  const available = status.numberAvailable ?? 0;
  const readyPods = status.numberReady;
  const onDelete = ds.spec?.updateStrategy?.type === 'OnDelete';

  if (current < desired) return progressing(ref, 'LessCurrent', `${current}/${desired} scheduled`);
  if (!onDelete && updated < desired) return progressing(ref, 'LessUpdated', `${updated}/${desired} updated`);
  if (available < desired) return progressing(ref, 'LessAvailable', `${available}/${desired} available`);
  if (readyPods < desired) return progressing(ref, 'LessReady', `${readyPods}/${desired} ready`);
  return ready(ref, 'Available', `${available}/${desired} available`);
}
