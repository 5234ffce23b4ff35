import { describe, expect, it } from 'vitest';
import { compileHealthRule, HealthRuleOrigin, type HealthRuleSpec } from '../../health-rules/health-rule.js';
import { DEFAULT_COST_LIMIT } from '../../health-rules/cel.js';
import { ResourceState } from '../resource-state.js';
import { evaluateObject } from '../testing/evaluate.js';
import { HealthRules } from './rule-set.js';

// Review 14, finding 3: a profile's rule ran to the 1 s deadline on the hub's event loop, per object and per
// watch event; the object's status said only "stopped at the cost limit".

/** A rule stored before the cost estimate existed: the runner compiles it without the estimate. */
function stored(spec: Partial<HealthRuleSpec>) {
  const compiled = compileHealthRule(
    { apiVersion: 'example.com/v1', kind: 'Widget', current: 'true', ...spec },
    { origin: HealthRuleOrigin.Pack, estimateCost: false },
  );
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues));
  return new HealthRules({ pack: [compiled.rule] });
}

const widget = {
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name: 'w1', namespace: 'default', generation: 1 },
  status: { observedGeneration: 1 },
};
const ten = '[0,1,2,3,4,5,6,7,8,9]';
const loop = (body: string) =>
  `${ten}.all(a, ${ten}.all(b, ${ten}.all(c, ${ten}.all(d, ${ten}.all(e, ${body})))))`;

describe('a health rule past its cost limit', () => {
  it("is stopped within milliseconds, and the object's status names the rule, the expression and the object", () => {
    const rules = stored({ inProgress: loop("self.metadata.name != 'x'"), current: loop('true') });
    evaluateObject(widget, { healthRules: rules });
    const started = performance.now();
    const verdict = evaluateObject(widget, { healthRules: rules });
    // Before: 950 ms and more (the 1 s deadline), and "inProgress: stopped at the cost limit (100000 units …)".
    expect(performance.now() - started).toBeLessThan(100);
    expect(verdict).toMatchObject({ state: ResourceState.Progressing, reason: 'HealthRuleError' });
    // The cost limit stops it (on a loaded machine the 50 ms deadline behind it may come first).
    const cost = `cost limit \\(${String(DEFAULT_COST_LIMIT)} units: loop iterations, field reads, and calls with the data they handle\\)`;
    expect(verdict.message).toMatch(
      new RegExp(
        `^Widget default/w1: pack health rule for example\\.com/Widget exceeded its (${cost}|time limit \\(50 ms\\)), in its inProgress expression$`,
      ),
    );
  });

  it("shares one limit between the rule's expressions on one object", () => {
    // Each expression alone stays under the limit (about 60% of it); the three together do not.
    const list = Array.from({ length: 300 }, (_, i) => i);
    const object = { ...widget, spec: { list } };
    const costly = 'spec.list.all(i, i >= 0 && i < 1000)';
    const alone = stored({ current: costly });
    expect(evaluateObject(object, { healthRules: alone })).toMatchObject({ state: ResourceState.Ready });
    // Runs the whole list and does not hold, so the next expression runs too.
    const never = 'spec.list.exists(i, i < 0 || i > 1000)';
    const four = stored({ inProgress: never, failed: never, current: costly });
    const verdict = evaluateObject(object, { healthRules: four });
    expect(verdict).toMatchObject({ state: ResourceState.Progressing, reason: 'HealthRuleError' });
    expect(verdict.message).toMatch(/exceeded its cost limit .*, in its failed expression$/);
  });
});
