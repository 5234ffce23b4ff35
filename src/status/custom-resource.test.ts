import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { statusGraceEnd } from './custom-resource.js';
import { evaluateObject } from './testing/evaluate.js';
import { refOf } from '../shared/refs.js';
import { ResourceState } from './resource-state.js';
import { compileHealthRule, HealthRuleOrigin } from '../health-rules/health-rule.js';
import { HealthRules, libraryOnly } from './rules/rule-set.js';

const created = Date.parse('2026-12-01T10:00:00Z');
// As the watch delivers it: JSON, so creationTimestamp is a string (the client's type says Date).
const object = (o: object) => o as KubernetesObject;
const widgetJson = {
  apiVersion: 'example.strata.dev/v1',
  kind: 'Widget',
  metadata: { name: 'w', namespace: 'apps', generation: 1, creationTimestamp: '2026-12-01T10:00:00Z' },
  spec: { size: 1 },
};
const widget = object(widgetJson);
const at = (seconds: number, statusSubresource = true) => ({
  customResource: { statusSubresource, now: created + seconds * 1000 },
});

describe('a custom resource without status (no premature green)', () => {
  it('is Progressing while its controller may still write status, then Ready with a note', () => {
    expect(evaluateObject(widget, at(5))).toEqual({
      state: ResourceState.Progressing,
      reason: 'AwaitingControllerStatus',
      message: 'Widget apps/w: waiting for its controller to report status',
    });
    expect(evaluateObject(widget, at(30))).toEqual({
      state: ResourceState.Ready,
      reason: 'NoStatusReported',
      message: 'Widget apps/w: exists; no status reported by its controller',
    });
  });

  it('treats an empty status like none', () => {
    expect(evaluateObject(object({ ...widgetJson, status: {} }), at(5)).reason).toBe(
      'AwaitingControllerStatus',
    );
  });

  it('is judged at once when its CRD has no status subresource (nothing will ever write one)', () => {
    expect(evaluateObject(widget, at(0, false))).toMatchObject({
      state: ResourceState.Ready,
      reason: 'Exists',
    });
  });

  it('takes the grace period from the pack, and from a rule over the pack', () => {
    const pack = { customResource: { statusSubresource: true, now: created + 5000, graceMs: 2000 } };
    expect(evaluateObject(widget, pack).reason).toBe('NoStatusReported');
    const compiled = compileHealthRule(
      { apiVersion: 'example.strata.dev/v1', kind: 'Widget', current: 'has(status.ready)', graceSeconds: 60 },
      { origin: HealthRuleOrigin.Pack },
    );
    if (!compiled.ok) throw new Error('rule does not compile');
    const rules = new HealthRules({ pack: [compiled.rule] });
    expect(evaluateObject(widget, { ...pack, healthRules: rules }).reason).toBe('AwaitingControllerStatus');
    // After the rule's grace, its own verdict (current does not hold) stands: no note, still waiting.
    const later = { customResource: { statusSubresource: true, now: created + 61_000 }, healthRules: rules };
    expect(evaluateObject(widget, later).state).toBe(ResourceState.Progressing);
  });

  it('says when the engine should look again', () => {
    const info = { statusSubresource: true, now: created };
    expect(statusGraceEnd(widget, { rules: libraryOnly, info, ref: refOf(widget) })).toBe(created + 30_000);
    const reported = object({ ...widgetJson, status: { observedGeneration: 1 } });
    expect(statusGraceEnd(reported, { rules: libraryOnly, info, ref: refOf(widget) })).toBeUndefined();
  });

  it('once status is reported, the generic rule decides, and a generation behind is Progressing', () => {
    const ready = {
      ...widgetJson,
      status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Up' }] },
    };
    expect(evaluateObject(object(ready), at(1)).state).toBe(ResourceState.Ready);
    const behind = {
      ...ready,
      metadata: { ...ready.metadata, generation: 2 },
      status: { ...ready.status, observedGeneration: 1 },
    };
    expect(evaluateObject(object(behind), at(100)).reason).toBe('LatestGenerationNotObserved');
  });
});

describe('strata.dev/health: ignore', () => {
  it('leaves a failing object out of the colour, saying it is ignored', () => {
    const failing = object({
      ...widgetJson,
      metadata: { ...widgetJson.metadata, annotations: { 'strata.dev/health': 'ignore' } },
      status: { conditions: [{ type: 'Stalled', status: 'True', reason: 'Broken' }] },
    });
    expect(evaluateObject(failing)).toEqual({
      state: ResourceState.Ready,
      reason: 'HealthIgnored',
      message: 'Widget apps/w: health ignored (strata.dev/health: ignore)',
    });
  });
});
