import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { evaluateResource } from './evaluate.js';
import { edited, fixture } from './testing/fixtures.js';
import { isTerminalErrorReason } from './generic.js';
import { refOf } from '../shared/refs.js';

function evaluateFixture(name: string) {
  const { object } = fixture(`generic/${name}`);
  return evaluateResource(refOf(object), object);
}

describe('generic rule (custom resources and kinds without a rule)', () => {
  it('is Ready once an object without status exists', () => {
    expect(evaluateFixture('configmap')).toEqual({
      state: 'Ready',
      reason: 'Exists',
      message: 'ConfigMap monitoring/grafana-dashboards: exists',
    });
    expect(evaluateFixture('clusterrole').message).toBe('ClusterRole grafana-clusterrole: exists');
    expect(evaluateFixture('custom-no-status').state).toBe('Ready');
  });

  it('is Ready on Ready=True, or on Available=True when there is no Ready condition', () => {
    expect(evaluateFixture('certificate-ready').state).toBe('Ready');
    expect(evaluateFixture('available-only').state).toBe('Ready');
  });

  it('differs from kstatus: Ready=False with a terminal-error reason is Failed, not InProgress', () => {
    expect(evaluateFixture('helmrelease-install-failed')).toEqual({
      state: 'Failed',
      reason: 'InstallFailed',
      message:
        'HelmRelease apps/podinfo: InstallFailed: Helm install failed for release apps/podinfo with chart podinfo@6.7.1: context deadline exceeded',
    });
  });

  it('keeps Ready=False with a working reason Progressing', () => {
    expect(evaluateFixture('certificate-issuing')).toMatchObject({
      state: 'Progressing',
      reason: 'DoesNotExist',
    });
  });

  it('is Failed on Stalled=True', () => {
    expect(evaluateFixture('kustomization-stalled')).toMatchObject({
      state: 'Failed',
      reason: 'BuildFailed',
    });
  });

  it('is Progressing on Reconciling=True', () => {
    expect(evaluateFixture('helmrelease-reconciling').state).toBe('Progressing');
  });

  it('is Progressing while status.observedGeneration is behind, whatever the conditions say', () => {
    expect(evaluateFixture('observed-generation-behind').reason).toBe('LatestGenerationNotObserved');
  });

  it('ignores a Ready=True condition written for an older generation', () => {
    expect(evaluateFixture('certificate-stale-ready')).toMatchObject({
      state: 'Progressing',
      reason: 'StaleConditions',
    });
  });

  it('is Progressing with conditions but no Ready or Available among them', () => {
    expect(evaluateFixture('no-readiness-condition')).toMatchObject({
      state: 'Progressing',
      message: 'Provider provider-aws: no Ready or Available condition yet (has Installed)',
    });
  });

  it('does not hold built-in kinds to a Ready condition (HPA conditions describe scaling)', () => {
    expect(evaluateFixture('hpa-conditions-are-not-readiness')).toMatchObject({
      state: 'Ready',
      reason: 'Exists',
    });
  });

  it('skips malformed condition entries instead of throwing', () => {
    const { object } = fixture('generic/certificate-ready');
    const odd = edited(object as KubernetesObject & { status?: unknown }, (o) => {
      o.status = { conditions: [null, 'Ready', { type: 7 }, { type: 'Ready', status: 'True' }] };
    });
    expect(evaluateResource(refOf(object), odd).state).toBe('Ready');
  });

  it.each([
    ['InstallFailed', true],
    ['UpgradeFailed', true],
    ['RetriesExceeded', true],
    ['ReconcileError', true],
    ['ErrImagePull', true],
    ['InvalidSpec', true],
    ['Failed', true],
    ['Progressing', false],
    ['DependencyNotReady', false],
    ['DoesNotExist', false],
    ['Pending', false],
    ['Reconciling', false],
    ['', false],
  ])('treats the reason %j as terminal: %s', (reason, terminal) => {
    expect(isTerminalErrorReason(reason)).toBe(terminal);
  });
});
