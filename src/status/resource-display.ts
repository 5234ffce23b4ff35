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

/** Resource states, most severe first when sorted descending (the order "failed first" lists them in). */
export const resourceStateSeverity: Record<ResourceState, number> = {
  Failed: 4,
  Missing: 3,
  Terminating: 2,
  Progressing: 1,
  Ready: 0,
};
