// A Cluster Profile page as the hub serves it, for the renderers' tests: packs in install order across
// layers, one of each colour, one waiting, one red with the cause.
import type { ClusterPage, Pack } from '../types.js';

export const NOW = Date.parse('2025-01-01T12:00:00Z');

const base = {
  profile: 'platform',
  version: '1.0.0',
  type: 'manifest',
  explanation: '',
  stale: false,
  resources: [] as Pack['resources'],
};

export function pack(overrides: Partial<Pack> & Pick<Pack, 'name' | 'layer' | 'phase'>): Pack {
  const display = {
    onboarding: { color: 'gray', icon: '○', label: 'Onboarding', condition: 'WaitingForOtherLayers' },
    processing: { color: 'blue', icon: '◐', label: 'Processing', condition: 'Installing' },
    success: { color: 'green', icon: '✓', label: 'Success', condition: 'Ready' },
    failed: { color: 'red', icon: '✗', label: 'Failed', condition: 'Error' },
  } as const;
  const d = display[overrides.phase];
  return {
    ...base,
    wave: 0,
    order: 0,
    color: d.color,
    icon: d.icon,
    label: d.label,
    condition: d.condition,
    reason: '',
    message: '',
    progress: { ready: 0, total: 0 },
    ...overrides,
  };
}

export function page(packs: Pack[], cluster: Partial<ClusterPage['cluster']> = {}): ClusterPage {
  const counts = { onboarding: 0, processing: 0, success: 0, failed: 0 };
  for (const p of packs) counts[p.phase]++;
  return {
    cluster: {
      name: 'dev',
      server: 'https://127.0.0.1:6443',
      context: 'dev',
      driftPolicy: 'correct',
      createdAt: '2025-01-01T11:00:00Z',
      reachable: true,
      attention: [],
      phase: 'failed',
      color: 'red',
      counts,
      packs: packs.length,
      ...cluster,
    },
    attachments: [
      { cluster: 'dev', profile: 'platform', version: '1.0.0', values: {}, updateAvailable: '1.1.0' },
    ],
    packs,
  };
}

export const mixedPage = page([
  pack({
    name: 'os-tuning',
    layer: 'os',
    phase: 'success',
    progress: { ready: 3, total: 3 },
    startTime: '2025-01-01T11:58:00Z',
    endTime: '2025-01-01T11:58:12Z',
  }),
  pack({
    name: 'calico',
    layer: 'cni',
    phase: 'processing',
    version: '3.27.0',
    type: 'helm',
    progress: { ready: 3, total: 5 },
    startTime: '2025-01-01T11:59:30Z',
    condition: 'Installed',
    reason: 'Progressing',
    message: 'waiting for Deployment kube-system/calico-kube-controllers: 0/1 available',
  }),
  pack({
    name: 'broken-web',
    layer: 'addon',
    phase: 'failed',
    progress: { ready: 0, total: 1 },
    startTime: '2025-01-01T11:59:00Z',
    endTime: '2025-01-01T11:59:40Z',
    reason: 'ImagePullBackOff',
    message: 'Pod broken/broken-web-7d9: image "registry.example/nope" not found',
  }),
  pack({
    name: 'echo',
    layer: 'addon',
    phase: 'onboarding',
    progress: { ready: 0, total: 2 },
    reason: 'WaitingForOtherLayers',
    message: 'blocked by broken-web (failed)',
  }),
]);
