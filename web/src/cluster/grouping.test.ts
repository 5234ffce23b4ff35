import { describe, expect, it } from 'vitest';
import type { ResourceState } from '../../../src/server/client-types';
import { pack } from '../live/fixtures';
import { groupByLayer, packElapsed } from './grouping';
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
  });
});
