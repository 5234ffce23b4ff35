import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { initialPackStatus, reducePackStatus, refKey } from '../status/index.js';
import { RevisionGate, awaitingKeys } from './revision-gate.js';

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

describe('RevisionGate with the resources a new revision set aside', () => {
  const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'web', name: 'web' };
  const config = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'web', name: 'web' };
  const fresh = { apiVersion: 'v1', kind: 'Secret', namespace: 'web', name: 'new' };

  it('holds a resource that was Ready under the previous revision, not only a failed one', () => {
    const green = initialPackStatus({
      revision: 'r1',
      stage: { type: 'Applied' },
      resources: [
        { ref: deployment, evaluation: { state: 'Ready', reason: 'Available', message: '1/1 available' } },
        { ref: config, evaluation: { state: 'Ready', reason: 'Exists', message: 'exists' } },
        {
          ref: fresh,
          evaluation: { state: 'Missing', reason: 'NotYetObserved', message: 'not yet observed' },
        },
      ],
    });
    const upgrading = reducePackStatus(green, {
      type: 'RevisionStarted',
      time: '2026-12-06T00:00:00Z',
      revision: 'r2',
      operation: 'upgrade',
      stage: { type: 'Applying' },
    });
    const keys = awaitingKeys(upgrading.resources);
    expect(keys).toEqual([refKey(deployment), refKey(config)]);

    const key = refKey(deployment);
    const gate = new RevisionGate();
    gate.hold(keys);
    const old = object('10', 1);
    // The green Deployment of r1, seen again (a pod event, the inventory update): not evaluated.
    expect(gate.admits(key, old)).toBe(false);
    gate.applied(key, object('11', 2), old);
    // Our apply answered, the watch still has generation 1: a green from it would be a false green.
    expect(gate.admits(key, old)).toBe(false);
    expect(gate.admits(key, object('11', 2))).toBe(true);
  });
});
