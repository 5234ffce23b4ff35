import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { evaluateDeployment } from './deployment.js';
import { edited, fixture } from './testing/fixtures.js';
import { indexRelated } from './related.js';

function load(name: string) {
  const f = fixture(`deployment/${name}`);
  return { deployment: f.object as V1Deployment, related: f.related };
}

describe('evaluateDeployment', () => {
  it('is Ready when updated = ready = available = desired and the generation is observed', () => {
    const { deployment } = load('available');
    expect(evaluateDeployment(deployment)).toEqual({
      state: 'Ready',
      reason: 'Available',
      message: 'Deployment monitoring/grafana: 3/3 available',
    });
  });

  it('says how many replicas are available while pods start', () => {
    const { deployment } = load('partially-available');
    expect(evaluateDeployment(deployment).message).toBe('Deployment monitoring/grafana: 1/3 available');
  });

  it('waits for old replicas to go even when every new replica is available', () => {
    const { deployment } = load('old-replicas');
    const result = evaluateDeployment(deployment);
    expect(result.state).toBe('Progressing');
    expect(result.message).toBe('Deployment monitoring/grafana: 1 old replica pending termination');
  });

  it('does not trust complete-looking counters while the controller is a generation behind', () => {
    const { deployment } = load('generation-behind');
    expect(deployment.status?.availableReplicas).toBe(3);
    expect(evaluateDeployment(deployment)).toMatchObject({
      state: 'Progressing',
      reason: 'LatestGenerationNotObserved',
    });
  });

  it('is Progressing when the controller has written no status yet', () => {
    const { deployment } = load('available');
    const fresh = edited(deployment, (d) => {
      d.status = {};
    });
    expect(evaluateDeployment(fresh).reason).toBe('LatestGenerationNotObserved');
  });

  it('is Failed once the progress deadline is exceeded, quoting the controller', () => {
    const { deployment } = load('progress-deadline-exceeded');
    expect(evaluateDeployment(deployment)).toMatchObject({
      state: 'Failed',
      reason: 'ProgressDeadlineExceeded',
      message:
        'Deployment monitoring/grafana: ProgressDeadlineExceeded: ReplicaSet "grafana-7d9f8b6c5" has timed out progressing.',
    });
  });

  it('differs from kstatus: a pod behind the Deployment in ImagePullBackOff makes it Failed, naming the pod', () => {
    const { deployment, related } = load('image-pull-backoff');
    expect(evaluateDeployment(deployment, indexRelated(related))).toEqual({
      state: 'Failed',
      reason: 'ImagePullBackOff',
      message:
        'Pod monitoring/grafana-7d9f8b6c5-abc12: ImagePullBackOff: Back-off pulling image "grafana/grafana:nope"',
      cause: { apiVersion: 'v1', kind: 'Pod', namespace: 'monitoring', name: 'grafana-7d9f8b6c5-abc12' },
    });
  });

  it('without its pods only sees the counters (the engine must supply ReplicaSets and Pods)', () => {
    const { deployment } = load('image-pull-backoff');
    expect(evaluateDeployment(deployment)).toMatchObject({ state: 'Progressing', reason: 'LessAvailable' });
  });

  it('ignores pods it does not control, even with matching labels', () => {
    const { deployment, related } = load('image-pull-backoff');
    const strangers: V1Pod[] = related.pods.map((p) =>
      edited(p, (pod) => {
        if (pod.metadata)
          pod.metadata.ownerReferences = [
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'other', uid: 'x', controller: true },
          ];
      }),
    );
    const result = evaluateDeployment(
      deployment,
      indexRelated({ replicaSets: related.replicaSets, pods: strangers }),
    );
    expect(result.state).toBe('Progressing');
  });

  it('ignores a failing pod that is already being deleted', () => {
    const { deployment, related } = load('image-pull-backoff');
    const pods = related.pods.map((p) =>
      edited(p, (pod) => {
        if (pod.metadata?.name === 'grafana-7d9f8b6c5-abc12')
          pod.metadata.deletionTimestamp = new Date('2026-11-20T09:30:00Z');
      }),
    );
    expect(
      evaluateDeployment(deployment, indexRelated({ replicaSets: related.replicaSets, pods })).state,
    ).toBe('Progressing');
  });

  it('is not Failed because an old-revision pod crash-loops while an upgrade replaces it', () => {
    const { deployment, related } = load('old-revision-crashloop');
    expect(evaluateDeployment(deployment, indexRelated(related))).toMatchObject({
      state: 'Progressing',
      reason: 'OldReplicasPending',
    });
  });

  it('stays Progressing while the rollout is paused', () => {
    expect(evaluateDeployment(load('paused').deployment).reason).toBe('RolloutPaused');
  });

  it('shows why pods cannot be created (ReplicaFailure), with the API server message', () => {
    const result = evaluateDeployment(load('replica-failure').deployment);
    expect(result.state).toBe('Progressing');
    expect(result.message).toContain('exceeded quota: compute');
  });

  it('is Ready scaled to zero', () => {
    expect(evaluateDeployment(load('scaled-to-zero').deployment).state).toBe('Ready');
  });

  it('defaults spec.replicas to 1 as the API server does', () => {
    const one = edited(load('available').deployment, (d) => {
      if (d.spec) delete d.spec.replicas;
      d.status = {
        observedGeneration: 1,
        replicas: 1,
        updatedReplicas: 1,
        readyReplicas: 1,
        availableReplicas: 1,
      };
    });
    expect(evaluateDeployment(one).message).toBe('Deployment monitoring/grafana: 1/1 available');
  });

  it('waits for terminating replicas when the API server reports them', () => {
    const draining = edited(load('available').deployment, (d) => {
      if (d.status) d.status.terminatingReplicas = 2;
    });
    expect(evaluateDeployment(draining)).toMatchObject({
      state: 'Progressing',
      reason: 'ReplicasTerminating',
    });
  });
});
