import { describe, expect, it } from 'vitest';
import { aggregateCluster, worstPhase } from './cluster.js';
import { PackPhase } from './pack-phase.js';

describe('aggregateCluster', () => {
  it('takes the worst phase: failed > processing > onboarding > success', () => {
    expect(worstPhase(['success', 'onboarding'])).toBe('onboarding');
    expect(worstPhase(['onboarding', 'processing', 'success'])).toBe('processing');
    expect(worstPhase(['processing', 'failed', 'onboarding'])).toBe('failed');
    expect(worstPhase(['success', 'success'])).toBe('success');
  });

  it('counts packs per phase and names the failed ones', () => {
    const s = aggregateCluster([
      { name: 'cni-calico', phase: PackPhase.Failed },
      { name: 'csi-local-path', phase: PackPhase.Onboarding },
      { name: 'kube-prometheus', phase: PackPhase.Onboarding },
      { name: 'os', phase: PackPhase.Success },
    ]);
    expect(s).toEqual({
      phase: 'failed',
      counts: { failed: 1, processing: 0, onboarding: 2, success: 1 },
      packs: ['cni-calico'],
      message: '1 failed (cni-calico), 2 onboarding, 1 success',
    });
  });

  it('is green with no packs at all', () => {
    expect(aggregateCluster([])).toMatchObject({ phase: 'success', message: 'no packs' });
  });
});
