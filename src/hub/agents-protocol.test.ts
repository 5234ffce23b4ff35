// The agent's status pushes are checked for every field the hub reads (security review 8, item 7): a status
// missing one was stored and then failed every read of its cluster's page.
import { describe, expect, it } from 'vitest';
import { advance, packStatus } from '../store/testing/fixtures.js';
import { AgentBatchSchema } from './agents-protocol.js';

const STREAM = '6f1c1d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f';
const batchOf = (status: unknown) => ({
  stream: STREAM,
  events: [{ seq: 1, event: { type: 'PackStatusChanged', pack: 'cfg', profile: 'p', status } }],
});
const issuesOf = (status: unknown) => {
  const result = AgentBatchSchema.safeParse(batchOf(status));
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('WirePackStatusSchema', () => {
  it('takes the statuses the reducer makes', () => {
    const installing = packStatus('processing');
    const done = advance(installing, 'success', '2026-01-01T00:01:00.000Z');
    expect(issuesOf(installing)).toEqual([]);
    expect(issuesOf(done)).toEqual([]);
    expect(issuesOf({ ...packStatus('failed'), stage: { type: 'ApplyFailed', error: 'boom' } })).toEqual([]);
  });

  it('refuses a status without progress, condition or a resource evaluation, naming each field', () => {
    const { progress: _p, condition: _c, ...rest } = packStatus('processing');
    const malformed = {
      ...rest,
      resources: [{ ref: { apiVersion: 'v1', kind: 'ConfigMap', name: 'cfg', namespace: 'default' } }],
    };
    const issues = issuesOf(malformed).join('\n');
    expect(issues).toMatch(/^events\.0\.event\.status\.condition: not a pack status: /m);
    expect(issues).toMatch(/^events\.0\.event\.status\.progress: not a pack status: /m);
    expect(issues).toMatch(/^events\.0\.event\.status\.resources\.0\.evaluation: not a pack status: /m);
  });

  it('refuses a stage without the text the hub redacts, and an unknown resource state', () => {
    const status = packStatus('processing');
    expect(issuesOf({ ...status, stage: { type: 'Blocked' } })).toEqual([
      expect.stringMatching(/^events\.0\.event\.status\.stage\.blockedBy: /),
    ]);
    const resources = status.resources.map((r) => ({ ...r, evaluation: { ...r.evaluation, state: 'Fine' } }));
    expect(issuesOf({ ...status, resources })[0]).toMatch(
      /^events\.0\.event\.status\.resources\.0\.evaluation\.state: /,
    );
  });
});
