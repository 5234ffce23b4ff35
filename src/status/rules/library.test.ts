import { describe, expect, it } from 'vitest';
import { evaluateObject } from '../testing/evaluate.js';
import { fixturesDir, loadFixtures } from '../testing/fixtures.js';
import { refOf } from '../../shared/refs.js';
import { ResourceState } from '../resource-state.js';
import { compileHealthRule, HealthRuleOrigin, type HealthRuleSpec } from '../../health-rules/health-rule.js';
import { libraryRule, librarySpecs, ruleKey } from './library.js';
import { HealthRules } from './rule-set.js';

// The fixtures themselves run through evaluateObject in fixtures.test.ts (fixtures/library/); this file
// checks that every built-in rule has them.
const fixtures = loadFixtures(fixturesDir).filter((f) => f.name.startsWith('library/'));

/** Kinds that are ready once they exist: no progressing or failed state to show. */
const existsOnly = new Set([
  'monitoring.coreos.com/ServiceMonitor',
  'monitoring.coreos.com/PodMonitor',
  'monitoring.coreos.com/PrometheusRule',
]);
/** Kinds without a failed expression, on purpose (see library.ts): their Ready=False is also a normal state. */
const noFailed = new Set(['kyverno.io/ClusterPolicy', 'kyverno.io/Policy']);

describe('the built-in health rule library', () => {
  it.each(librarySpecs.map((s) => [ruleKey(s.apiVersion, s.kind), s] as const))(
    '%s compiles and has ready, progressing and failed fixtures',
    (key, spec) => {
      expect(compileHealthRule(spec, { origin: HealthRuleOrigin.Library }).ok).toBe(true);
      const states = new Set(
        fixtures
          .filter((f) => ruleKey(f.object.apiVersion ?? '', f.object.kind ?? '') === key)
          .map((f) => f.expect?.state),
      );
      const wanted = existsOnly.has(key)
        ? [ResourceState.Ready]
        : noFailed.has(key)
          ? [ResourceState.Ready, ResourceState.Progressing]
          : [ResourceState.Ready, ResourceState.Progressing, ResourceState.Failed];
      if (key.endsWith('/PodMonitor') || key.endsWith('/PrometheusRule')) return; // same rule as ServiceMonitor
      expect([...states].sort()).toEqual(expect.arrayContaining(wanted));
    },
  );

  it('recognises Crossplane claims and composites of any group by their Synced condition', () => {
    const claim = fixtures.find((f) => f.name === 'library/crossplane-claim-ready')?.object;
    expect(claim).toBeDefined();
    if (claim === undefined) return;
    expect(libraryRule(refOf(claim), claim)?.spec.kind).toBe('*');
    const other = { ...claim, status: { conditions: [{ type: 'Ready', status: 'True' }] } };
    expect(libraryRule(refOf(other), other)).toBeUndefined();
  });

  it('does not call a Certificate failed on its first Ready=False (DoesNotExist) before Issuing is set', () => {
    const cert = {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'web', namespace: 'apps', generation: 1 },
      status: { conditions: [{ type: 'Ready', status: 'False', reason: 'DoesNotExist' }] },
    };
    expect(evaluateObject(cert).state).toBe(ResourceState.Progressing);
  });
});

describe('rule precedence: pack > cluster > library > generic', () => {
  const cert = {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: 'web', namespace: 'apps', generation: 1 },
    status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Ready' }], phase: 'Odd' },
  };
  const rule = (origin: HealthRuleOrigin, spec: Partial<HealthRuleSpec>) => {
    const compiled = compileHealthRule(
      { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', current: 'false', ...spec },
      { origin },
    );
    if (!compiled.ok) throw new Error('rule does not compile');
    return compiled.rule;
  };

  it('the library decides without pack or cluster rules', () => {
    expect(evaluateObject(cert).state).toBe(ResourceState.Ready);
  });

  it('a cluster rule overrides the library, and a pack rule overrides both', () => {
    const cluster = rule(HealthRuleOrigin.Cluster, {
      failed: "status.phase == 'Odd'",
      message: "'odd phase'",
    });
    const pack = rule(HealthRuleOrigin.Pack, { current: "status.phase == 'Odd'" });
    const clusterOnly = evaluateObject(cert, { healthRules: new HealthRules({ cluster: [cluster] }) });
    expect(clusterOnly).toMatchObject({
      state: ResourceState.Failed,
      message: 'Certificate apps/web: odd phase',
    });
    const both = evaluateObject(cert, { healthRules: new HealthRules({ cluster: [cluster], pack: [pack] }) });
    expect(both.state).toBe(ResourceState.Ready);
  });

  it('a kind no rule covers falls to the generic conditions rule', () => {
    const widget = { ...cert, apiVersion: 'example.strata.dev/v1', kind: 'Widget' };
    expect(evaluateObject(widget)).toMatchObject({ state: ResourceState.Ready, reason: 'Ready' });
  });

  it('a rule that errors at run time leaves the object Progressing, naming the rule and expression', () => {
    const broken = rule(HealthRuleOrigin.Pack, { current: 'status.phase' });
    expect(evaluateObject(cert, { healthRules: new HealthRules({ pack: [broken] }) })).toEqual({
      state: ResourceState.Progressing,
      reason: 'HealthRuleError',
      message:
        'Certificate apps/web: pack health rule for cert-manager.io/Certificate: current: gave a string, not a bool',
    });
  });

  it('observedGeneration behind the generation is Progressing whatever the rule says', () => {
    const always = rule(HealthRuleOrigin.Pack, { current: 'true' });
    const behind = {
      ...cert,
      metadata: { ...cert.metadata, generation: 3 },
      status: { observedGeneration: 2 },
    };
    expect(evaluateObject(behind, { healthRules: new HealthRules({ pack: [always] }) })).toMatchObject({
      state: ResourceState.Progressing,
      reason: 'LatestGenerationNotObserved',
    });
  });
});
