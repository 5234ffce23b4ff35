import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { RevisionGate } from './revision-gate.js';

const KEY = 'apps/v1/Deployment/web/web';
const object = (resourceVersion: string, generation?: number): KubernetesObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'web', resourceVersion, ...(generation ? { generation } : {}) },
});

describe('RevisionGate', () => {
  it('admits objects it does not hold', () => {
    const gate = new RevisionGate();
    expect(gate.admits(KEY, object('1', 1))).toBe(true);
    expect(gate.applied(KEY, object('2', 2), object('1', 1))).toBe(false);
  });

  it('holds a set-aside object until it is applied and the watches hold the new generation', () => {
    const gate = new RevisionGate();
    gate.hold([KEY]);
    const old = object('10', 1);
    expect(gate.admits(KEY, old)).toBe(false); // not applied yet: the watches have the old revision
    gate.applied(KEY, object('11', 2), old);
    expect(gate.admits(KEY, old)).toBe(false); // applied, but the watch event has not arrived
    expect(gate.admits(KEY, object('12', 2))).toBe(true); // a newer version of the new generation
    expect(gate.admits(KEY, old)).toBe(true); // released
  });

  it('admits at once when the apply changed nothing (same resourceVersion, no watch event will follow)', () => {
    const gate = new RevisionGate();
    gate.hold([KEY]);
    const same = object('10', 1);
    gate.applied(KEY, same, same);
    expect(gate.admits(KEY, same)).toBe(true);
  });

  it('compares resourceVersions for objects without a generation', () => {
    const gate = new RevisionGate();
    gate.hold([KEY]);
    gate.applied(KEY, object('21'), object('20'));
    expect(gate.admits(KEY, object('20'))).toBe(false);
    expect(gate.admits(KEY, object('22'))).toBe(true);
  });

  it('forgets objects the pack no longer owns, and a new revision replaces what it held', () => {
    const gate = new RevisionGate();
    gate.hold([KEY, 'other']);
    gate.retain(new Set(['other']));
    expect(gate.admits(KEY, object('1', 1))).toBe(true);
    gate.hold([KEY]);
    expect(gate.admits('other', undefined)).toBe(true);
    expect(gate.admits(KEY, undefined)).toBe(false);
  });
});
