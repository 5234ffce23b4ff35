// Page data as the hub's /clusters/{c}/page answers it, for the reducer and component tests.
import type { ClusterPage, PackView, StreamEvent } from '../api/types';

export function pack(name: string, over: Partial<PackView> = {}): PackView {
  return {
    name,
    profile: 'platform-tools',
    layer: 'addon',
    version: '1.0.0',
    type: 'manifest',
    wave: 4,
    order: 0,
    explanation: 'layer addon',
    phase: 'onboarding',
    color: 'gray',
    icon: '○',
    label: 'Onboarding',
    condition: 'WaitingForOtherLayers',
    reason: 'WaitingForOtherLayers',
    message: 'waiting for: cni/calico (processing)',
    progress: { ready: 0, total: 0 },
    stale: false,
    resources: [],
    ...over,
  };
}

export function page(packs: PackView[]): ClusterPage {
  return {
    cluster: {
      name: 'local',
      server: 'https://127.0.0.1:6443',
      context: 'local',
      driftPolicy: 'correct',
      createdAt: '2026-01-01T00:00:00.000Z',
      reachable: true,
      phase: 'onboarding',
      color: 'gray',
      counts: { onboarding: packs.length, processing: 0, success: 0, failed: 0 },
      packs: packs.length,
      attention: [],
    },
    attachments: [],
    packs,
  };
}

/** A pack.status event as the hub sends it: the pack's view, built by the hub (here: written out). */
export function statusEvent(id: number, view: PackView, cluster = 'local'): StreamEvent {
  return { id, kind: 'pack.status', cluster, pack: view.name, time: '2026-01-01T00:00:11.000Z', data: view };
}

/** The echo pack installing, as the hub's view says it: blue, 1 of 3 resources ready. */
export function installing(name: string, over: Partial<PackView> = {}): PackView {
  return pack(name, {
    phase: 'processing',
    color: 'blue',
    icon: '◐',
    label: 'Processing',
    condition: 'Installing',
    reason: 'Installing',
    message: '1/3 resources ready; waiting for Deployment tenant-a/echo: 0/2 available',
    progress: { ready: 1, total: 3 },
    startTime: '2026-01-01T00:00:10.000Z',
    resources: [
      {
        ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'tenant-a', name: 'echo' },
        state: 'Progressing',
        reason: 'Available',
        message: '0/2 available',
      },
    ],
    ...over,
  });
}
