import type {
  V1Deployment,
  V1Pod,
  V1PriorityClass,
  V1ReplicaSet,
  V1ResourceQuota,
} from '@kubernetes/client-node';
import { watchUntil } from '../../testenv/src/watch-until.js';
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
  observed,
  PERSIST_MS,
  started,
  template,
  waitingReason,
  type Context,
  type Scenario,
} from './kube.js';
import { PatchType } from './rest.js';
import { startedEarly } from './store.js';

interface DeploymentState {
  object: V1Deployment;
  replicaSets: V1ReplicaSet[];
  pods: V1Pod[];
}

const REVISION = 'deployment.kubernetes.io/revision';

/** The Deployment with what the engine would supply beside it: its ReplicaSets and their Pods (by owner uid). */
function deploymentState(ctx: Context, name: string): DeploymentState | undefined {
  const object = ctx.store.get<V1Deployment>(C.deployments, NS, name);
  if (!object) return undefined;
  const replicaSets = ctx.store.ownedBy<V1ReplicaSet>(C.replicaSets, object.metadata?.uid);
  const pods = replicaSets.flatMap((rs) => ctx.store.ownedBy<V1Pod>(C.pods, rs.metadata?.uid));
  return { object, replicaSets, pods };
}

function waitForDeployment(
  ctx: Context,
  name: string,
  description: string,
  holds: (s: DeploymentState) => boolean,
  timeoutMs = 60_000,
): Promise<DeploymentState> {
  return ctx.store.until(
    `Deployment ${NS}/${name}: ${description}`,
    () => {
      const s = deploymentState(ctx, name);
      return s && holds(s) ? s : undefined;
    },
    { timeoutMs, explain: () => deploymentState(ctx, name)?.object.status },
  );
}

async function createDeployment(ctx: Context, body: V1Deployment): Promise<void> {
  await ctx.rest.create(nsPath(NS, 'apps/v1', 'deployments'), body);
}

function deployment(name: string, replicas: number, annotations: Record<string, string> = {}): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS, labels: { app: name } },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: template(name, annotations) },
  };
}

function fixture(
  name: string,
  description: string,
  s: DeploymentState,
  expect: Expectation,
): CapturedFixture {
  return {
    name: `deployment/${name}`,
    description,
    object: s.object,
    related: { replicaSets: s.replicaSets, pods: s.pods },
    expect,
  };
}

/** Fully rolled out: the controller's own "complete" signal, and every pod Running and Ready. */
function rolledOut(s: DeploymentState, replicas: number): boolean {
  const st = s.object.status;
  return (
    observed(s.object) &&
    st?.replicas === replicas &&
    st.updatedReplicas === replicas &&
    st.readyReplicas === replicas &&
    st.availableReplicas === replicas &&
    conditionOf(s.object, 'Available')?.status === 'True' &&
    conditionOf(s.object, 'Progressing')?.reason === 'NewReplicaSetAvailable' &&
    s.pods.length === replicas &&
    s.pods.every(isReady)
  );
}

export const deploymentScenarios: Scenario[] = [
  {
    name: 'deployment/scaled-to-zero',
    async run(ctx) {
      await createDeployment(ctx, deployment('web-idle', 0));
      const s = await waitForDeployment(
        ctx,
        'web-idle',
        'rolled out at 0 replicas',
        (d) =>
          observed(d.object) &&
          conditionOf(d.object, 'Progressing')?.reason === 'NewReplicaSetAvailable' &&
          d.replicaSets.length === 1,
      );
      return [
        fixture(
          'scaled-to-zero',
          'Deployment with replicas: 0, rolled out: the API server omits every zero counter from status, and 0 = 0 = 0 = 0 desired.',
          s,
          { state: ResourceState.Ready },
        ),
      ];
    },
  },
  {
    name: 'deployment/replica-failure',
    async run(ctx) {
      // Pods of this priority class are refused by a quota of 0 pods, scoped so that nothing else is affected.
      await ctx.rest.create<V1PriorityClass>('/apis/scheduling.k8s.io/v1/priorityclasses', {
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: { name: 'capture-quota-limited' },
        value: 1000,
      });
      await ctx.rest.create<V1ResourceQuota>(nsPath(NS, '', 'resourcequotas'), {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'no-pods', namespace: NS },
        spec: {
          hard: { pods: '0' },
          scopeSelector: {
            matchExpressions: [
              { scopeName: 'PriorityClass', operator: 'In', values: ['capture-quota-limited'] },
            ],
          },
        },
      });
      // The quota controller must have computed the quota's usage before admission applies it as written.
      await watchUntil<V1ResourceQuota>(
        ctx.kc,
        (q) => q.metadata?.name === 'no-pods' && q.status?.hard !== undefined,
        {
          path: nsPath(NS, '', 'resourcequotas'),
          timeoutMs: 30_000,
          description: 'ResourceQuota no-pods computed',
        },
      );
      const body = deployment('web-quota', 2);
      const spec = body.spec?.template.spec;
      if (spec) spec.priorityClassName = 'capture-quota-limited';
      await createDeployment(ctx, body);
      const s = await waitForDeployment(
        ctx,
        'web-quota',
        'ReplicaFailure=True',
        (d) => observed(d.object) && conditionOf(d.object, 'ReplicaFailure')?.status === 'True',
      );
      return [
        fixture(
          'replica-failure',
          'Deployment of 2 replicas whose pods a ResourceQuota (pods: 0, scoped to their priority class) refuses: no pod exists, and the controller reports ReplicaFailure=True (FailedCreate) with the quota error. Not failed: the controller keeps retrying and the quota may be raised; the pack timeout decides.',
          s,
          { state: ResourceState.Progressing },
        ),
      ];
    },
  },
  {
    name: 'deployment/rollout-image-pull-backoff',
    async run(ctx) {
      await createDeployment(ctx, deployment('web-upgrade', 2));
      await waitForDeployment(ctx, 'web-upgrade', 'revision 1 rolled out', (d) => rolledOut(d, 2));
      await ctx.rest.patch(
        `${nsPath(NS, 'apps/v1', 'deployments')}/web-upgrade`,
        {
          spec: {
            template: {
              metadata: { annotations: { [Behavior.key]: 'image-pull-backoff' } },
              spec: { containers: [{ name: 'main', image: 'registry.local/web-upgrade:2.0-typo' }] },
            },
          },
        },
        PatchType.Strategic,
      );
      const s = await waitForDeployment(
        ctx,
        'web-upgrade',
        'the revision 2 pod in ImagePullBackOff, 2 old pods ready',
        (d) => {
          const current = d.replicaSets.find((rs) => rs.metadata?.annotations?.[REVISION] === '2');
          const newPods = d.pods.filter((p) =>
            p.metadata?.ownerReferences?.some((o) => o.uid === current?.metadata?.uid),
          );
          const oldPods = d.pods.filter((p) => !newPods.includes(p));
          return (
            d.object.metadata?.annotations?.[REVISION] === '2' &&
            observed(d.object) &&
            newPods.length === 1 &&
            newPods.every((p) => waitingReason(p) === 'ImagePullBackOff') &&
            oldPods.length === 2 &&
            oldPods.every(isReady)
          );
        },
      );
      const current = s.replicaSets.find((rs) => rs.metadata?.annotations?.[REVISION] === '2');
      const newPod = s.pods.find((p) =>
        p.metadata?.ownerReferences?.some((o) => o.uid === current?.metadata?.uid),
      );
      return [
        fixture(
          'rollout-image-pull-backoff',
          'Deployment of 2 replicas rolled out at revision 1, then updated to an image that cannot be pulled: the one new pod is in ImagePullBackOff while the 2 old pods keep serving. The upgrade cannot finish; the new pod is named.',
          s,
          terminalWaiting(newPod, 'ImagePullBackOff'),
        ),
      ];
    },
  },
  {
    name: 'deployment/available',
    async run(ctx) {
      await createDeployment(ctx, deployment('web', 3));
      const s = await waitForDeployment(ctx, 'web', 'rolled out, 3/3 available', (d) => rolledOut(d, 3));
      return [
        fixture(
          'available',
          'Deployment of 3 replicas created and left to roll out: the controller reports 3/3 updated, ready and available (Progressing reason NewReplicaSetAvailable), all pods Running and Ready.',
          s,
          { state: ResourceState.Ready },
        ),
      ];
    },
  },
  {
    name: 'deployment/progressing',
    async run(ctx) {
      await createDeployment(ctx, deployment('web-slow', 3, { [Behavior.readyAfter]: '30s' }));
      const s = await waitForDeployment(
        ctx,
        'web-slow',
        '3 pods started, none ready yet',
        (d) =>
          observed(d.object) &&
          d.object.status?.replicas === 3 &&
          d.pods.length === 3 &&
          d.pods.every((p) => started(p) && !isReady(p)),
      );
      return [
        fixture(
          'progressing',
          `Deployment of 3 replicas whose pods get ready only after 30s (${Behavior.readyAfter}), captured while all 3 pods are scheduled and still starting (Pending, ContainerCreating): 0/3 available.`,
          s,
          { state: ResourceState.Progressing },
        ),
      ];
    },
  },
  {
    name: 'deployment/image-pull-backoff',
    async run(ctx) {
      await createDeployment(ctx, deployment('web-badimage', 1, { [Behavior.key]: 'image-pull-backoff' }));
      const s = await waitForDeployment(
        ctx,
        'web-badimage',
        'its pod in ImagePullBackOff',
        (d) =>
          observed(d.object) &&
          d.pods.length === 1 &&
          d.pods.every((p) => waitingReason(p) === 'ImagePullBackOff'),
      );
      return [
        fixture(
          'image-pull-backoff',
          'Deployment of 1 replica whose image cannot be pulled (behavior image-pull-backoff), captured once the pod went from ErrImagePull to ImagePullBackOff. The Deployment counters only say 0/1 available; the pod says why.',
          s,
          terminalWaiting(s.pods[0], 'ImagePullBackOff'),
        ),
      ];
    },
  },
  {
    name: 'deployment/crash-loop',
    async run(ctx) {
      await createDeployment(ctx, deployment('web-crasher', 1, { [Behavior.key]: 'crash-loop' }));
      const s = await waitForDeployment(
        ctx,
        'web-crasher',
        'its pod in CrashLoopBackOff',
        (d) =>
          observed(d.object) &&
          d.pods.length === 1 &&
          d.pods.every((p) => waitingReason(p) === 'CrashLoopBackOff'),
      );
      return [
        fixture(
          'crash-loop',
          'Deployment of 1 replica whose container crashes on start (behavior crash-loop), captured in CrashLoopBackOff (phase Running, restartCount 3, last exit code 1).',
          s,
          terminalWaiting(s.pods[0], 'CrashLoopBackOff'),
        ),
      ];
    },
  },
  {
    name: 'deployment/never-ready',
    async run(ctx) {
      await createDeployment(ctx, deployment('web-unready', 3, { [Behavior.key]: 'never-ready' }));
      const running = (d: DeploymentState) =>
        observed(d.object) &&
        d.object.status?.replicas === 3 &&
        d.pods.length === 3 &&
        d.pods.every((p) => p.status?.phase === 'Running' && !isReady(p));
      await waitForDeployment(ctx, 'web-unready', '3 pods Running, not ready', running);
      // The point of this fixture is that the state lasts: hold it, then capture what is there now.
      await hold(PERSIST_MS);
      const s = await waitForDeployment(ctx, 'web-unready', 'still 3 pods Running, not ready', running, 1000);
      return [
        fixture(
          'never-ready',
          `Deployment of 3 replicas whose pods run but never pass readiness (behavior never-ready), captured ${PERSIST_MS / 1000}s after all 3 were Running with Ready=False (ContainersNotReady). No pod is in a terminal waiting state, so nothing is failed yet; the progress deadline or the pack timeout decides.`,
          s,
          { state: ResourceState.Progressing },
        ),
      ];
    },
  },
  {
    name: 'deployment/unschedulable',
    async run(ctx) {
      // No node has this label: the scheduler leaves every pod Pending with PodScheduled=False Unschedulable.
      const body = deployment('web-nowhere', 2);
      const spec = body.spec?.template.spec;
      if (spec) spec.nodeSelector = { disktype: 'ssd' };
      await createDeployment(ctx, body);
      const unschedulable = (p: V1Pod) =>
        conditionOf(p, 'PodScheduled')?.status === 'False' &&
        conditionOf(p, 'PodScheduled')?.reason === 'Unschedulable';
      const s = await waitForDeployment(
        ctx,
        'web-nowhere',
        '2 pods Unschedulable',
        (d) =>
          observed(d.object) &&
          d.object.status?.updatedReplicas === 2 &&
          d.pods.length === 2 &&
          d.pods.every(unschedulable),
      );
      const [first] = [...s.pods].sort((a, b) =>
        (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
      );
      const scheduler = first?.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message;
      return [
        fixture(
          'unschedulable',
          'Deployment of 2 replicas with a nodeSelector (disktype=ssd) that no node matches: both pods Pending with PodScheduled=False Unschedulable. The Deployment names the first pod and the scheduler message (its own status says only 0/2 available).',
          s,
          {
            state: ResourceState.Progressing,
            reason: 'LessAvailable',
            message: `Deployment ${NS}/web-nowhere: 0/2 available; Pod ${NS}/${first?.metadata?.name ?? ''}: Unschedulable: ${scheduler ?? ''}`,
          },
        ),
      ];
    },
  },
  {
    name: 'deployment/progress-deadline-exceeded',
    async run(ctx) {
      const body = deployment('web-deadline', 1, { [Behavior.key]: 'never-ready' });
      if (body.spec) body.spec.progressDeadlineSeconds = 10;
      await createDeployment(ctx, body);
      const s = await waitForDeployment(
        ctx,
        'web-deadline',
        'Progressing=False (ProgressDeadlineExceeded)',
        (d) =>
          observed(d.object) &&
          conditionOf(d.object, 'Progressing')?.reason === 'ProgressDeadlineExceeded' &&
          d.pods.length === 1,
      );
      return [
        fixture(
          'progress-deadline-exceeded',
          'Deployment of 1 never-ready replica with progressDeadlineSeconds: 10, captured once the deployment controller set Progressing=False with reason ProgressDeadlineExceeded.',
          s,
          { state: ResourceState.Failed, reason: 'ProgressDeadlineExceeded' },
        ),
      ];
    },
  },
  {
    name: 'deployment/rollout-old-replicas',
    async run(ctx) {
      await createDeployment(ctx, deployment('web-rollout', 3));
      await waitForDeployment(ctx, 'web-rollout', 'revision 1 rolled out', (d) => rolledOut(d, 3));
      // A new image whose pods are slow to get ready: the rolling update (maxSurge 25% → 1, maxUnavailable
      // 25% → 0) adds one new pod and keeps all 3 old ones until it is ready.
      // The first event after the update: generation 2, before the controller has acted on it. Watched from
      // before the patch, so it cannot be missed.
      const behind = startedEarly(
        waitForDeployment(
          ctx,
          'web-rollout',
          'generation 2 not yet observed',
          (d) => d.object.metadata?.generation === 2 && d.object.status?.observedGeneration === 1,
        ),
      );
      await ctx.rest.patch(
        `${nsPath(NS, 'apps/v1', 'deployments')}/web-rollout`,
        {
          spec: {
            template: {
              metadata: { annotations: { [Behavior.readyAfter]: '30s' } },
              spec: { containers: [{ name: 'main', image: 'registry.local/web-rollout:1.1' }] },
            },
          },
        },
        PatchType.Strategic,
      );
      const midRollout = waitForDeployment(
        ctx,
        'web-rollout',
        'revision 2 started, its pod not ready, 3 old pods still ready',
        (d) => {
          const revision = d.object.metadata?.annotations?.[REVISION];
          const current = d.replicaSets.find((rs) => rs.metadata?.annotations?.[REVISION] === revision);
          const newPods = d.pods.filter((p) =>
            p.metadata?.ownerReferences?.some((o) => o.uid === current?.metadata?.uid),
          );
          const oldPods = d.pods.filter((p) => !newPods.includes(p));
          return (
            revision === '2' &&
            observed(d.object) &&
            d.object.status?.updatedReplicas === 1 &&
            d.object.status.replicas === 4 &&
            d.replicaSets.length === 2 &&
            newPods.length === 1 &&
            newPods.every((p) => started(p) && !isReady(p)) &&
            oldPods.length === 3 &&
            oldPods.every(isReady)
          );
        },
      );
      const [generationBehind, s] = await Promise.all([behind, midRollout]);
      return [
        fixture(
          'generation-behind',
          'Deployment rolled out at revision 1 (3/3 ready), captured in the first watch event after its pod template was updated: metadata.generation 2, status.observedGeneration still 1, so every counter still describes the old spec.',
          generationBehind,
          { state: ResourceState.Progressing },
        ),
        fixture(
          'rollout-old-replicas',
          'Deployment rolled out at revision 1 (3/3 ready), then updated to a new image whose pods are ready only after 30s; captured mid-rollout: 1 updated pod not ready yet, the 3 old pods still serving.',
          s,
          { state: ResourceState.Progressing },
        ),
      ];
    },
  },
];
