import { describe, expect, it } from 'vitest';
import { evaluateResource, hasSpecificRule } from './evaluate.js';
import { evaluateObject } from './testing/evaluate.js';
import { edited, fixture } from './testing/fixtures.js';
import { refOf } from '../shared/refs.js';

describe('evaluateResource', () => {
  it('is Missing when an expected object is absent', () => {
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'monitoring', name: 'grafana' };
    expect(evaluateResource(ref, undefined)).toEqual({
      state: 'Missing',
      reason: 'NotFound',
      message: 'Deployment monitoring/grafana: not found',
    });
  });

  it('is Terminating once deletionTimestamp is set, naming the finalizers that hold it', () => {
    const { object } = fixture('generic/being-deleted');
    expect(evaluateResource(refOf(object), object)).toMatchObject({
      state: 'Terminating',
      message:
        'Certificate monitoring/grafana-tls: being deleted; waiting for finalizers: cert-manager.io/certificate-cleanup',
    });
  });

  it('is Terminating for a Deployment being deleted even if it looks available', () => {
    const { object } = fixture('deployment/available');
    const deleting = edited(object, (o) => {
      if (o.metadata) o.metadata.deletionTimestamp = new Date('2026-11-20T10:00:00Z');
    });
    expect(evaluateResource(refOf(object), deleting).state).toBe('Terminating');
  });

  it('dispatches on apiVersion group + kind, not kind alone', () => {
    // A custom "Deployment" in another group must not be judged by the apps/v1 Deployment rule.
    const { object } = fixture('generic/certificate-ready');
    const ref = {
      apiVersion: 'example.com/v1',
      kind: 'Deployment',
      namespace: 'monitoring',
      name: 'grafana-tls',
    };
    expect(evaluateResource(ref, object)).toMatchObject({ state: 'Ready', reason: 'Ready' });
    expect(hasSpecificRule(ref)).toBe(false);
    expect(hasSpecificRule({ apiVersion: 'apps/v1', kind: 'Deployment' })).toBe(true);
  });

  it('accepts any version of a group', () => {
    expect(hasSpecificRule({ apiVersion: 'networking.k8s.io/v1beta1', kind: 'Ingress' })).toBe(true);
  });

  it('evaluates list items, which carry no apiVersion or kind, by the ref the engine knows', () => {
    const { object } = fixture('deployment/partially-available');
    const item = edited(object, (o) => {
      delete o.apiVersion;
      delete o.kind;
    });
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'monitoring', name: 'grafana' };
    expect(evaluateResource(ref, item).message).toBe('Deployment monitoring/grafana: 1/3 available');
  });

  it('evaluateObject refuses an object without kind rather than guessing', () => {
    const { object } = fixture('generic/configmap');
    const item = edited(object, (o) => {
      delete o.kind;
    });
    expect(() => evaluateObject(item)).toThrow(/no apiVersion\/kind/);
  });
});
