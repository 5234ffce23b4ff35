import type { V1ReplicaSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { edited, fixture } from './testing/fixtures.js';
import { evaluateReplicaSet } from './replicaset.js';

const load = (name: string) => fixture(`replicaset/${name}`).object as V1ReplicaSet;

describe('evaluateReplicaSet', () => {
  it('is Ready with the desired replicas available', () => {
    expect(evaluateReplicaSet(load('ready')).message).toBe(
      'ReplicaSet default/echo-6b8c9d7f5: 2/2 available',
    );
  });

  it('waits for pods to become available', () => {
    expect(evaluateReplicaSet(load('less-available')).message).toBe(
      'ReplicaSet default/echo-6b8c9d7f5: 1/2 available',
    );
  });

  it('shows the admission error when pods cannot be created', () => {
    const result = evaluateReplicaSet(load('replica-failure'));
    expect(result).toMatchObject({ state: 'Progressing', reason: 'FailedCreate' });
    expect(result.message).toContain('violates PodSecurity');
  });

  it('waits for extra pods to terminate after a scale-down', () => {
    expect(evaluateReplicaSet(load('extra-pods'))).toMatchObject({
      state: 'Progressing',
      message: 'ReplicaSet default/echo-6b8c9d7f5: 1 extra replica pending termination',
    });
  });

  it('is Progressing while the controller is a generation behind', () => {
    const behind = edited(load('ready'), (rs) => {
      if (rs.metadata) rs.metadata.generation = 2;
    });
    expect(evaluateReplicaSet(behind).reason).toBe('LatestGenerationNotObserved');
  });
});
