// Page data as the hub's /clusters/{c}/page answers it, for the reducer and component tests.
import type { ClusterPage, PackStatusRecord, PackView } from '../api/types';
import type { LiveEvent } from './events';

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

export function status(over: Partial<PackStatusRecord> = {}): PackStatusRecord {
  return {
    phase: 'processing',
    condition: 'Installing',
    reason: 'Installing',
    message: '1/3 resources ready; waiting for Deployment tenant-a/echo: 0/2 available',
    progress: { ready: 1, total: 3 },
    startTime: '2026-01-01T00:00:10.000Z',
    resources: [
      {
        ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'tenant-a', name: 'echo' },
        evaluation: { state: 'Progressing', reason: 'Available', message: '0/2 available' },
      },
    ],
    ...over,
  };
}

export function statusEvent(id: number, packName: string, s: PackStatusRecord, cluster = 'local'): LiveEvent {
  return { kind: 'pack.status', id, cluster, pack: packName, status: s };
}
