import type {
  KubernetesObject,
  V1DaemonSet,
  V1Job,
  V1Pod,
  V1ReplicaSet,
  V1Service,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { ResourceState } from '../../src/status/resource-state.js';
import type { CapturedFixture, Expectation } from './fixture.js';
import {
  Behavior,
  C,
  conditionOf,
  isReady,
  NS,
  nsPath,
  observed,
  podName,
  started,
  template,
  waitingMessage,
  waitingReason,
  type Context,
  type Scenario,
} from './kube.js';
import { startedEarly, type Collection } from './store.js';

interface OwnerState<T> {
  object: T;
  pods: V1Pod[];
}

/** A StatefulSet, DaemonSet, ReplicaSet or Job with the Pods it controls (by owner uid). */
function waitForOwner<T extends KubernetesObject>(
  ctx: Context,
  collection: Collection<T>,
  kind: string,
  name: string,
  description: string,
  holds: (s: OwnerState<T>) => boolean,
  timeoutMs = 60_000,
): Promise<OwnerState<T>> {
  const state = (): OwnerState<T> | undefined => {
    const object = ctx.store.get<T>(collection, NS, name);
    return object && { object, pods: ctx.store.ownedBy<V1Pod>(C.pods, object.metadata?.uid) };
  };
  return ctx.store.until(
    `${kind} ${NS}/${name}: ${description}`,
    () => {
      const s = state();
      return s && holds(s) ? s : undefined;
    },
    { timeoutMs, explain: () => (state()?.object as { status?: unknown } | undefined)?.status },
  );
}

function fixture(
  name: string,
  description: string,
  s: OwnerState<KubernetesObject>,
  expect: Expectation,
): CapturedFixture {
  return { name, description, object: s.object, related: { pods: s.pods }, expect };
}

const statefulSet = (name: string, annotations: Record<string, string> = {}): V1StatefulSet => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name, namespace: NS, labels: { app: name } },
  spec: {
    replicas: 3,
    serviceName: name,
    selector: { matchLabels: { app: name } },
    template: template(name, annotations),
  },
});

const headlessService = (name: string): V1Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: NS },
  spec: { clusterIP: 'None', selector: { app: name }, ports: [{ name: 'db', port: 5432 }] },
});

const job = (name: string, annotations: Record<string, string>): V1Job => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name, namespace: NS },
  spec: { backoffLimit: 1, template: template(name, annotations, { restartPolicy: 'Never' }) },
});

export const controllerScenarios: Scenario[] = [
  {
    name: 'statefulset/ready',
    async run(ctx) {
      await ctx.rest.create(nsPath(NS, '', 'services'), headlessService('db'));
      await ctx.rest.create(nsPath(NS, 'apps/v1', 'statefulsets'), statefulSet('db'));
      const s = await waitForOwner<V1StatefulSet>(
        ctx,
        C.statefulSets,
        'StatefulSet',
        'db',
        '3/3 ready',
        (x) => {
          const st = x.object.status;
          return (
            observed(x.object) &&
            st?.readyReplicas === 3 &&
            st.availableReplicas === 3 &&
            st.updatedReplicas === 3 &&
            st.currentRevision === st.updateRevision &&
            x.pods.length === 3 &&
            x.pods.every(isReady)
          );
        },
      );
      return [
        fixture(
          'statefulset/ready',
          'StatefulSet of 3 replicas (OrderedReady, with its headless Service) left to start: 3/3 ready and available, current revision = update revision.',
          s,
          { state: ResourceState.Ready },
        ),
      ];
    },
  },
  {
    name: 'statefulset/progressing',
    async run(ctx) {
      await ctx.rest.create(nsPath(NS, '', 'services'), headlessService('db-slow'));
      await ctx.rest.create(
        nsPath(NS, 'apps/v1', 'statefulsets'),
        statefulSet('db-slow', { [Behavior.readyAfter]: '30s' }),
      );
      const s = await waitForOwner<V1StatefulSet>(
        ctx,
        C.statefulSets,
        'StatefulSet',
        'db-slow',
        'pod 0 started, not ready',
        (x) =>
          observed(x.object) &&
          x.object.status?.replicas === 1 &&
          x.pods.length === 1 &&
          x.pods.every((p) => started(p) && !isReady(p)),
      );
      return [
        fixture(
          'statefulset/progressing',
          `StatefulSet of 3 replicas whose pods get ready only after 30s (${Behavior.readyAfter}); OrderedReady creates pod 0 and waits for it, captured while it is not ready: 1/3 replicas, 0 ready.`,
          s,
          { state: ResourceState.Progressing },
        ),
      ];
    },
  },
  {
    name: 'statefulset/crash-loop',
    async run(ctx) {
      await ctx.rest.create(nsPath(NS, '', 'services'), headlessService('db-crasher'));
      await ctx.rest.create(
        nsPath(NS, 'apps/v1', 'statefulsets'),
        statefulSet('db-crasher', { [Behavior.key]: 'crash-loop' }),
      );
      const s = await waitForOwner<V1StatefulSet>(
        ctx,
        C.statefulSets,
        'StatefulSet',
        'db-crasher',
        'pod 0 in CrashLoopBackOff',
        (x) =>
          observed(x.object) &&
          x.pods.length === 1 &&
          x.pods.every((p) => waitingReason(p) === 'CrashLoopBackOff'),
      );
      const pod = s.pods[0];
      if (!pod) throw new Error('no pod captured');
      return [
        fixture(
          'statefulset/crash-loop',
          'StatefulSet of 3 replicas whose containers crash on start (behavior crash-loop): OrderedReady creates pod 0 only, and waits for ever while it is in CrashLoopBackOff.',
          s,
          {
            state: ResourceState.Failed,
            reason: 'CrashLoopBackOff',
            message: `${podName(pod)}: CrashLoopBackOff: ${waitingMessage(pod) ?? ''}`,
          },
        ),
      ];
    },
  },
  {
    name: 'daemonset/image-pull-backoff',
    async run(ctx) {
      await ctx.rest.create<V1DaemonSet>(nsPath(NS, 'apps/v1', 'daemonsets'), {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'node-agent-badimage', namespace: NS },
        spec: {
          selector: { matchLabels: { app: 'node-agent-badimage' } },
          template: template('node-agent-badimage', { [Behavior.key]: 'image-pull-backoff' }),
        },
      });
      const s = await waitForOwner<V1DaemonSet>(
        ctx,
        C.daemonSets,
        'DaemonSet',
        'node-agent-badimage',
        'its 3 pods in ImagePullBackOff',
        (x) =>
          observed(x.object) &&
          x.object.status?.desiredNumberScheduled === 3 &&
          x.pods.length === 3 &&
          x.pods.every((p) => waitingReason(p) === 'ImagePullBackOff'),
      );
      return [
        fixture(
          'daemonset/image-pull-backoff',
          'DaemonSet on the 3 nodes whose image cannot be pulled (behavior image-pull-backoff), captured once all 3 pods are in ImagePullBackOff. Any of them may be the one named, so only state and reason are expected.',
          s,
          { state: ResourceState.Failed, reason: 'ImagePullBackOff' },
        ),
      ];
    },
  },
  {
    name: 'daemonset/ready',
    async run(ctx) {
      await ctx.rest.create<V1DaemonSet>(nsPath(NS, 'apps/v1', 'daemonsets'), {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'node-agent', namespace: NS },
        spec: { selector: { matchLabels: { app: 'node-agent' } }, template: template('node-agent') },
      });
      const s = await waitForOwner<V1DaemonSet>(
        ctx,
        C.daemonSets,
        'DaemonSet',
        'node-agent',
        'ready on all 3 nodes',
        (x) => {
          const st = x.object.status;
          return (
            observed(x.object) &&
            st?.desiredNumberScheduled === 3 &&
            st.currentNumberScheduled === 3 &&
            st.updatedNumberScheduled === 3 &&
            st.numberReady === 3 &&
            st.numberAvailable === 3 &&
            x.pods.length === 3 &&
            x.pods.every(isReady)
          );
        },
      );
      return [
        fixture(
          'daemonset/ready',
          'DaemonSet on the 3 simulated nodes, left to roll out: 3 desired, scheduled, updated, ready and available.',
          s,
          { state: ResourceState.Ready },
        ),
      ];
    },
  },
  {
    name: 'replicaset/ready',
    async run(ctx) {
      await ctx.rest.create<V1ReplicaSet>(nsPath(NS, 'apps/v1', 'replicasets'), {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'cache', namespace: NS },
        spec: { replicas: 3, selector: { matchLabels: { app: 'cache' } }, template: template('cache') },
      });
      const s = await waitForOwner<V1ReplicaSet>(
        ctx,
        C.replicaSets,
        'ReplicaSet',
        'cache',
        '3/3 ready',
        (x) => {
          const st = x.object.status;
          return (
            observed(x.object) &&
            st?.replicas === 3 &&
            st.readyReplicas === 3 &&
            st.availableReplicas === 3 &&
            x.pods.length === 3 &&
            x.pods.every(isReady)
          );
        },
      );
      return [
        fixture(
          'replicaset/ready',
          'A ReplicaSet of 3 replicas applied directly (no Deployment), left to start: 3/3 ready and available.',
          s,
          { state: ResourceState.Ready },
        ),
      ];
    },
  },
  {
    name: 'job/complete',
    async run(ctx) {
      await ctx.rest.create(nsPath(NS, 'batch/v1', 'jobs'), job('migrate', {}));
      const s = await waitForOwner<V1Job>(
        ctx,
        C.jobs,
        'Job',
        'migrate',
        'Complete',
        (x) =>
          conditionOf(x.object, 'Complete')?.status === 'True' &&
          x.pods.length === 1 &&
          x.pods.every((p) => p.status?.phase === 'Succeeded'),
      );
      return [
        fixture(
          'job/complete',
          'Job of one pod that runs to completion; captured once the Job controller set Complete=True (1 succeeded).',
          s,
          { state: ResourceState.Ready },
        ),
      ];
    },
  },
  {
    name: 'job/running',
    async run(ctx) {
      await ctx.rest.create(
        nsPath(NS, 'batch/v1', 'jobs'),
        job('migrate-slow', { [Behavior.completeAfter]: '120s' }),
      );
      const s = await waitForOwner<V1Job>(
        ctx,
        C.jobs,
        'Job',
        'migrate-slow',
        'its pod running',
        (x) =>
          x.object.status?.active === 1 &&
          x.object.status.ready === 1 &&
          x.pods.length === 1 &&
          x.pods.every((p) => p.status?.phase === 'Running' && isReady(p)),
      );
      return [
        fixture(
          'job/running',
          `Job whose pod runs for 120s (${Behavior.completeAfter}), captured while it runs: 1 active and ready, 0 succeeded. An install is not done until the Job completes.`,
          s,
          { state: ResourceState.Progressing },
        ),
      ];
    },
  },
  {
    name: 'job/backoff-limit-exceeded',
    async run(ctx) {
      const failedCondition = (j: V1Job) =>
        j.status?.conditions?.some(
          (c) => (c.type === 'Failed' || c.type === 'FailureTarget') && c.status === 'True',
        ) === true;
      // Between the two tries: the first pod failed, and the Job controller backs off (~10 s) before the retry.
      // Both waits start before the Job exists, so neither state can be missed.
      const retrying = startedEarly(
        waitForOwner<V1Job>(
          ctx,
          C.jobs,
          'Job',
          'migrate-broken',
          'first try failed, not given up',
          (x) =>
            x.object.status?.failed === 1 &&
            (x.object.status.active ?? 0) === 0 &&
            !failedCondition(x.object) &&
            x.pods.length === 1 &&
            x.pods.every((p) => p.status?.phase === 'Failed'),
        ),
      );
      const failed = startedEarly(
        waitForOwner<V1Job>(
          ctx,
          C.jobs,
          'Job',
          'migrate-broken',
          'Failed',
          (x) =>
            conditionOf(x.object, 'Failed')?.status === 'True' &&
            x.pods.length === 2 &&
            x.pods.every((p) => p.status?.phase === 'Failed'),
          120_000,
        ),
      );
      await ctx.rest.create(
        nsPath(NS, 'batch/v1', 'jobs'),
        job('migrate-broken', { [Behavior.key]: 'fail' }),
      );
      const [between, s] = await Promise.all([retrying, failed]);
      return [
        fixture(
          'job/retrying',
          'Job with backoffLimit 1 whose pods exit 1 (behavior fail), captured after the first try failed while the Job controller backs off before the second: failed 1, active 0, no Failed condition yet. It may still succeed.',
          between,
          { state: ResourceState.Progressing },
        ),
        fixture(
          'job/backoff-limit-exceeded',
          'Job with backoffLimit 1 whose pods exit 1 (behavior fail): both tries fail and the Job controller sets Failed=True with reason BackoffLimitExceeded.',
          s,
          { state: ResourceState.Failed, reason: 'BackoffLimitExceeded' },
        ),
      ];
    },
  },
];
