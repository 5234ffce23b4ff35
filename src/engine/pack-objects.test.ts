import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { ObjectRef } from '../status/index.js';
import { PackObjects } from './pack-objects.js';
import { Label } from './render.js';

const ref = (name: string): ObjectRef => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'apps', name });
const object = (name: string, pack?: string): KubernetesObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name,
    namespace: 'apps',
    labels: { [Label.Cluster]: 'unit', ...(pack === undefined ? {} : { [Label.Pack]: pack }) },
  },
});

function seen(index: PackObjects, type: 'ADDED' | 'MODIFIED' | 'DELETED', name: string, pack?: string) {
  index.record({ type: 'Owned', ref: ref(name), event: { type, object: object(name, pack) } });
}
const names = (index: PackObjects, pack: string) => [...index.of(pack)].map((r) => r.name);

describe('PackObjects: the owned objects by the pack their label names', () => {
  it('lists a pack’s objects in the order first seen, and none of another pack’s', () => {
    const index = new PackObjects();
    seen(index, 'ADDED', 'b', 'web');
    seen(index, 'ADDED', 'x', 'db');
    seen(index, 'ADDED', 'a', 'web');
    seen(index, 'MODIFIED', 'b', 'web');
    expect(names(index, 'web')).toEqual(['b', 'a']);
    expect(names(index, 'db')).toEqual(['x']);
    expect(names(index, 'gone')).toEqual([]);
  });

  it('follows a label that changes or goes, and forgets a deleted object', () => {
    const index = new PackObjects();
    seen(index, 'ADDED', 'a', 'web');
    seen(index, 'ADDED', 'b', 'web');
    seen(index, 'MODIFIED', 'a', 'db');
    seen(index, 'MODIFIED', 'b');
    expect(names(index, 'web')).toEqual([]);
    expect(names(index, 'db')).toEqual(['a']);
    seen(index, 'DELETED', 'a', 'db');
    expect(names(index, 'db')).toEqual([]);
  });

  it('keeps the order first seen and follows deletions past the few objects kept in an array', () => {
    const index = new PackObjects();
    const many = Array.from({ length: 12 }, (_, i) => `cm-${String(i).padStart(2, '0')}`);
    for (const name of many) seen(index, 'ADDED', name, 'web');
    seen(index, 'MODIFIED', 'cm-03', 'web');
    seen(index, 'DELETED', 'cm-05', 'web');
    seen(index, 'MODIFIED', 'cm-07', 'db');
    expect(names(index, 'web')).toEqual(many.filter((n) => n !== 'cm-05' && n !== 'cm-07'));
    expect(names(index, 'db')).toEqual(['cm-07']);
    for (const name of many) seen(index, 'DELETED', name);
    expect(names(index, 'web')).toEqual([]);
    expect(names(index, 'db')).toEqual([]);
    seen(index, 'ADDED', 'again', 'web');
    expect(names(index, 'web')).toEqual(['again']);
  });

  it('ignores events that are not about owned objects', () => {
    const index = new PackObjects();
    index.record({ type: 'Warning', uids: ['u1'] });
    index.record({ type: 'Related', event: { type: 'ADDED', object: object('p', 'web') } });
    expect(names(index, 'web')).toEqual([]);
  });
});
