import { describe, expect, it } from 'vitest';
import { aggregatePack, PackOperation, type PackResource, type PackStage } from './aggregate.js';
import type { ObjectRef } from '../shared/refs.js';
import { ResourceState, type ResourceEvaluation } from './resource-state.js';

function res(kind: string, name: string, state: ResourceState, reason: string, detail: string): PackResource {
  const ref: ObjectRef = { apiVersion: 'v1', kind, namespace: 'monitoring', name };
  const evaluation: ResourceEvaluation = { state, reason, message: `${kind} monitoring/${name}: ${detail}` };
  return { ref, evaluation };
}
const readyCm = (n: number) => res('ConfigMap', `cm-${n}`, 'Ready', 'Exists', 'exists');
const grafana = res('Deployment', 'grafana', 'Progressing', 'LessAvailable', '1/3 available');
const applied: PackStage = { type: 'Applied' };

describe('aggregatePack', () => {
  it('is success (Ready) when every resource is Ready', () => {
    const s = aggregatePack({ operation: 'install', stage: applied, resources: [readyCm(1), readyCm(2)] });
    expect(s).toMatchObject({
      phase: 'success',
      condition: 'Ready',
      reason: 'AllResourcesReady',
      message: '2/2 resources ready',
      progress: { ready: 2, total: 2 },
    });
  });

  it('is processing with progress and the resource it waits for', () => {
    const resources = [
      ...Array.from({ length: 7 }, (_, i) => readyCm(i)),
      grafana,
      ...[7, 8, 9, 10].map((i) => res('Service', `s${i}`, 'Progressing', 'NoLoadBalancerAddress', 'waiting')),
    ];
    const s = aggregatePack({ operation: 'install', stage: applied, resources });
    expect(s).toMatchObject({
      phase: 'processing',
      condition: 'Installed',
      reason: 'LessAvailable',
      message: '7/12 resources ready; waiting for Deployment monitoring/grafana: 1/3 available',
      progress: { ready: 7, total: 12 },
    });
  });

  it('names a Missing resource before a Progressing one (severity first)', () => {
    const gone = res('Secret', 'admin', 'Missing', 'NotFound', 'not found');
    const s = aggregatePack({ operation: 'install', stage: applied, resources: [grafana, gone] });
    expect(s.message).toBe('0/2 resources ready; waiting for Secret monitoring/admin: not found');
  });

  it('is failed (Error) naming the first failed resource in install order', () => {
    const pull = res(
      'Pod',
      'grafana-7d9-abc',
      'Failed',
      'ImagePullBackOff',
      'ImagePullBackOff: Back-off pulling image "grafana:nope"',
    );
    const job = res('Job', 'migrate', 'Failed', 'BackoffLimitExceeded', 'BackoffLimitExceeded');
    const s = aggregatePack({
      operation: 'install',
      stage: applied,
      resources: [readyCm(1), grafana, pull, job],
    });
    expect(s).toMatchObject({
      phase: 'failed',
      condition: 'Error',
      reason: 'ImagePullBackOff',
      message: 'Pod monitoring/grafana-7d9-abc: ImagePullBackOff: Back-off pulling image "grafana:nope"',
      progress: { ready: 1, total: 4 },
    });
  });

  it('turns a pack still processing at its deadline red, listing what it waited for', () => {
    const lb = res(
      'Service',
      'grafana',
      'Progressing',
      'NoLoadBalancerAddress',
      'waiting for the load balancer to assign an address',
    );
    const s = aggregatePack({
      operation: 'install',
      stage: applied,
      resources: [readyCm(1), grafana, lb],
      timedOut: { deadline: '2026-11-20T09:24:03Z', after: '10m' },
    });
    expect(s).toMatchObject({ phase: 'failed', condition: 'Error', reason: 'TimedOut' });
    expect(s.message).toBe(
      'timed out after 10m (deadline 2026-11-20T09:24:03Z); still waiting for: Deployment monitoring/grafana: 1/3 available; Service monitoring/grafana: waiting for the load balancer to assign an address',
    );
  });

  it('limits a timeout message to the first five resources', () => {
    const many = Array.from({ length: 8 }, (_, i) =>
      res('Pod', `p${i}`, 'Progressing', 'PodPending', 'phase Pending'),
    );
    const s = aggregatePack({
      operation: 'install',
      stage: applied,
      resources: many,
      timedOut: { deadline: 'D' },
    });
    expect(s.message).toMatch(/Pod monitoring\/p4: phase Pending; and 3 more$/);
  });

  it('ignores a timeout once everything is ready (green wins)', () => {
    const s = aggregatePack({
      operation: 'install',
      stage: applied,
      resources: [readyCm(1)],
      timedOut: { deadline: 'D' },
    });
    expect(s.phase).toBe('success');
  });

  it("is failed at once on a render error, with Helm's message", () => {
    const s = aggregatePack({
      operation: 'install',
      stage: {
        type: 'RenderFailed',
        error: 'template: grafana/templates/deployment.yaml:12:3: executing "…" at <.Values.x>: nil pointer',
      },
      resources: [],
    });
    expect(s).toMatchObject({ phase: 'failed', condition: 'Error', reason: 'RenderFailed' });
    expect(s.message).toMatch(/^render failed: template: grafana/);
  });

  it('is failed at once when the API server rejects the apply', () => {
    const s = aggregatePack({
      operation: 'upgrade',
      stage: {
        type: 'ApplyFailed',
        error: 'Deployment.apps "grafana" is invalid: spec.replicas: Invalid value: -1',
      },
      resources: [readyCm(1)],
    });
    expect(s).toMatchObject({ phase: 'failed', reason: 'ApplyFailed' });
  });

  it('is onboarding while waiting for other layers, naming them', () => {
    const s = aggregatePack({
      operation: 'install',
      stage: {
        type: 'Waiting',
        waitingFor: [
          { pack: 'cni/calico', phase: 'processing' },
          { pack: 'csi/local-path', phase: 'onboarding' },
        ],
      },
      resources: [],
    });
    expect(s).toMatchObject({
      phase: 'onboarding',
      condition: 'WaitingForOtherLayers',
      message: 'waiting for: cni/calico (processing), csi/local-path (onboarding)',
    });
  });

  it('is onboarding when blocked by a failed pack', () => {
    const s = aggregatePack({
      operation: 'install',
      stage: { type: 'Blocked', blockedBy: 'cni/calico' },
      resources: [],
    });
    expect(s).toMatchObject({ phase: 'onboarding', message: 'blocked by cni/calico (failed)' });
  });

  it('is onboarding ReadyForInstall when queued', () => {
    expect(aggregatePack({ operation: 'install', stage: { type: 'Queued' }, resources: [] }).condition).toBe(
      'ReadyForInstall',
    );
  });

  it('says Retrying with the attempt and cause', () => {
    const s = aggregatePack({
      operation: 'install',
      stage: { type: 'Retrying', attempt: 3, cause: 'etcdserver: request timed out' },
      resources: [],
    });
    expect(s).toMatchObject({
      phase: 'processing',
      condition: 'Retrying',
      message: 'Retrying (attempt 3): etcdserver: request timed out',
    });
  });

  it('uses Installing while rendering/applying an install and Upgrading throughout an upgrade', () => {
    const stages: PackStage[] = [{ type: 'Rendering' }, { type: 'Applying' }];
    for (const stage of stages) {
      expect(aggregatePack({ operation: 'install', stage, resources: [grafana] }).condition).toBe(
        'Installing',
      );
      expect(aggregatePack({ operation: 'upgrade', stage, resources: [grafana] }).condition).toBe(
        'Upgrading',
      );
    }
    expect(
      aggregatePack({ operation: PackOperation.Upgrade, stage: applied, resources: [grafana] }).condition,
    ).toBe('Upgrading');
  });

  it('is not green while the apply is still in flight, even if everything seen so far is ready', () => {
    const s = aggregatePack({ operation: 'install', stage: { type: 'Applying' }, resources: [readyCm(1)] });
    expect(s).toMatchObject({
      phase: 'processing',
      condition: 'Installing',
      message: 'applying; 1/1 resources ready',
    });
  });

  it('turns red when the deadline passes while still rendering or retrying', () => {
    const s = aggregatePack({
      operation: 'install',
      stage: { type: 'Retrying', attempt: 7, cause: 'dial tcp 10.0.0.1:6443: connect: connection refused' },
      resources: [],
      timedOut: { deadline: '2026-11-20T09:24:03Z', after: '10m' },
    });
    expect(s).toMatchObject({
      phase: 'failed',
      reason: 'TimedOut',
      message:
        'timed out after 10m (deadline 2026-11-20T09:24:03Z); still waiting for: Retrying (attempt 7): dial tcp 10.0.0.1:6443: connect: connection refused',
    });
  });

  it('is processing (Uninstalling) until every resource is gone', () => {
    const gone = res('Secret', 'admin', 'Missing', 'NotFound', 'not found');
    const terminating = res('Deployment', 'grafana', 'Terminating', 'Terminating', 'being deleted');
    const s = aggregatePack({
      operation: 'uninstall',
      stage: { type: 'Uninstalling' },
      resources: [gone, terminating],
    });
    expect(s).toMatchObject({
      phase: 'processing',
      condition: 'Uninstalling',
      progress: { ready: 1, total: 2 },
      message: '1/2 resources still to remove; waiting for Deployment monitoring/grafana',
    });
  });

  it('names what an uninstall keeps, as Helm would, once the rest is gone', () => {
    const gone = res('Secret', 'admin', 'Missing', 'NotFound', 'not found');
    const kept = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'monitoring', name: 'dashboards' };
    const s = aggregatePack({
      operation: 'uninstall',
      stage: { type: 'Uninstalling', kept: [kept] },
      resources: [gone],
    });
    expect(s.message).toBe(
      "all resources removed; kept 1 as Helm would (resource-policy keep or a chart's crds/): ConfigMap monitoring/dashboards",
    );
  });

  it('warns how many custom resources go with the crds/ CRDs a pack opted in to delete', () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      name: 'certificates.cert-manager.io',
    };
    const s = aggregatePack({
      operation: 'uninstall',
      stage: { type: 'Uninstalling', deletingCrds: [{ ref: crd, customResources: 3 }] },
      resources: [res('Secret', 'admin', 'Missing', 'NotFound', 'not found')],
    });
    expect(s.message).toBe(
      "all resources removed; deleteCrds: deleting 1 CRD of the chart's crds/ and with it 3 custom resources: CustomResourceDefinition certificates.cert-manager.io (3)",
    );
  });

  it('says which deleted objects came back and were deleted again', () => {
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      name: 'kyverno:cleanup-controller',
    };
    const s = aggregatePack({
      operation: 'uninstall',
      stage: { type: 'Uninstalling', deletedAgain: [role] },
      resources: [res('Secret', 'admin', 'Missing', 'NotFound', 'not found')],
    });
    expect(s.message).toBe(
      'all resources removed; deleted again after it came back: ClusterRole kyverno:cleanup-controller',
    );
  });

  it('turns red again and back green as resources fail and recover (red is about now)', () => {
    const failing = res('Pod', 'p', 'Failed', 'CrashLoopBackOff', 'CrashLoopBackOff');
    const recovered = res('Pod', 'p', 'Ready', 'Running', 'running and ready');
    expect(aggregatePack({ operation: 'install', stage: applied, resources: [failing] }).phase).toBe(
      'failed',
    );
    expect(aggregatePack({ operation: 'install', stage: applied, resources: [recovered] }).phase).toBe(
      'success',
    );
  });
});
