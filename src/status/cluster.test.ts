import { describe, expect, it } from 'vitest';
import { worstPhase } from './cluster.js';

describe('worstPhase', () => {
  it('takes the worst phase: failed > processing > onboarding > success', () => {
    expect(worstPhase(['success', 'onboarding'])).toBe('onboarding');
    expect(worstPhase(['onboarding', 'processing', 'success'])).toBe('processing');
    expect(worstPhase(['processing', 'failed', 'onboarding'])).toBe('failed');
    expect(worstPhase(['success', 'success'])).toBe('success');
  });

  it('is green with no packs at all', () => {
    expect(worstPhase([])).toBe('success');
  });
});
