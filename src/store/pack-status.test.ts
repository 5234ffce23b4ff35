import { describe, expect, it } from 'vitest';
import { statusJson, type PackStatusRecord } from './pack-status.js';

const status: Omit<PackStatusRecord, 'seq'> = {
  cluster: 'c1',
  pack: 'cm-pack',
  revision: 'r1',
  operation: 'install',
  stage: { type: 'Applied' },
  phase: 'processing',
  condition: 'Installing',
  reason: 'Progressing',
  message: '1 of 2 ready, "quoted" \u2028 text',
  progress: { ready: 1, total: 2 },
  resources: [
    {
      ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'a' },
      evaluation: { state: 'Ready', reason: 'Exists', message: '' },
    },
    {
      ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'b' },
      evaluation: { state: 'Progressing', reason: 'NotFound', message: 'not created yet' },
    },
  ],
  updatedAt: '2026-01-01T00:00:00.000Z',
};

describe('statusJson', () => {
  it('is the JSON of the whole event, and the resources for the row are exactly their JSON within it', () => {
    const json = statusJson('cm-pack', status);
    expect(JSON.parse(json.data)).toEqual({ pack: 'cm-pack', status });
    expect(json.resources).toBe(JSON.stringify(status.resources));
  });

  it('keeps an empty resource list', () => {
    const empty = { ...status, resources: [] };
    const json = statusJson('cm-pack', empty);
    expect(JSON.parse(json.data)).toEqual({ pack: 'cm-pack', status: empty });
    expect(json.resources).toBe('[]');
  });
});
