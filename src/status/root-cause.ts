import type { CoreV1Event, KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { findCondition } from './conditions.js';
import { currentDeploymentReplicaSets } from './deployment.js';
import { apiGroup, formatRef, type ObjectRef } from '../shared/refs.js';
import { podRef } from './pod-failure.js';
import type { RelatedObjects } from './related.js';
import { ResourceState, type ResourceEvaluation } from './resource-state.js';

/**
 * Warning event reasons that name why a workload's pods do not exist, run or get ready, most specific first
 * (pack-status.md: "Reasons carry the most specific cause known"). Reasons not listed here are not shown: a
 * workload's own status and its pods' say more than, e.g., a FailedKillPod.
 *   FailedCreate: the ReplicaSet/Job/StatefulSet/DaemonSet controller could not create a pod (quota, missing
 *     ServiceAccount, admission webhook denied, PodSecurity).
 *   FailedScheduling: the scheduler's reason, when the pod's own PodScheduled condition has none yet.
 *   FailedMount, FailedAttachVolume: the kubelet / attach-detach controller cannot provide a volume.
 *   ProvisioningFailed: a PersistentVolumeClaim's provisioner failed.
 *   Unhealthy: a probe failed, with the probe's output.
 *   BackOff: the kubelet is backing off restarting a container.
 * https://github.com/kubernetes/kubernetes/blob/master/pkg/kubelet/events/event.go
 */
const warningReasons = [
  'FailedCreate',
  'FailedScheduling',
  'FailedMount',
  'FailedAttachVolume',
  'ProvisioningFailed',
  'Unhealthy',
  'BackOff',
] as const;
const rank: ReadonlyMap<string, number> = new Map(warningReasons.map((reason, i) => [reason, i]));

/** Event messages can be long (a webhook's whole answer); the reason keeps the start. */
const MESSAGE_LIMIT = 400;

/** The objects whose pods and events explain a workload: itself, its current ReplicaSets, their pods. */
interface Subjects {
  readonly uids: readonly string[];
  readonly pods: readonly V1Pod[];
}

function subjects(ref: ObjectRef, live: KubernetesObject, related: RelatedObjects): Subjects {
  const uid = live.metadata?.uid;
  if (uid === undefined) return { uids: [], pods: [] };
  const group = apiGroup(ref.apiVersion);
  if (group === 'apps' && ref.kind === 'Deployment') {
    const replicaSets = currentDeploymentReplicaSets(live, related).flatMap((rs) =>
      rs.metadata?.uid === undefined ? [] : [rs.metadata.uid],
    );
    return { uids: [uid, ...replicaSets], pods: replicaSets.flatMap((rs) => related.podsOwnedBy(rs)) };
  }
  const controlsPods =
    (group === 'apps' && ['StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(ref.kind)) ||
    (group === 'batch' && ref.kind === 'Job');
  return { uids: [uid], pods: controlsPods ? related.podsOwnedBy(uid) : [] };
}

const byName = (a: V1Pod, b: V1Pod) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');

/** The first pod (by name) the scheduler could not place, with its message (pod.ts says the same of a bare Pod). */
function unschedulablePod(pods: readonly V1Pod[]): string | undefined {
  for (const pod of [...pods].sort(byName)) {
    const scheduled = findCondition(pod.status?.conditions, 'PodScheduled');
    if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
      return `${formatRef(podRef(pod))}: Unschedulable: ${scheduled.message ?? 'no node can run this pod yet'}`;
    }
  }
  return undefined;
}

const isReadyPod = (pod: V1Pod) =>
  pod.status?.phase === 'Succeeded' || findCondition(pod.status?.conditions, 'Ready')?.status === 'True';
const isScheduled = (pod: V1Pod) => findCondition(pod.status?.conditions, 'PodScheduled')?.status === 'True';

/**
 * The most specific Warning event among `events` (each list oldest first, as the engine received them): the
 * reason highest in {@link warningReasons}, the latest of that reason. Events about a pod that no longer
 * needs explaining are skipped: a pod that is ready, or a FailedScheduling of a pod the scheduler has since
 * placed (events outlive their cause by an hour).
 */
export function mostSpecificWarning(
  events: readonly CoreV1Event[],
  pods: ReadonlyMap<string, V1Pod> = new Map(),
): CoreV1Event | undefined {
  let best: CoreV1Event | undefined;
  let bestRank = Infinity;
  for (const event of events) {
    const r = rank.get(event.reason ?? '');
    if (r === undefined || r > bestRank) continue;
    const pod = pods.get(event.involvedObject.uid ?? '');
    if (pod && isReadyPod(pod)) continue;
    if (pod && event.reason === 'FailedScheduling' && isScheduled(pod)) continue;
    best = event;
    bestRank = r;
  }
  return best;
}

/** `ReplicaSet web/web-7d9: FailedCreate: pods "web-7d9-" is forbidden: exceeded quota: …` */
export function describeWarning(event: CoreV1Event): string {
  const o = event.involvedObject;
  const what = `${o.kind ?? 'object'} ${o.namespace ? `${o.namespace}/` : ''}${o.name ?? ''}`;
  const message = (event.message ?? '').trim();
  const short = message.length > MESSAGE_LIMIT ? `${message.slice(0, MESSAGE_LIMIT)}…` : message;
  return `${what}: ${event.reason ?? 'Warning'}: ${short}`;
}

/**
 * A not-ready resource's message completed with the most specific cause known beyond its own status
 * (pack-status.md): its pods' scheduling failure (`PodScheduled=False Unschedulable` with the scheduler's
 * message), else the most specific Warning event about it, its current ReplicaSets or its pods. Only
 * Progressing evaluations get one: a Failed one already names its cause, a Ready one needs none.
 */
export function withRootCause(
  ref: ObjectRef,
  live: KubernetesObject,
  result: ResourceEvaluation,
  related: RelatedObjects,
): ResourceEvaluation {
  if (result.state !== ResourceState.Progressing) return result;
  const { uids, pods } = subjects(ref, live, related);
  const cause = unschedulablePod(pods) ?? warningCause(uids, pods, related, result.message);
  return cause === undefined ? result : { ...result, message: `${result.message}; ${cause}` };
}

function warningCause(
  uids: readonly string[],
  pods: readonly V1Pod[],
  related: RelatedObjects,
  said: string,
): string | undefined {
  if (related.warningEventsFor === undefined || uids.length === 0) return undefined;
  const notReadyPods = pods.filter((p) => !isReadyPod(p));
  const podsByUid = new Map(notReadyPods.flatMap((p) => (p.metadata?.uid ? [[p.metadata.uid, p]] : [])));
  const events = [...uids, ...podsByUid.keys()].flatMap((uid) => related.warningEventsFor?.(uid) ?? []);
  const event = mostSpecificWarning(events, podsByUid);
  if (event === undefined) return undefined;
  // A Deployment's ReplicaFailure condition already quotes its ReplicaSet's FailedCreate error.
  const text = (event.message ?? '').replace(/^Error creating: /, '').trim();
  return text !== '' && said.includes(text) ? undefined : describeWarning(event);
}
