import { describe, expect, it } from 'vitest';
import type { ResourceState } from '../../../src/server/client-types';
import type { PackTransition } from '../api/types';
import { pack } from '../live/fixtures';
import type { PackPhase } from '../api/display';
import { groupByLayer, groupByProfile, packElapsed } from './grouping';
import { sortResources } from './ResourceTable';
import { timelineModel } from './timeline-scale';

describe('grouping and ordering', () => {
  it('groups by layer in install order of layers and keeps the install order within a layer', () => {
    const packs = [
      pack('calico', { layer: 'cni' }),
      pack('ubuntu', { layer: 'os' }),
      pack('quotas', { layer: 'addon' }),
      pack('kubernetes', { layer: 'k8s' }),
      pack('echo', { layer: 'addon' }),
      pack('csi-local', { layer: 'csi' }),
      pack('odd', { layer: 'custom' }),
    ];
    expect(groupByLayer(packs).map((g) => [g.layer, g.packs.map((p) => p.name)])).toEqual([
      ['os', ['ubuntu']],
      ['k8s', ['kubernetes']],
      ['cni', ['calico']],
      ['csi', ['csi-local']],
      ['addon', ['quotas', 'echo']],
      ['custom', ['odd']],
    ]);
  });

  it('times a pack: not started, running, or its duration once done', () => {
    const now = Date.parse('2026-01-01T00:01:00.000Z');
    expect(packElapsed(pack('a'), now)).toBeUndefined();
    expect(
      packElapsed(pack('b', { phase: 'processing', startTime: '2026-01-01T00:00:30.000Z' }), now),
    ).toEqual({ ms: 30_000, running: true });
    expect(
      packElapsed(
        pack('c', {
          phase: 'success',
          startTime: '2026-01-01T00:00:00.000Z',
          endTime: '2026-01-01T00:00:12.000Z',
        }),
        now,
      ),
    ).toEqual({ ms: 12_000, running: false });
  });

  it('sorts resources failed first by default, install order breaking ties', () => {
    const r = (name: string, state: ResourceState) => ({
      ref: { apiVersion: 'v1', kind: 'Pod', namespace: 'x', name },
      state,
      reason: '',
      message: '',
    });
    const rows = [
      r('a', 'Ready'),
      r('b', 'Progressing'),
      r('c', 'Failed'),
      r('d', 'Ready'),
      r('e', 'Missing'),
    ];
    expect(sortResources(rows, 'state', 'ascending').map((x) => x.ref.name)).toEqual([
      'c',
      'e',
      'b',
      'a',
      'd',
    ]);
    expect(sortResources(rows, 'name', 'descending').map((x) => x.ref.name)).toEqual([
      'e',
      'd',
      'c',
      'b',
      'a',
    ]);
  });

  it('puts the timeline bars on one axis from the first start', () => {
    const now = Date.parse('2026-01-01T00:00:40.000Z');
    const model = timelineModel(
      [
        pack('a', {
          phase: 'success',
          startTime: '2026-01-01T00:00:00.000Z',
          endTime: '2026-01-01T00:00:10.000Z',
        }),
        pack('b', { phase: 'processing', startTime: '2026-01-01T00:00:05.000Z' }),
        pack('c'),
      ],
      now,
    );
    expect(model.bars.map((b) => [b.start, b.end, b.running])).toEqual([
      [0, 10_000, false],
      [5_000, 40_000, true],
      [undefined, undefined, false],
    ]);
    expect(model.span).toBe(40_000);
    expect(model.ticks[0]).toBe(0);
    // Without transitions, one segment per started pack in its current phase.
    expect(model.bars.map((b) => b.segments.map((s) => [s.phase, s.start, s.end, s.open]))).toEqual([
      [['success', 0, 10_000, false]],
      [['processing', 5_000, 40_000, true]],
      [],
    ]);
  });

  it('splits a bar by phase from the transitions: blue, red while it failed, a green mark, red until now', () => {
    const at = (s: number) => `2026-01-01T00:00:${String(s).padStart(2, '0')}.000Z`;
    const tr = (from: PackPhase, to: PackPhase, s: number): PackTransition => ({
      time: at(s),
      from,
      to,
      condition: 'Ready',
      reason: '',
      message: '',
    });
    const history = new Map<string, PackTransition[]>([
      [
        'web',
        [
          tr('onboarding', 'processing', 2),
          tr('processing', 'failed', 5),
          tr('failed', 'processing', 20),
          tr('processing', 'success', 24),
          tr('success', 'failed', 30),
        ],
      ],
      ['db', [tr('onboarding', 'processing', 0), tr('processing', 'success', 4)]],
    ]);
    const model = timelineModel(
      [
        pack('db', { phase: 'success', startTime: at(0), endTime: at(4) }),
        pack('web', { phase: 'failed', startTime: at(2), endTime: at(5) }),
      ],
      Date.parse(at(40)),
      history,
    );
    expect(model.origin).toBe(Date.parse(at(0)));
    const segments = (name: string) =>
      model.bars.find((b) => b.pack.name === name)?.segments.map((s) => [s.phase, s.start, s.end, s.open]);
    expect(segments('db')).toEqual([
      ['processing', 0, 4_000, false],
      ['success', 4_000, 4_000, false],
    ]);
    expect(segments('web')).toEqual([
      ['processing', 2_000, 5_000, false],
      ['failed', 5_000, 20_000, false],
      ['processing', 20_000, 24_000, false],
      ['success', 24_000, 24_000, false],
      ['failed', 30_000, 34_500, true],
    ]);
    // The axis spans the install (to the last red at 30 s) plus room; the red that lasts until now is drawn
    // to the edge, clipped, and its length said in words.
    expect(model.span).toBe(34_500);
    expect(model.bars.find((b) => b.pack.name === 'web')).toMatchObject({ redFor: 10_000 });
    expect(model.bars.find((b) => b.pack.name === 'web')?.segments.at(-1)?.clipped).toBe(true);
  });

  it('does not stretch the axis to now for a 32-second install that has been red for 5 minutes', () => {
    const at = (s: number) => new Date(Date.parse('2026-01-01T00:00:00.000Z') + s * 1000).toISOString();
    const history = new Map<string, PackTransition[]>([
      [
        'web',
        [
          {
            time: at(2),
            from: 'onboarding',
            to: 'processing',
            condition: 'Installing',
            reason: '',
            message: '',
          },
          { time: at(32), from: 'processing', to: 'failed', condition: 'Error', reason: '', message: '' },
        ],
      ],
    ]);
    const model = timelineModel(
      [pack('web', { phase: 'failed', startTime: at(2), endTime: at(32) })],
      Date.parse(at(332)),
      history,
      new Map([['platform-tools', Date.parse(at(0))]]),
    );
    expect(model.origin).toBe(Date.parse(at(0)));
    expect(model.span).toBeLessThan(40_000);
    const bar = model.bars[0];
    expect(bar?.redFor).toBe(300_000);
    // Gray while it waited for its turn, from the attachment to its first start.
    expect(bar?.segments.map((s) => [s.phase, s.start, s.end])).toEqual([
      ['onboarding', 0, 2_000],
      ['processing', 2_000, 32_000],
      ['failed', 32_000, model.span],
    ]);
  });

  it('marks each later run (upgrade, retry) on the bar', () => {
    const at = (s: number) => new Date(Date.parse('2026-01-01T00:00:00.000Z') + s * 1000).toISOString();
    const upgrade = {
      kind: 'upgrade' as const,
      revision: 'b',
      startTime: at(60),
      endTime: at(65),
      outcome: 'success' as const,
    };
    // The page carries the current run only; the runs come with the transitions (the timeline's route).
    const model = timelineModel(
      [pack('web', { phase: 'success', startTime: at(60), endTime: at(65), lastRun: upgrade, runCount: 3 })],
      Date.parse(at(100)),
      new Map(),
      new Map(),
      new Map([
        [
          'web',
          [
            { kind: 'install', revision: 'a', startTime: at(0), endTime: at(10), outcome: 'failed' },
            { kind: 'retry', revision: 'a', startTime: at(30), endTime: at(40), outcome: 'success' },
            upgrade,
          ],
        ],
      ]),
    );
    expect(model.bars[0]?.start).toBe(0);
    expect(model.bars[0]?.runs).toEqual([
      { kind: 'retry', at: 30_000 },
      { kind: 'upgrade', at: 60_000 },
    ]);
  });

  it('groups packs by profile in install order, each with its version, rollup colour and counts', () => {
    const packs = [
      pack('ubuntu', { layer: 'os', profile: 'base', phase: 'success' }),
      pack('calico', { layer: 'cni', profile: 'base', phase: 'success' }),
      pack('grafana', { layer: 'addon', profile: 'monitoring', phase: 'failed' }),
      pack('quotas', { layer: 'addon', profile: 'tenants', phase: 'processing' }),
      pack('prometheus', { layer: 'addon', profile: 'monitoring', phase: 'success' }),
    ];
    const groups = groupByProfile(packs, [
      { cluster: 'c', profile: 'base', version: '1.0.0', values: {} },
      { cluster: 'c', profile: 'monitoring', version: '2.1.0', values: {} },
    ]);
    expect(
      groups.map((g) => [
        g.profile,
        g.version,
        g.phase,
        g.layers.map((l) => [l.layer, l.packs.map((p) => p.name)]),
      ]),
    ).toEqual([
      [
        'base',
        '1.0.0',
        'success',
        [
          ['os', ['ubuntu']],
          ['cni', ['calico']],
        ],
      ],
      ['monitoring', '2.1.0', 'failed', [['addon', ['grafana', 'prometheus']]]],
      ['tenants', undefined, 'processing', [['addon', ['quotas']]]],
    ]);
    expect(groups[1]?.counts).toEqual({ onboarding: 0, processing: 0, success: 1, failed: 1 });
  });
});
