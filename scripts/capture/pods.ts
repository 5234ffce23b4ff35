import type { V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { ResourceState } from '../../src/status/resource-state.js';
import { terminalWaiting, type CapturedFixture, type Expectation } from './fixture.js';
import {
  Behavior,
  C,
  conditionOf,
  hold,
  isReady,
  NS,
  nsPath,
  PERSIST_MS,
  podName,
  podSpec,
  waitingReason,
  type Context,
  type Scenario,
} from './kube.js';

async function createPod(
  ctx: Context,
  name: string,
  annotations: Record<string, string>,
  extra: Partial<V1PodSpec> = {},
): Promise<void> {
  await ctx.rest.create<V1Pod>(nsPath(NS, '', 'pods'), {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { app: name }, annotations },
    spec: podSpec(name, extra),
  });
}

function waitForPod(
  ctx: Context,
  name: string,
  description: string,
  holds: (p: V1Pod) => boolean,
  timeoutMs = 60_000,
): Promise<V1Pod> {
  return ctx.store.until(
    `Pod ${NS}/${name}: ${description}`,
    () => {
      const p = ctx.store.get<V1Pod>(C.pods, NS, name);
      return p && holds(p) ? p : undefined;
    },
    { timeoutMs, explain: () => ctx.store.get<V1Pod>(C.pods, NS, name)?.status },
  );
}

function fixture(name: string, description: string, pod: V1Pod, expect: Expectation): CapturedFixture {
  return { name: `pod/${name}`, description, object: pod, expect };
}

export const podScenarios: Scenario[] = [
  {
    name: 'pod/running-ready',
    async run(ctx) {
      await createPod(ctx, 'web-pod', {});
      const pod = await waitForPod(
        ctx,
        'web-pod',
        'Running and Ready',
        (p) => p.status?.phase === 'Running' && isReady(p),
      );
      return [
        fixture('running-ready', 'A bare pod left to start: phase Running, Ready=True.', pod, {
          state: ResourceState.Ready,
        }),
      ];
    },
  },
  {
    name: 'pod/running-not-ready',
    async run(ctx) {
      await createPod(ctx, 'web-pod-unready', { [Behavior.key]: 'never-ready' });
      const running = (p: V1Pod) => p.status?.phase === 'Running' && !isReady(p);
      await waitForPod(ctx, 'web-pod-unready', 'Running, not ready', running);
      await hold(PERSIST_MS);
      const pod = await waitForPod(ctx, 'web-pod-unready', 'still Running, not ready', running, 1000);
      return [
        fixture(
          'running-not-ready',
          `A pod whose readiness probe never passes (behavior never-ready), captured ${PERSIST_MS / 1000}s after it was Running with Ready=False (ContainersNotReady).`,
          pod,
          { state: ResourceState.Progressing },
        ),
      ];
    },
  },
  {
    name: 'pod/succeeded',
    async run(ctx) {
      await createPod(ctx, 'task', { [Behavior.key]: 'succeed' }, { restartPolicy: 'Never' });
      const pod = await waitForPod(ctx, 'task', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
      return [
        fixture(
          'succeeded',
          'A bare pod (restartPolicy Never) that runs to completion (behavior succeed): phase Succeeded, exit code 0.',
          pod,
          { state: ResourceState.Ready },
        ),
      ];
    },
  },
  {
    name: 'pod/failed',
    async run(ctx) {
      await createPod(ctx, 'task-broken', { [Behavior.key]: 'fail' }, { restartPolicy: 'Never' });
      const pod = await waitForPod(ctx, 'task-broken', 'Failed', (p) => p.status?.phase === 'Failed');
      return [
        fixture(
          'failed',
          'A bare pod (restartPolicy Never) whose container exits 1 (behavior fail): phase Failed, reason Error.',
          pod,
          { state: ResourceState.Failed },
        ),
      ];
    },
  },
  {
    name: 'pod/image-pull-backoff',
    async run(ctx) {
      await createPod(ctx, 'web-pod-badimage', { [Behavior.key]: 'image-pull-backoff' });
      const pod = await waitForPod(
        ctx,
        'web-pod-badimage',
        'ImagePullBackOff',
        (p) => waitingReason(p) === 'ImagePullBackOff',
      );
      return [
        fixture(
          'image-pull-backoff',
          'A bare pod whose image cannot be pulled (behavior image-pull-backoff), captured in ImagePullBackOff after ErrImagePull: phase Pending.',
          pod,
          terminalWaiting(pod, 'ImagePullBackOff'),
        ),
      ];
    },
  },
  {
    name: 'pod/err-image-pull',
    async run(ctx) {
      await createPod(ctx, 'web-pod-pulling', { [Behavior.key]: 'image-pull-backoff' });
      const pod = await waitForPod(
        ctx,
        'web-pod-pulling',
        'ErrImagePull',
        (p) => waitingReason(p) === 'ErrImagePull',
      );
      return [
        fixture(
          'err-image-pull',
          'A bare pod whose image cannot be pulled (behavior image-pull-backoff), captured at the first pull error (ErrImagePull), before the kubelet backs off: phase Pending.',
          pod,
          terminalWaiting(pod, 'ErrImagePull'),
        ),
      ];
    },
  },
  {
    name: 'pod/crash-loop',
    async run(ctx) {
      await createPod(ctx, 'web-pod-crasher', { [Behavior.key]: 'crash-loop' });
      const pod = await waitForPod(
        ctx,
        'web-pod-crasher',
        'CrashLoopBackOff',
        (p) => waitingReason(p) === 'CrashLoopBackOff',
      );
      return [
        fixture(
          'crash-loop',
          'A bare pod whose container crashes on start (behavior crash-loop): phase Running, container waiting in CrashLoopBackOff.',
          pod,
          terminalWaiting(pod, 'CrashLoopBackOff'),
        ),
      ];
    },
  },
  {
    name: 'pod/unschedulable',
    async run(ctx) {
      await createPod(ctx, 'web-pod-nowhere', {}, { nodeSelector: { disktype: 'ssd' } });
      const pod = await waitForPod(
        ctx,
        'web-pod-nowhere',
        'Unschedulable',
        (p) => conditionOf(p, 'PodScheduled')?.reason === 'Unschedulable',
      );
      const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
      return [
        fixture(
          'unschedulable',
          'A pod with a nodeSelector (disktype=ssd) that none of the 3 nodes has: Pending, PodScheduled=False with the scheduler reason Unschedulable.',
          pod,
          {
            state: ResourceState.Progressing,
            reason: 'Unschedulable',
            message: `${podName(pod)}: ${scheduled?.message ?? ''}`,
          },
        ),
      ];
    },
  },
];
