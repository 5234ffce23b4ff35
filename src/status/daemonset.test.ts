import type { V1DaemonSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { evaluateDaemonSet } from './daemonset.js';
import { edited, fixture } from './testing/fixtures.js';
import { indexRelated } from './related.js';

const load = (name: string) => fixture(`daemonset/${name}`).object as V1DaemonSet;

describe('evaluateDaemonSet', () => {
  it('is Ready with an available pod on every node that should run one', () => {
    expect(evaluateDaemonSet(load('ready')).message).toBe(
      'DaemonSet monitoring/node-exporter: 3/3 available',
    );
  });

  it('waits for the rolling update to reach every node', () => {
    expect(evaluateDaemonSet(load('rolling-update'))).toMatchObject({
      state: 'Progressing',
      message: 'DaemonSet monitoring/node-exporter: 1/3 updated',
    });
  });

  it('does not read 0/0 as ready before the controller has reported', () => {
    expect(evaluateDaemonSet(load('observed-generation-missing'))).toMatchObject({
      state: 'Progressing',
      reason: 'LatestGenerationNotObserved',
    });
  });

  it('waits for unavailable pods', () => {
    expect(evaluateDaemonSet(load('less-available')).state).toBe('Progressing');
  });

  it('with OnDelete does not wait for pods to be updated', () => {
    expect(evaluateDaemonSet(load('ondelete-not-updated')).state).toBe('Ready');
  });

  it('is Ready when no node matches (nothing to run)', () => {
    expect(evaluateDaemonSet(load('no-matching-nodes')).state).toBe('Ready');
  });

  it('is Failed naming a pod of its own in a terminal waiting state', () => {
    const ds = load('less-available');
    const owned = edited(fixture('pod/image-pull-backoff').object, (pod) => {
      if (pod.metadata)
        pod.metadata.ownerReferences = [
          {
            apiVersion: 'apps/v1',
            kind: 'DaemonSet',
            name: 'node-exporter',
            uid: ds.metadata?.uid ?? '',
            controller: true,
          },
        ];
    });
    const result = evaluateDaemonSet(ds, indexRelated({ pods: [owned] }));
    expect(result).toMatchObject({ state: 'Failed', reason: 'ImagePullBackOff' });
  });
});
