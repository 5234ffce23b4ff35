import { describe, expect, it } from 'vitest';
import type { DesiredPack } from '../engine/index.js';
import { ChartSourceKind, Layer, PackType, PrioritySource, Redactor } from '../profile/index.js';
import { packValuesView } from './present.js';

const desired: DesiredPack = {
  pack: {
    type: PackType.Helm,
    name: 'db',
    layer: Layer.Addon,
    version: '1.0.0',
    installPriority: 0,
    prioritySource: PrioritySource.Default,
    dependsOn: [],
    timeoutMs: 60_000,
    namespace: { name: 'data', labels: {}, annotations: {}, create: true },
    chart: { kind: ChartSourceKind.Local, path: 'charts/db' },
    releaseName: 'db',
    values: { password: 'hunter2-secret' },
  },
  profile: { name: 'data', version: '1.0.0' },
  wave: 1,
  order: 0,
  explanation: 'wave 1',
  redactor: new Redactor(['hunter2-secret']),
};

describe('packValuesView', () => {
  it("carries a Helm pack's notes, with sensitive values masked as in its values", () => {
    const view = packValuesView(desired, 'Log in with password hunter2-secret.');
    expect(view.notes).toBe('Log in with password ******.');
    expect(view.values).toEqual({ password: '******' });
  });

  it('has no notes before the pack is rendered or when its chart has none', () => {
    expect(packValuesView(desired)).not.toHaveProperty('notes');
  });
});
