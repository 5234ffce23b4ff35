import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { findCondition } from './conditions.js';
import { failed, progressing, ready } from './evaluation.js';
import { describeContainerFailure, podRef, terminalContainerFailure } from './pod-failure.js';
import { ResourceState, type ResourceEvaluation } from './resource-state.js';

function terminatedCause(statuses: readonly V1ContainerStatus[] | undefined): string | undefined {
  for (const s of statuses ?? []) {
    const t = s.state?.terminated;
    if (t === undefined || t.exitCode === 0) continue;
    const why = t.message ? `: ${t.message}` : '';
    return `container "${s.name}" exited with code ${t.exitCode}${t.reason ? ` (${t.reason})` : ''}${why}`;
  }
  return undefined;
}

/**
 * Pod: Succeeded, or Running with Ready=True → Ready. Phase Failed → Failed with the kubelet's reason
 * (Evicted, DeadlineExceeded, …) or the failing container's exit. A container or init container in a
 * terminal waiting state (ImagePullBackOff, CrashLoopBackOff, …) → Failed. Unschedulable → Progressing with
 * the scheduler's message (a node may still join; the pack timeout bounds the wait).
 *
 * Deliberately differs from kstatus podConditions, which calls a Failed pod Current ("completed, but not
 * successfully") and an unschedulable pod Failed after 15 s:
 *   https://github.com/kubernetes-sigs/cli-utils/blob/master/pkg/kstatus/status/core.go
 * Argo CD getCorev1PodHealth (phase Failed and waiting reasons Err…, …Error, …BackOff → Degraded)
 *   https://github.com/argoproj/gitops-engine/blob/master/pkg/health/health_pod.go
 * Helm isPodReady (Ready condition only) https://github.com/helm/helm/blob/main/pkg/kube/ready.go
 * Phases: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-phase
 */
export function evaluatePod(pod: V1Pod): ResourceEvaluation {
  const ref = podRef(pod);
  const status = pod.status;
  const phase = status?.phase;

  if (phase === 'Succeeded') return ready(ref, 'Completed', 'completed successfully');
  if (phase === 'Failed') {
    const detail =
      status?.message?.trim() ??
      terminatedCause(status?.initContainerStatuses) ??
      terminatedCause(status?.containerStatuses) ??
      'pod failed';
    return failed(ref, status?.reason ?? 'PodFailed', detail);
  }

  const failure = terminalContainerFailure(pod);
  if (failure) {
    return {
      state: ResourceState.Failed,
      reason: failure.reason,
      message: describeContainerFailure(pod, failure),
    };
  }

  const conditions = status?.conditions;
  if (phase === 'Running') {
    if (findCondition(conditions, 'Ready')?.status === 'True')
      return ready(ref, 'Running', 'running and ready');
    const notReady = (status?.containerStatuses ?? []).filter((c) => !c.ready).map((c) => c.name);
    const which = notReady.length > 0 ? `: containers not ready: ${notReady.join(', ')}` : '';
    return progressing(ref, 'PodNotReady', `running but not ready${which}`);
  }

  const scheduled = findCondition(conditions, 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return progressing(ref, 'Unschedulable', scheduled.message ?? 'no node can run this pod yet');
  }

  // Pending: say what the first waiting container is doing (ContainerCreating, PodInitializing, …).
  const waiting = [...(status?.initContainerStatuses ?? []), ...(status?.containerStatuses ?? [])].find(
    (c) => c.state?.waiting?.reason !== undefined,
  );
  if (waiting?.state?.waiting?.reason !== undefined) {
    return progressing(
      ref,
      waiting.state.waiting.reason,
      `container "${waiting.name}" is ${waiting.state.waiting.reason}`,
    );
  }
  if (phase === undefined) return progressing(ref, 'PodNotObserved', 'not yet observed by the kubelet');
  return progressing(ref, `Pod${phase}`, `phase ${phase}`);
}
