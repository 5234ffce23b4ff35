import { readFileSync } from 'node:fs';
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { compileHealthRule, HealthRuleOrigin } from '../health-rules/health-rule.js';
import { HealthRules } from '../status/rules/rule-set.js';
import { evaluateObject } from '../status/testing/evaluate.js';
import { detectDrift, ownFields } from './drift.js';
import { slimOwned as slimOwnedOf, slimRelated } from './slim-objects.js';

const slimOwned = slimOwnedOf({ apiVersion: 'apps/v1', kind: 'Deployment' });
const fixture = (path: string) =>
  (
    JSON.parse(readFileSync(new URL(`../status/fixtures/${path}`, import.meta.url), 'utf8')) as {
      object: KubernetesObject;
    }
  ).object;

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
  it("keeps Strata's own managedFields entry's fields and only the names of the other managers", () => {
    const slim = slimOwned(
      object([{ ...ours, time: '2026-12-06T10:00:00Z', fieldsType: 'FieldsV1' }, theirs]),
    );
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

describe('slimOwned keeps one copy of what objects have in common', () => {
  const cm = (name: string, fields: object) =>
    ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        namespace: 'shop',
        labels: { 'strata.dev/pack': 'shop', 'strata.dev/cluster': 'c' },
        managedFields: [{ ...ours, fieldsV1: fields }],
      },
      data: { 'dashboard.json': 'x'.repeat(4000) },
    }) as KubernetesObject;
  const slimConfigMap = slimOwnedOf({ apiVersion: 'v1', kind: 'ConfigMap' });

  it('shares the labels and the own fields of objects that have the same ones, and only those', () => {
    const fields = () => ({ 'f:data': { 'f:dashboard.json': {} } });
    const [a, b] = [slimConfigMap(cm('a', fields())), slimConfigMap(cm('b', fields()))];
    const c = slimConfigMap(cm('c', { 'f:data': { 'f:other.json': {} } }));
    expect(b.metadata?.labels).toBe(a.metadata?.labels);
    expect(b.metadata?.managedFields?.[0]?.fieldsV1).toBe(a.metadata?.managedFields?.[0]?.fieldsV1);
    expect(c.metadata?.managedFields?.[0]?.fieldsV1).not.toBe(a.metadata?.managedFields?.[0]?.fieldsV1);
    // Drift still tells them apart, from one string per distinct set of fields.
    expect(ownFields(b)).toBe(ownFields(a));
    expect(ownFields(c)).not.toBe(ownFields(a));
    expect(ownFields(a)).toBe(JSON.stringify(fields()));
  });

  it('names a list item (which carries no apiVersion and kind) by the kind watched', () => {
    const { apiVersion: _v, kind: _k, ...item } = cm('a', {});
    expect(slimConfigMap(item)).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap' });
  });

  it("drops a ConfigMap's and a Secret's data, which no rule reads: still Ready once it exists", () => {
    const slim = slimConfigMap(cm('a', {}));
    expect(slim).not.toHaveProperty('data');
    expect(slim.metadata?.name).toBe('a');
    const configMap = fixture('generic/configmap.json');
    expect(evaluateObject(slimConfigMap(configMap))).toEqual(evaluateObject(configMap));
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: 'dg==' } };
    expect(slimOwnedOf({ apiVersion: 'v1', kind: 'Secret' })(secret)).not.toHaveProperty('data');
  });

  it("keeps every other kind's spec and status: a health rule reading them judges the same", () => {
    const widget = fixture('captured/custom-resource/progressing.json');
    const slimWidget = slimOwnedOf({ apiVersion: 'example.strata.dev/v1', kind: 'Widget' })(widget);
    expect(slimWidget).toMatchObject({ spec: { chart: 'widget' }, status: { observedGeneration: 1 } });
    const compiled = compileHealthRule(
      {
        apiVersion: 'example.strata.dev/v1',
        kind: 'Widget',
        current: "spec.chart == 'widget' && status.conditions.exists(c, c.type == 'Ready')",
      },
      { origin: HealthRuleOrigin.Pack },
    );
    if (!compiled.ok) throw new Error('rule does not compile');
    const options = { healthRules: new HealthRules({ pack: [compiled.rule] }) };
    expect(evaluateObject(slimWidget, options)).toEqual(evaluateObject(widget, options));
    expect(evaluateObject(slimWidget, options).state).toBe('Ready');
    const deployment = fixture('captured/deployment/available.json');
    expect(evaluateObject(slimOwned(deployment))).toEqual(evaluateObject(deployment));
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
