// A pack's values as YAML are written once while the pack is unchanged: writing a 900 KB pack's values took
// about a second on the event loop, for every viewer's request (review 5e). An updated pack is written anew.
import { describe, expect, it, vi } from 'vitest';
import type { DesiredPack } from '../engine/index.js';
import { ChartSourceKind, Layer, PackType, PrioritySource, Redactor } from '../profile/index.js';
import { ValuesText } from './values-text.js';

const stringify = vi.hoisted(() => ({ calls: 0 }));
vi.mock('yaml', async (original) => {
  const yaml = await original<typeof import('yaml')>();
  return {
    ...yaml,
    stringify: (...args: Parameters<typeof yaml.stringify>) => {
      stringify.calls++;
      return yaml.stringify(...args);
    },
  };
});

const pack = (values: Record<string, string>): DesiredPack => ({
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
    values,
  },
  profile: { name: 'data', version: '1.0.0' },
  wave: 1,
  order: 0,
  explanation: 'wave 1',
  redactor: new Redactor(['hunter2-secret']),
});

describe('ValuesText', () => {
  it('writes the YAML once for the same desired pack, and again once the pack changed', () => {
    const text = new ValuesText();
    const first = pack({ password: 'hunter2-secret', host: 'db' });
    const before = stringify.calls;
    const view = text.view('c1/db', first, 'password hunter2-secret');
    expect(view).toMatchObject({
      yaml: 'password: "******"\nhost: db\n',
      masked: true,
      notes: 'password ******',
    });
    expect(text.view('c1/db', first)).toEqual(withoutNotes(view));
    expect(stringify.calls - before).toBe(1);

    const updated = pack({ host: 'db2' });
    expect(text.view('c1/db', updated)).toMatchObject({ yaml: 'host: db2\n', masked: false });
    expect(stringify.calls - before).toBe(2);
  });
});

function withoutNotes<T extends { notes?: string }>(view: T): Omit<T, 'notes'> {
  const { notes: _notes, ...rest } = view;
  return rest;
}
