// Test data built by hand from the status and profile types: the store may depend on those folders' types
// only, and its tests keep to the same rule.
import { randomBytes } from 'node:crypto';
import type { ClusterProfile } from '../../profile/index.js';
import type {
  PackConditionType,
  PackPhase,
  PackResource,
  PackStage,
  PackStatus,
  PackTransition,
} from '../../status/index.js';

export const newKey = (): string => randomBytes(32).toString('base64');

/** A kubeconfig with a recognisable secret in it, to look for in the raw database. */
export function kubeconfig(secret: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: c',
    '  cluster: { server: "https://127.0.0.1:6443", certificate-authority-data: Q0EK }',
    'users:',
    '- name: admin',
    `  user: { token: ${secret} }`,
    'contexts:',
    '- name: admin@c',
    '  context: { cluster: c, user: admin }',
    'current-context: admin@c',
    '',
  ].join('\n');
}

const shape: Record<PackPhase, { condition: PackConditionType; stage: PackStage; reason: string }> = {
  onboarding: { condition: 'ReadyForInstall', stage: { type: 'Queued' }, reason: 'Queued' },
  processing: { condition: 'Installed', stage: { type: 'Applied' }, reason: 'Converging' },
  success: { condition: 'Ready', stage: { type: 'Applied' }, reason: 'Ready' },
  failed: {
    condition: 'Error',
    stage: { type: 'ApplyFailed', error: 'admission webhook denied' },
    reason: 'ApplyFailed',
  },
};

export function resources(count: number, ready: number): PackResource[] {
  return Array.from({ length: count }, (_, i) => ({
    ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'monitoring', name: `app-${i}` },
    evaluation:
      i < ready
        ? { state: 'Ready', reason: 'Available', message: `Deployment monitoring/app-${i}: 1/1 available` }
        : {
            state: 'Progressing',
            reason: 'Progressing',
            message: `Deployment monitoring/app-${i}: 0/1 available`,
          },
  }));
}

export interface StatusOptions {
  readonly revision?: string;
  readonly resourceCount?: number;
  readonly time?: string;
  readonly message?: string;
}

/** A PackStatus in `phase`, as the reducer would produce it (without history). */
export function packStatus(phase: PackPhase, options: StatusOptions = {}): PackStatus {
  const total = options.resourceCount ?? 3;
  const ready = phase === 'success' ? total : phase === 'processing' ? Math.floor(total / 2) : 0;
  const time = options.time ?? '2026-01-01T00:00:00.000Z';
  const s = shape[phase];
  return {
    revision: options.revision ?? '1.0.0',
    operation: 'install',
    stage: s.stage,
    phase,
    condition: s.condition,
    reason: s.reason,
    message: options.message ?? `${ready}/${total} resources ready`,
    progress: { ready, total },
    resources: resources(total, ready),
    ...(phase === 'onboarding' ? {} : { startTime: time }),
    ...(phase === 'success' || phase === 'failed' ? { endTime: time } : {}),
    transitions: [],
  };
}

/** `previous` moved to `phase`, with the transition the reducer appends. */
export function advance(previous: PackStatus, phase: PackPhase, time: string): PackStatus {
  const next = packStatus(phase, { revision: previous.revision, time });
  const transition: PackTransition = {
    time,
    from: previous.phase,
    to: phase,
    condition: next.condition,
    reason: next.reason,
    message: next.message,
  };
  return { ...next, transitions: [...previous.transitions, transition] };
}

export interface ProfileFixture {
  readonly source: string;
  readonly profile: ClusterProfile;
}

/** A small add-on profile; `note` changes the source (and so the content) without changing name/version. */
export function profileFixture(name: string, version: string, note = ''): ProfileFixture {
  const source = [
    `# ${note}`,
    'apiVersion: strata.dev/v1alpha1',
    'kind: ClusterProfile',
    `metadata: { name: ${name} }`,
    'spec:',
    `  version: ${version}`,
    '  type: add-on',
    '  variables:',
    '    - { name: grafanaPassword, sensitive: true }',
    '  packs:',
    '    - { name: grafana, layer: addon, version: 1.0.0, type: manifest, manifests: [] }',
    '',
  ].join('\n');
  const profile: ClusterProfile = {
    apiVersion: 'strata.dev/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name, labels: {}, annotations: {} },
    spec: {
      version,
      type: 'add-on',
      variables: [{ name: 'grafanaPassword', required: false, sensitive: true }],
      packs: [
        {
          name: 'grafana',
          layer: 'addon',
          version: '1.0.0',
          type: 'manifest',
          installPriority: 0,
          prioritySource: 'default',
          dependsOn: [],
          timeoutMs: 600_000,
          namespace: { name: 'default', labels: {}, annotations: {}, create: true },
          manifests: [],
          files: [],
        },
      ],
    },
  };
  return { source, profile };
}
