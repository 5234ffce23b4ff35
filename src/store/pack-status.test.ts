import { describe, expect, it } from 'vitest';
import { statusEventData, type PackStatusRecord } from './pack-status.js';

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

describe('statusEventData', () => {
  it('is the JSON of the whole event, with the resources serialized once for the row spliced in', () => {
    const data = statusEventData('cm-pack', status, JSON.stringify(status.resources));
    expect(JSON.parse(data)).toEqual({ pack: 'cm-pack', status });
  });

  it('keeps an empty resource list', () => {
    const empty = { ...status, resources: [] };
    expect(JSON.parse(statusEventData('cm-pack', empty, '[]'))).toEqual({ pack: 'cm-pack', status: empty });
  });
});
