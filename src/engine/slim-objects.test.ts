import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { detectDrift, ownFields } from './drift.js';
import { slimOwned, slimRelated } from './slim-objects.js';

const ours = {
  manager: 'strata',
  operation: 'Apply',
  fieldsV1: { 'f:spec': { 'f:replicas': {} } },
};
const theirs = {
  manager: 'kubectl-edit',
  operation: 'Update',
  fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { big: 'x'.repeat(2000) } } } } },
};
const object = (managedFields: object[]): KubernetesObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'shop',
      resourceVersion: '7',
      uid: 'u1',
      labels: { app: 'web' },
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ spec: 'x'.repeat(2000) }),
        'deployment.kubernetes.io/revision': '3',
      },
      managedFields,
    },
    status: { replicas: 1 },
  }) as KubernetesObject;

describe('slimOwned', () => {
  it("keeps Strata's own managedFields entry whole and only the names of the other managers", () => {
    const slim = slimOwned(object([ours, theirs]));
    expect(slim.metadata?.managedFields).toEqual([ours, { manager: 'kubectl-edit', operation: 'Update' }]);
    expect(slim.metadata?.annotations).toEqual({ 'deployment.kubernetes.io/revision': '3' });
    expect(slim.metadata?.labels).toEqual({ app: 'web' });
    expect((slim as { status?: unknown }).status).toEqual({ replicas: 1 });
    expect(JSON.stringify(slim).length).toBeLessThan(JSON.stringify(object([ours, theirs])).length / 4);
  });

  it('leaves drift detection unchanged: same own fields, same manager named', () => {
    const applied = ownFields(object([ours]));
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' };
    const taken = object([{ ...ours, fieldsV1: {} }, theirs]);
    const whole = detectDrift({ ref, type: 'MODIFIED', live: taken, appliedFields: applied });
    expect(whole).toMatch(/kubectl-edit/);
    expect(detectDrift({ ref, type: 'MODIFIED', live: slimOwned(taken), appliedFields: applied })).toBe(
      whole,
    );
    expect(ownFields(slimOwned(object([ours, theirs])))).toBe(applied);
  });
});

describe('slimRelated', () => {
  it('drops every managedFields entry and the last-applied copy, keeping what the rules read', () => {
    const slim = slimRelated(object([ours, theirs]));
    expect(slim.metadata).not.toHaveProperty('managedFields');
    expect(slim.metadata?.annotations).toEqual({ 'deployment.kubernetes.io/revision': '3' });
    expect(slim.metadata?.uid).toBe('u1');
    expect(slim.metadata?.resourceVersion).toBe('7');
  });

  it('returns an object without metadata as it is', () => {
    const bare = { apiVersion: 'v1', kind: 'Pod' };
    expect(slimRelated(bare)).toBe(bare);
  });
});
