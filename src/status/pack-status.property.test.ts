import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PackStage } from './aggregate.js';
import type { ObjectRef } from '../shared/refs.js';
import { initialPackStatus, reducePackStatus, type PackEvent } from './pack-status.js';
import { ResourceState } from './resource-state.js';

const refs: readonly ObjectRef[] = ['a', 'b', 'c', 'd'].map((name) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace: 'ns',
  name,
}));
const time = fc.integer({ min: 0, max: 59 }).map((m) => `2026-11-20T10:${String(m).padStart(2, '0')}:00Z`);
const ref = fc.constantFrom(...refs);

const stage: fc.Arbitrary<PackStage> = fc.oneof(
  fc.constant<PackStage>({ type: 'Queued' }),
  fc.constant<PackStage>({ type: 'Rendering' }),
  fc.constant<PackStage>({ type: 'Applying' }),
  fc.constant<PackStage>({ type: 'Applied' }),
  fc.constant<PackStage>({ type: 'Uninstalling' }),
  fc
    .constantFrom('cni', 'csi')
    .map((pack): PackStage => ({ type: 'Waiting', waitingFor: [{ pack, phase: 'processing' }] })),
  fc.constantFrom('cni', 'csi').map((blockedBy): PackStage => ({ type: 'Blocked', blockedBy })),
  fc
    .integer({ min: 1, max: 3 })
    .map((attempt): PackStage => ({ type: 'Retrying', attempt, cause: 'connection refused' })),
  fc.constant<PackStage>({ type: 'RenderFailed', error: 'bad template' }),
  fc.constant<PackStage>({ type: 'ApplyFailed', error: 'invalid' }),
);

const event: fc.Arbitrary<PackEvent> = fc.oneof(
  fc.record({ type: fc.constant('StageChanged' as const), time, stage }),
  fc.record({ type: fc.constant('InventoryChanged' as const), time, resources: fc.subarray([...refs]) }),
  fc.record({
    type: fc.constant('ResourceEvaluated' as const),
    time,
    ref,
    evaluation: fc.record({
      state: fc.constantFrom(...Object.values(ResourceState)),
      reason: fc.constantFrom('A', 'B'),
      message: fc.constantFrom('x', 'y'),
    }),
  }),
  fc.record({
    type: fc.constant('TimedOut' as const),
    time,
    timeout: fc.record({ deadline: fc.constantFrom('D1', 'D2') }),
  }),
  fc.record({
    type: fc.constant('RevisionStarted' as const),
    time,
    revision: fc.constantFrom('r1', 'r2'),
    operation: fc.constantFrom('install' as const, 'upgrade' as const, 'uninstall' as const),
    stage,
  }),
);

describe('reducePackStatus properties', () => {
  it('an event applied a second time changes nothing: the same reference comes back', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 25 }), event, (history, last) => {
        const before = history.reduce(reducePackStatus, initialPackStatus({ revision: 'r1' }));
        const once = reducePackStatus(before, last);
        expect(reducePackStatus(once, last)).toBe(once);
      }),
    );
  });

  it('transitions chain (each from is the previous to), end at the current phase, and never repeat a phase', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (events) => {
        const s = events.reduce(reducePackStatus, initialPackStatus({ revision: 'r1' }));
        let phase = 'onboarding';
        for (const tr of s.transitions) {
          expect(tr.from).toBe(phase);
          expect(tr.to).not.toBe(tr.from);
          phase = tr.to;
        }
        expect(s.phase).toBe(phase);
      }),
    );
  });

  it('startTime is set exactly when the pack has left onboarding at least once', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (events) => {
        const s = events.reduce(reducePackStatus, initialPackStatus({ revision: 'r1' }));
        expect(s.startTime !== undefined).toBe(s.transitions.length > 0);
      }),
    );
  });
});
