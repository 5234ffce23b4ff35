import type { V1StatefulSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { edited, fixture } from './testing/fixtures.js';
import { indexRelated } from './related.js';
import { evaluateStatefulSet } from './statefulset.js';

const load = (name: string) => fixture(`statefulset/${name}`).object as V1StatefulSet;

describe('evaluateStatefulSet', () => {
  it('is Ready with every replica ready at one revision', () => {
    expect(evaluateStatefulSet(load('ready'))).toEqual({
      state: 'Ready',
      reason: 'Available',
      message: 'StatefulSet logging/loki: 3/3 ready',
    });
  });

  it('waits for the ordered start of all replicas', () => {
    expect(evaluateStatefulSet(load('less-ready')).message).toBe(
      'StatefulSet logging/loki: 2/3 replicas created',
    );
  });

  it('is Progressing while the controller is a generation behind', () => {
    expect(evaluateStatefulSet(load('generation-behind')).reason).toBe('LatestGenerationNotObserved');
  });

  it('waits during a rolling update until every pod is at the update revision', () => {
    expect(evaluateStatefulSet(load('rolling-update'))).toMatchObject({
      state: 'Progressing',
      reason: 'LessUpdated',
    });
  });

  it('waits until currentRevision catches up with updateRevision', () => {
    expect(evaluateStatefulSet(load('revision-mismatch'))).toMatchObject({
      state: 'Progressing',
      reason: 'RevisionMismatch',
    });
  });

  describe('partitioned rollouts', () => {
    it('waits for the ordinals at or above the partition', () => {
      expect(evaluateStatefulSet(load('partition-rollout-in-progress'))).toMatchObject({
        state: 'Progressing',
        reason: 'PartitionRollout',
        message: 'StatefulSet logging/loki: 0/1 updated (partition 2)',
      });
    });

    it('is Ready when those are updated, though revisions still differ below the partition', () => {
      const sts = load('partition-rollout-complete');
      expect(sts.status?.currentRevision).not.toBe(sts.status?.updateRevision);
      expect(evaluateStatefulSet(sts).state).toBe('Ready');
    });

    it('treats a partition above the replica count as nothing to update', () => {
      const all = edited(load('partition-rollout-in-progress'), (sts) => {
        if (sts.spec) sts.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 5 } };
      });
      expect(evaluateStatefulSet(all).state).toBe('Ready');
    });
  });

  it('with OnDelete only asks for ready replicas', () => {
    expect(evaluateStatefulSet(load('ondelete')).state).toBe('Ready');
  });

  it('is Failed naming the crash-looping pod that stalls the ordered rollout', () => {
    const f = fixture('statefulset/crashloop-pod');
    const result = evaluateStatefulSet(f.object, indexRelated(f.related));
    expect(result.state).toBe('Failed');
    expect(result.message).toMatch(/^Pod logging\/loki-0: CrashLoopBackOff: /);
  });
});
