import { describe, expect, it } from 'vitest';
import type { KubeClient } from '../kube/index.js';
import type { Store } from '../store/index.js';
import type { Fleet } from './fleet.js';
import { liveObjectReader } from './live-objects.js';

describe('liveObjectReader', () => {
  it('refuses whatever the API server maps to Secrets, however the request spells it, before reading it', async () => {
    const gets: unknown[] = [];
    const kube = {
      resourceFor: (apiVersion: string, kind: string) =>
        Promise.resolve({
          group: '',
          version: 'v1',
          kind,
          resource: kind === 'Secret' ? 'secrets' : 'configmaps',
          namespaced: true,
        }),
      get: (ref: unknown) => {
        gets.push(ref);
        return Promise.resolve({ metadata: { name: 'x' } });
      },
    } as unknown as KubeClient;
    const fleet = {
      has: () => true,
      runtime: () => ({ kube }),
      readElsewhere: () => Promise.reject(new Error('no')),
    };
    const read = liveObjectReader({
      store: {} as Store,
      fleet: fleet as unknown as Pick<Fleet, 'has' | 'runtime' | 'readElsewhere'>,
      replicated: false,
    });
    await expect(
      read('c', { apiVersion: '/v1', kind: 'Secret', namespace: 'default', name: 'db' }),
    ).rejects.toThrow('a Secret is never read');
    expect(gets).toEqual([]);
    await expect(
      read('c', { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'x' }),
    ).resolves.toMatchObject({
      object: { metadata: { name: 'x' } },
    });
    expect(gets).toHaveLength(1);
  });
});
