import type { V1Job } from '@kubernetes/client-node';
import { describeCondition, findCondition } from './conditions.js';
import { failed, progressing, ready } from './evaluation.js';
import { refOf } from '../shared/refs.js';
import { ownedPodFailure } from './pod-failure.js';
import { noRelatedObjects, type RelatedObjects } from './related.js';
import type { ResourceEvaluation } from './resource-state.js';

/**
 * Job: Complete → Ready; Failed (BackoffLimitExceeded, DeadlineExceeded, PodFailurePolicy, …) or FailureTarget
 * (the controller has decided to fail it and is terminating pods) → Failed; anything else, running,
 * suspended or not started, → Progressing. A pod in a terminal waiting state (e.g. ImagePullBackOff, which a
 * Job with restartPolicy Never would otherwise wait out until its deadline) → Failed naming it.
 *
 * Deliberately differs from kstatus jobConditions, which calls a running or suspended Job Current: for an
 * install, a migration Job that has not finished is not done.
 *   https://github.com/kubernetes-sigs/cli-utils/blob/master/pkg/kstatus/status/core.go
 * Argo CD getBatchv1JobHealth (Complete/Failed conditions) https://github.com/argoproj/gitops-engine/blob/master/pkg/health/health_job.go
 * Helm jobReady (failed > backoffLimit, succeeded < completions) https://github.com/helm/helm/blob/main/pkg/kube/ready.go
 * Conditions: https://kubernetes.io/docs/concepts/workloads/controllers/job/#job-termination-and-cleanup
 */
export function evaluateJob(job: V1Job, related: RelatedObjects = noRelatedObjects): ResourceEvaluation {
  const ref = refOf(job, { apiVersion: 'batch/v1', kind: 'Job' });
  const status = job.status;
  const conditions = status?.conditions;

  for (const type of ['Failed', 'FailureTarget']) {
    const c = findCondition(conditions, type);
    if (c?.status === 'True') return failed(ref, c.reason ?? 'JobFailed', describeCondition(c));
  }

  const completions = job.spec?.completions ?? job.spec?.parallelism ?? 1;
  const succeeded = status?.succeeded ?? 0;
  const complete = findCondition(conditions, 'Complete');
  if (complete?.status === 'True')
    return ready(ref, 'Completed', `completed (${succeeded}/${completions} succeeded)`);

  const uid = job.metadata?.uid;
  const podFailure = uid === undefined ? undefined : ownedPodFailure(related.podsOwnedBy(uid));
  if (podFailure) return podFailure;

  const suspended = findCondition(conditions, 'Suspended');
  if (suspended?.status === 'True' || job.spec?.suspend === true) {
    return progressing(ref, 'Suspended', 'suspended (spec.suspend); it will not complete until resumed');
  }
  if (status?.startTime === undefined) return progressing(ref, 'JobNotStarted', 'not started yet');

  const active = status.active ?? 0;
  const failedPods = status.failed ?? 0;
  const retries = failedPods > 0 ? `, ${failedPods} failed` : '';
  return progressing(
    ref,
    'JobRunning',
    `running: ${succeeded}/${completions} succeeded, ${active} active${retries}`,
  );
}
