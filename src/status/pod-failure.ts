import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { formatRef, type ObjectRef } from '../shared/refs.js';
import { ResourceState, type ResourceEvaluation } from './resource-state.js';

/**
 * Container waiting reasons that will not clear by themselves: the kubelet keeps retrying, but only a change
 * of spec, image or referenced object fixes them. pack-status.md lists the first six; the rest are the same
 * kind of error (Argo CD treats every `Err*`, `*Error` and `*BackOff` waiting reason as Degraded:
 * https://github.com/argoproj/gitops-engine/blob/master/pkg/health/health_pod.go).
 * Not here on purpose: ContainerCreating and PodInitializing (normal progress).
 */
export const terminalWaitingReasons: ReadonlySet<string> = new Set([
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'RunContainerError',
  'ErrImageNeverPull',
  'CreateContainerError',
  'PreStartHookError',
  'PostStartHookError',
]);

export interface ContainerFailure {
  readonly container: string;
  readonly init: boolean;
  readonly reason: string;
  readonly message?: string;
}

const POD = { apiVersion: 'v1', kind: 'Pod' } as const;

export function podRef(pod: V1Pod): ObjectRef {
  const name = pod.metadata?.name ?? '';
  const namespace = pod.metadata?.namespace;
  return namespace ? { ...POD, namespace, name } : { ...POD, name };
}

function firstTerminalWaiting(statuses: readonly V1ContainerStatus[] | undefined, init: boolean) {
  for (const s of statuses ?? []) {
    const waiting = s.state?.waiting;
    if (waiting?.reason !== undefined && terminalWaitingReasons.has(waiting.reason)) {
      const failure: ContainerFailure = { container: s.name, init, reason: waiting.reason };
      return waiting.message ? { ...failure, message: waiting.message } : failure;
    }
  }
  return undefined;
}

/**
 * The first container of the pod stuck in a terminal waiting state. Init containers are checked first: they
 * run first, and while one is stuck the app containers only show `PodInitializing`.
 */
export function terminalContainerFailure(pod: V1Pod): ContainerFailure | undefined {
  return (
    firstTerminalWaiting(pod.status?.initContainerStatuses, true) ??
    firstTerminalWaiting(pod.status?.containerStatuses, false)
  );
}

/** `Pod monitoring/grafana-7d9-abc: ImagePullBackOff: Back-off pulling image "grafana:nope"` */
export function describeContainerFailure(pod: V1Pod, failure: ContainerFailure): string {
  const kind = failure.init ? 'init container' : 'container';
  const detail = failure.message ?? `${kind} "${failure.container}" is waiting`;
  return `${formatRef(podRef(pod))}: ${failure.reason}: ${detail}`;
}

// Code-unit order, not localeCompare: the result must not depend on the host's locale.
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The failure a controller's pods explain, for Deployment, StatefulSet, DaemonSet, ReplicaSet and Job: the
 * first pod, in name order so the answer is stable across watch orderings, with a container in a terminal
 * waiting state. Pods already being deleted are skipped: they are on their way out.
 *
 * The message is the pod's own (it names the pod, as pack-status.md asks) and `cause` points at the pod.
 * kstatus never looks at pods behind a controller; this is where we are deliberately stricter.
 */
export function ownedPodFailure(pods: readonly V1Pod[]): ResourceEvaluation | undefined {
  const sorted = [...pods].sort((a, b) => compareNames(a.metadata?.name ?? '', b.metadata?.name ?? ''));
  for (const pod of sorted) {
    if (pod.metadata?.deletionTimestamp) continue;
    const failure = terminalContainerFailure(pod);
    if (failure) {
      return {
        state: ResourceState.Failed,
        reason: failure.reason,
        message: describeContainerFailure(pod, failure),
        cause: podRef(pod),
      };
    }
  }
  return undefined;
}
