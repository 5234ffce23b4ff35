import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { edited, fixture } from './testing/fixtures.js';
import { evaluatePod } from './pod.js';

const load = (name: string) => fixture(`pod/${name}`).object as V1Pod;

function waitingIn(reason: string, message?: string): V1Pod {
  return edited(load('container-creating'), (pod) => {
    if (!pod.status) return;
    pod.status.containerStatuses = [
      {
        name: 'grafana',
        image: 'grafana/grafana:11.3.0',
        imageID: '',
        ready: false,
        restartCount: 1,
        state: { waiting: message === undefined ? { reason } : { reason, message } },
      },
    ];
  });
}

describe('evaluatePod', () => {
  it('is Ready when Running with Ready=True', () => {
    expect(evaluatePod(load('running-ready')).state).toBe('Ready');
  });

  it('is Ready when Succeeded', () => {
    expect(evaluatePod(load('succeeded'))).toMatchObject({ state: 'Ready', reason: 'Completed' });
  });

  it('differs from kstatus: a Failed pod is Failed, not Current', () => {
    expect(evaluatePod(load('failed-evicted'))).toEqual({
      state: 'Failed',
      reason: 'Evicted',
      message:
        'Pod monitoring/grafana-7d9f8b6c5-abc12: The node was low on resource: memory. Threshold quantity: 100Mi, available: 91Mi.',
    });
  });

  it('explains a Failed pod without a message by its container exit code', () => {
    expect(evaluatePod(load('failed-exit-code')).message).toBe(
      'Pod apps/db-migrate-x7k2p: container "migrate" exited with code 2 (Error)',
    );
  });

  it('is Failed in ImagePullBackOff, quoting the kubelet', () => {
    expect(evaluatePod(load('image-pull-backoff'))).toEqual({
      state: 'Failed',
      reason: 'ImagePullBackOff',
      message: 'Pod monitoring/grafana-7d9-abc: ImagePullBackOff: Back-off pulling image "grafana:nope"',
    });
  });

  it.each([
    'ImagePullBackOff',
    'ErrImagePull',
    'InvalidImageName',
    'CrashLoopBackOff',
    'CreateContainerConfigError',
    'RunContainerError',
  ])('is Failed when a container waits in %s', (reason) => {
    expect(evaluatePod(waitingIn(reason, 'details'))).toMatchObject({ state: 'Failed', reason });
  });

  it('names the container when the kubelet gave no message', () => {
    expect(evaluatePod(waitingIn('RunContainerError')).message).toBe(
      'Pod monitoring/grafana-7d9f8b6c5-abc12: RunContainerError: container "grafana" is waiting',
    );
  });

  it('is Failed when an init container crash-loops', () => {
    const result = evaluatePod(load('init-container-crashloop'));
    expect(result).toMatchObject({ state: 'Failed', reason: 'CrashLoopBackOff' });
    expect(result.message).toContain('container=init-chown-data');
  });

  it('is Failed on a missing Secret (CreateContainerConfigError)', () => {
    expect(evaluatePod(load('create-container-config-error')).message).toBe(
      'Pod monitoring/grafana-7d9f8b6c5-abc12: CreateContainerConfigError: secret "grafana-admin" not found',
    );
  });

  it('differs from kstatus: Unschedulable stays Progressing, with the scheduler message', () => {
    expect(evaluatePod(load('unschedulable'))).toMatchObject({
      state: 'Progressing',
      reason: 'Unschedulable',
      message: expect.stringContaining('0/3 nodes are available: 3 Insufficient memory.') as unknown,
    });
  });

  it('is Progressing while containers are created', () => {
    expect(evaluatePod(load('container-creating'))).toMatchObject({
      state: 'Progressing',
      reason: 'ContainerCreating',
    });
  });

  it('is Progressing while running but not ready, naming the unready containers', () => {
    expect(evaluatePod(load('running-not-ready')).message).toBe(
      'Pod monitoring/grafana-7d9f8b6c5-abc12: running but not ready: containers not ready: grafana',
    );
  });

  it('is Progressing before the kubelet reports a phase', () => {
    const pod = edited(load('running-ready'), (p) => {
      p.status = {};
    });
    expect(evaluatePod(pod)).toMatchObject({ state: 'Progressing', reason: 'PodNotObserved' });
  });
});
