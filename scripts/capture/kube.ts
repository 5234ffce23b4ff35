import type {
  CoreV1Event,
  KubeConfig,
  KubernetesObject,
  V1APIService,
  V1CustomResourceDefinition,
  V1DaemonSet,
  V1Deployment,
  V1Ingress,
  V1Job,
  V1Namespace,
  V1PersistentVolumeClaim,
  V1Pod,
  V1PodSpec,
  V1PodTemplateSpec,
  V1ReplicaSet,
  V1Service,
  V1StatefulSet,
} from '@kubernetes/client-node';
import type { CapturedFixture } from './fixture.js';
import type { Rest } from './rest.js';
import { collection, type Store } from './store.js';

/** Everything the capture watches, cluster-wide. */
export const C = {
  deployments: collection<V1Deployment>('deployments', '/apis/apps/v1/deployments'),
  replicaSets: collection<V1ReplicaSet>('replicasets', '/apis/apps/v1/replicasets'),
  statefulSets: collection<V1StatefulSet>('statefulsets', '/apis/apps/v1/statefulsets'),
  daemonSets: collection<V1DaemonSet>('daemonsets', '/apis/apps/v1/daemonsets'),
  jobs: collection<V1Job>('jobs', '/apis/batch/v1/jobs'),
  pods: collection<V1Pod>('pods', '/api/v1/pods'),
  pvcs: collection<V1PersistentVolumeClaim>('persistentvolumeclaims', '/api/v1/persistentvolumeclaims'),
  services: collection<V1Service>('services', '/api/v1/services'),
  namespaces: collection<V1Namespace>('namespaces', '/api/v1/namespaces'),
  events: collection<CoreV1Event>('events', '/api/v1/events'),
  crds: collection<V1CustomResourceDefinition>(
    'crds',
    '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
  ),
  apiServices: collection<V1APIService>('apiservices', '/apis/apiregistration.k8s.io/v1/apiservices'),
  ingresses: collection<V1Ingress>('ingresses', '/apis/networking.k8s.io/v1/ingresses'),
} as const;

/** The namespace the workloads are created in; it appears in the fixtures' messages (`Pod capture/web-…`). */
export const NS = 'capture';

export interface Context {
  readonly kc: KubeConfig;
  readonly rest: Rest;
  readonly store: Store;
  readonly log: (line: string) => void;
}

/** A scenario drives the cluster into one or more states and returns a fixture for each. */
export interface Scenario {
  readonly name: string;
  run(ctx: Context): Promise<CapturedFixture[]>;
}

/** testenv's simulated pod behaviours (testenv/README.md), set on pod templates. */
export const Behavior = {
  key: 'testenv.strata.dev/behavior',
  readyAfter: 'testenv.strata.dev/ready-after',
  completeAfter: 'testenv.strata.dev/complete-after',
} as const;

export function podSpec(app: string, extra: Partial<V1PodSpec> = {}): V1PodSpec {
  return { containers: [{ name: 'main', image: `registry.local/${app}:1.0` }], ...extra };
}

export function template(
  app: string,
  annotations: Record<string, string> = {},
  spec: Partial<V1PodSpec> = {},
): V1PodTemplateSpec {
  return { metadata: { labels: { app }, annotations }, spec: podSpec(app, spec) };
}

export function nsPath(namespace: string, group: string, plural: string): string {
  return group === ''
    ? `/api/v1/namespaces/${namespace}/${plural}`
    : `/apis/${group}/namespaces/${namespace}/${plural}`;
}

export const isReady = (pod: V1Pod): boolean =>
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

export const waitingReason = (pod: V1Pod): string | undefined =>
  pod.status?.containerStatuses?.[0]?.state?.waiting?.reason;

export const waitingMessage = (pod: V1Pod): string | undefined =>
  pod.status?.containerStatuses?.[0]?.state?.waiting?.message;

/** Started by kwok (it has an IP), whatever it does next. */
export const started = (pod: V1Pod): boolean => pod.status?.podIP !== undefined;

/** The controller has acted on the latest spec. */
export function observed(obj: KubernetesObject & { status?: { observedGeneration?: number } }): boolean {
  return obj.metadata?.generation !== undefined && obj.status?.observedGeneration === obj.metadata.generation;
}

export function conditionOf(
  obj: { status?: { conditions?: readonly { type: string; status: string; reason?: string }[] } },
  type: string,
) {
  return obj.status?.conditions?.find((c) => c.type === type);
}

/** `Pod capture/web-abc`: how pack-status.md names a resource in a message. */
export function podName(pod: V1Pod): string {
  return `Pod ${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

/** A state that must be shown to last (a pod that never gets ready) is held this long before it is captured. */
export const PERSIST_MS = 3000;

export function hold(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An RFC 3339 time as the API server writes it (seconds, no fraction). */
export function apiTime(date = new Date()): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}
