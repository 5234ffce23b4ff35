import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { evaluateObject } from './testing/evaluate.js';
import { edited, fixture } from './testing/fixtures.js';
import { indexRelated, type RelatedObjects } from './related.js';
import { mostSpecificWarning } from './root-cause.js';

// A real Deployment captured while its 3 pods were still starting, and a real pod the scheduler could not
// place (nodeSelector no node matches), both from the testenv control plane.
const progressing = fixture('captured/deployment/progressing');
const unschedulable = fixture('captured/pod/unschedulable').object as V1Pod;
const schedulerMessage = unschedulable.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message;
const replicaSet = progressing.related.replicaSets[0];
const pods = progressing.related.pods;
const [firstPod] = pods;

const warning = (
  reason: string,
  message: string,
  involved: { kind: string; name: string; uid: string; namespace?: string },
): CoreV1Event => ({
  metadata: { name: `${involved.name}.${reason}` },
  type: 'Warning',
  reason,
  message,
  involvedObject: { namespace: 'capture', ...involved },
});

/** The engine's view: the captured ReplicaSet and pods, plus Warning events by involved uid. */
function related(podList: readonly V1Pod[], events: readonly CoreV1Event[] = []): RelatedObjects {
  const owners = indexRelated({ replicaSets: progressing.related.replicaSets, pods: podList });
  return {
    ...owners,
    warningEventsFor: (uid) => events.filter((e) => e.involvedObject.uid === uid),
  };
}

const unschedulablePods = pods.map((p) =>
  edited(p, (pod) => {
    if (pod.spec) delete pod.spec.nodeName;
    pod.status = structuredClone(unschedulable.status);
  }),
);

describe('workloads name their pods scheduling failures', () => {
  it('a Deployment whose pods cannot be scheduled says so with the scheduler message', () => {
    const result = evaluateObject(progressing.object, { related: related(unschedulablePods) });
    expect(result.state).toBe('Progressing');
    expect(schedulerMessage).toContain("didn't match Pod's node affinity/selector");
    expect(result.message).toBe(
      `Deployment capture/web-slow: 0/3 available; Pod capture/web-slow-777986d8b6-fmjl2: Unschedulable: ${schedulerMessage}`,
    );
  });

  it('a ReplicaSet (and every kind that controls pods directly) says the same', () => {
    const rs = edited(replicaSet, (r) => {
      if (r === undefined) return;
      r.apiVersion = 'apps/v1';
      r.kind = 'ReplicaSet';
    });
    if (rs === undefined) throw new Error('fixture has no ReplicaSet');
    const result = evaluateObject(rs, { related: related(unschedulablePods) });
    expect(result.state).toBe('Progressing');
    expect(result.message).toContain(`Unschedulable: ${schedulerMessage}`);
  });

  it('says nothing more while the pods are scheduled and starting', () => {
    const result = evaluateObject(progressing.object, { related: related(pods) });
    expect(result.message).toBe('Deployment capture/web-slow: 0/3 available');
  });
});

describe('Warning events in the reason', () => {
  const rsInvolved = {
    kind: 'ReplicaSet',
    name: replicaSet?.metadata?.name ?? '',
    uid: replicaSet?.metadata?.uid ?? '',
  };
  const podInvolved = {
    kind: 'Pod',
    name: firstPod?.metadata?.name ?? '',
    uid: firstPod?.metadata?.uid ?? '',
  };
  const quota = warning(
    'FailedCreate',
    'Error creating: pods "web-slow-777986d8b6-x" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=0, limited: pods=0',
    rsInvolved,
  );
  const probe = warning(
    'Unhealthy',
    'Readiness probe failed: HTTP probe failed with statuscode: 503',
    podInvolved,
  );

  it("puts a ReplicaSet's FailedCreate into its Deployment's message", () => {
    const result = evaluateObject(progressing.object, { related: related(pods, [quota]) });
    expect(result.message).toBe(
      `Deployment capture/web-slow: 0/3 available; ReplicaSet capture/${rsInvolved.name}: FailedCreate: ${quota.message ?? ''}`,
    );
  });

  it("puts a pod's probe failure into its Deployment's message", () => {
    const result = evaluateObject(progressing.object, { related: related(pods, [probe]) });
    expect(result.message).toContain(`Pod capture/${podInvolved.name}: Unhealthy: Readiness probe failed`);
  });

  it('prefers the scheduler message on the pod to any event', () => {
    const result = evaluateObject(progressing.object, { related: related(unschedulablePods, [quota]) });
    expect(result.message).toContain('Unschedulable');
    expect(result.message).not.toContain('FailedCreate');
  });

  it('does not repeat a FailedCreate that the Deployment ReplicaFailure condition already quotes', () => {
    const failing = edited(progressing.object, (d) => {
      const status = (d as { status: { conditions: unknown[] } }).status;
      status.conditions.push({
        type: 'ReplicaFailure',
        status: 'True',
        reason: 'FailedCreate',
        message: (quota.message ?? '').replace('Error creating: ', ''),
      });
    });
    const result = evaluateObject(failing, { related: related(pods, [quota]) });
    expect(result.message.match(/exceeded quota/g)).toHaveLength(1);
  });

  it('leaves Ready and Failed evaluations alone', () => {
    const available = fixture('captured/deployment/available');
    const ready = evaluateObject(available.object, {
      related: {
        ...indexRelated(available.related),
        warningEventsFor: () => [quota],
      },
    });
    expect(ready.state).toBe('Ready');
    expect(ready.message).not.toContain('FailedCreate');
  });
});

describe('mostSpecificWarning', () => {
  const pod = { kind: 'Pod', name: 'web-1', uid: 'p1' };
  const rs = { kind: 'ReplicaSet', name: 'web', uid: 'rs' };
  const scheduledPod: V1Pod = {
    metadata: { name: 'web-1', uid: 'p1' },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] },
  };
  const readyPod: V1Pod = {
    metadata: { name: 'web-1', uid: 'p1' },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  };

  it('ranks FailedCreate over FailedScheduling over FailedMount over Unhealthy over BackOff', () => {
    const events = [
      warning('BackOff', 'Back-off restarting failed container', pod),
      warning('Unhealthy', 'Liveness probe failed', pod),
      warning('FailedMount', 'MountVolume.SetUp failed for volume "cfg": configmap "cfg" not found', pod),
      warning('FailedScheduling', '0/1 nodes are available', pod),
      warning('FailedCreate', 'Error creating: serviceaccount "x" not found', rs),
    ];
    expect(mostSpecificWarning(events)?.reason).toBe('FailedCreate');
    expect(mostSpecificWarning(events.slice(0, 4))?.reason).toBe('FailedScheduling');
    expect(mostSpecificWarning(events.slice(0, 3))?.reason).toBe('FailedMount');
    expect(mostSpecificWarning(events.slice(0, 2))?.reason).toBe('Unhealthy');
  });

  it('takes the latest event of the best reason, and ignores reasons it does not know', () => {
    const events = [
      warning('Unhealthy', 'Readiness probe failed: old', pod),
      warning('FailedKillPod', 'x', pod),
      warning('Unhealthy', 'Readiness probe failed: new', pod),
    ];
    expect(mostSpecificWarning(events)?.message).toBe('Readiness probe failed: new');
    expect(mostSpecificWarning([warning('FailedKillPod', 'x', pod)])).toBeUndefined();
  });

  it('skips events that no longer explain anything: a placed pod FailedScheduling, a ready pod probe', () => {
    const scheduling = warning('FailedScheduling', '0/1 nodes are available', pod);
    const probe = warning('Unhealthy', 'Readiness probe failed', pod);
    expect(mostSpecificWarning([probe, scheduling], new Map([['p1', scheduledPod]]))?.reason).toBe(
      'Unhealthy',
    );
    expect(mostSpecificWarning([probe, scheduling], new Map([['p1', readyPod]]))).toBeUndefined();
  });
});
