import type { PhaseDisplay } from './pack-phase.js';
import type { ResourceState } from './resource-state.js';

/** How a resource's state shows beside its pack, in the same colour language as the pack phases. */
export const resourceStateDisplay: Record<ResourceState, PhaseDisplay> = {
  Ready: { color: 'green', icon: '✓', label: 'Ready' },
  Progressing: { color: 'blue', icon: '◐', label: 'Progressing' },
  Failed: { color: 'red', icon: '✗', label: 'Failed' },
  Missing: { color: 'gray', icon: '?', label: 'Missing' },
  Terminating: { color: 'blue', icon: '↓', label: 'Terminating' },
};
