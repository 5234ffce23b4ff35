import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregatePack, type PackResource, type PackStage } from './aggregate.js';
import { ResourceState } from './resource-state.js';

const stateArb = fc.constantFrom(...Object.values(ResourceState));

const resourcesArb = (state: fc.Arbitrary<ResourceState> = stateArb) =>
  fc
    .uniqueArray(
      fc.record({
        name: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
        state,
        reason: fc.stringMatching(/^[A-Z][A-Za-z]{0,15}$/),
      }),
      { selector: (r) => r.name, maxLength: 30 },
    )
    .map((rs) =>
      rs.map((r): PackResource => ({
        ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: r.name },
        evaluation: { state: r.state, reason: r.reason, message: `ConfigMap ns/${r.name}: ${r.reason}` },
      })),
    );

const operationArb = fc.constantFrom('install' as const, 'upgrade' as const);
const resourceStageArb = fc.constantFrom<PackStage>({ type: 'Applying' }, { type: 'Applied' });
const timeoutArb = fc.option(fc.record({ deadline: fc.constant('2026-11-20T09:24:03Z') }), {
  nil: undefined,
});

describe('aggregatePack properties', () => {
  it('any Failed resource → failed', () => {
    fc.assert(
      fc.property(
        resourcesArb(),
        fc.nat(),
        operationArb,
        resourceStageArb,
        timeoutArb,
        (resources, at, operation, stage, timedOut) => {
          const failed: PackResource = {
            ref: { apiVersion: 'v1', kind: 'Pod', namespace: 'ns', name: 'the-failed-one' },
            evaluation: {
              state: 'Failed',
              reason: 'CrashLoopBackOff',
              message: 'Pod ns/the-failed-one: CrashLoopBackOff',
            },
          };
          const all = resources.toSpliced(at % (resources.length + 1), 0, failed);
          const s = aggregatePack({ operation, stage, resources: all, ...(timedOut ? { timedOut } : {}) });
          expect(s.phase).toBe('failed');
          expect(s.condition).toBe('Error');
        },
      ),
    );
  });

  it('all Ready once applied → success, whatever the timeout', () => {
    fc.assert(
      fc.property(
        resourcesArb(fc.constant('Ready')),
        operationArb,
        timeoutArb,
        (resources, operation, timedOut) => {
          const stage: PackStage = { type: 'Applied' };
          const s = aggregatePack({ operation, stage, resources, ...(timedOut ? { timedOut } : {}) });
          expect(s.phase).toBe('success');
          expect(s.progress).toEqual({ ready: resources.length, total: resources.length });
        },
      ),
    );
  });

  it('none Failed, some not Ready → processing, or failed only when timed out', () => {
    fc.assert(
      fc.property(
        resourcesArb(fc.constantFrom<ResourceState>('Ready', 'Progressing', 'Missing', 'Terminating')).filter(
          (rs) => rs.some((r) => r.evaluation.state !== 'Ready'),
        ),
        resourceStageArb,
        timeoutArb,
        (resources, stage, timedOut) => {
          const s = aggregatePack({
            operation: 'install',
            stage,
            resources,
            ...(timedOut ? { timedOut } : {}),
          });
          expect(s.phase).toBe(timedOut ? 'failed' : 'processing');
          if (timedOut) expect(s.reason).toBe('TimedOut');
        },
      ),
    );
  });

  it('is never green while the apply is still in flight', () => {
    fc.assert(
      fc.property(resourcesArb(), operationArb, (resources, operation) => {
        expect(aggregatePack({ operation, stage: { type: 'Applying' }, resources }).phase).not.toBe(
          'success',
        );
      }),
    );
  });

  it('resource order changes neither the phase nor the progress', () => {
    fc.assert(
      fc.property(
        resourcesArb().chain((rs) =>
          fc.tuple(fc.constant(rs), fc.shuffledSubarray(rs, { minLength: rs.length, maxLength: rs.length })),
        ),
        operationArb,
        resourceStageArb,
        timeoutArb,
        ([resources, shuffled], operation, stage, timedOut) => {
          const t = timedOut ? { timedOut } : {};
          const a = aggregatePack({ operation, stage, resources, ...t });
          const b = aggregatePack({ operation, stage, resources: shuffled, ...t });
          expect(b.phase).toBe(a.phase);
          expect(b.condition).toBe(a.condition);
          expect(b.progress).toEqual(a.progress);
        },
      ),
    );
  });

  it('progress counts exactly the Ready resources', () => {
    fc.assert(
      fc.property(resourcesArb(), (resources) => {
        const s = aggregatePack({ operation: 'install', stage: { type: 'Applied' }, resources });
        expect(s.progress.total).toBe(resources.length);
        expect(s.progress.ready).toBe(resources.filter((r) => r.evaluation.state === 'Ready').length);
      }),
    );
  });
});
