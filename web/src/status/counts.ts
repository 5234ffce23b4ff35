import type { PhaseCounts } from '../api/types';

export function emptyCounts(): PhaseCounts {
  return { onboarding: 0, processing: 0, success: 0, failed: 0 };
}
