import { describe, expect, it } from 'vitest';
import { ATTENTION_LIMIT, needingAttention } from './views.js';

describe('needingAttention', () => {
  it('names the red packs first, then the blue ones, in install order, and no more than the limit', () => {
    const packs = [
      { pack: 'cni', phase: 'success' as const, reason: 'AllResourcesReady' },
      { pack: 'csi', phase: 'processing' as const, reason: 'LessAvailable' },
      { pack: 'web', phase: 'failed' as const, reason: 'ImagePullBackOff' },
      { pack: 'db', phase: 'onboarding' as const, reason: 'WaitingForDependencies' },
      { pack: 'api', phase: 'failed' as const, reason: 'TimedOut' },
    ];
    expect(needingAttention(packs)).toEqual([
      { pack: 'web', phase: 'failed', reason: 'ImagePullBackOff' },
      { pack: 'api', phase: 'failed', reason: 'TimedOut' },
      { pack: 'csi', phase: 'processing', reason: 'LessAvailable' },
    ]);
    const many = Array.from({ length: 9 }, (_, i) => ({
      pack: `p${String(i)}`,
      phase: 'failed' as const,
      reason: '',
    }));
    expect(needingAttention(many)).toHaveLength(ATTENTION_LIMIT);
  });
});
