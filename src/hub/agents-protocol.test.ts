// The agent's status pushes are checked for every field the hub reads (security review 8, item 7): a status
// missing one was stored and then failed every read of its cluster's page.
import { describe, expect, it } from 'vitest';
import { advance, packStatus } from '../store/testing/fixtures.js';
import { MAX_RUNS } from '../status/index.js';
import { AgentBatchSchema, MAX_AGENT_STATUS_RESOURCES } from './agents-protocol.js';

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

  // Security review 10, item 3: loose objects kept any unknown field (up to 1 MiB an event), stored and served
  // to every viewer.
  it('refuses a field the hub does not know, wherever it is, naming it', () => {
    const status = packStatus('processing');
    const [first, ...others] = status.resources;
    if (first === undefined) throw new Error('the fixture has resources');
    expect(issuesOf({ ...status, resources: [{ ...first, junk: 'A'.repeat(1000) }, ...others] })).toEqual([
      'events.0.event.status.resources.0: not a pack status: Unrecognized key: "junk"',
    ]);
    expect(issuesOf({ ...status, extra: 1 })).toEqual([
      'events.0.event.status: not a pack status: Unrecognized key: "extra"',
    ]);
    const ref = { ...first.ref, junk: 1 };
    expect(issuesOf({ ...status, resources: [{ ...first, ref }] })).toEqual([
      'events.0.event.status.resources.0.ref: not a pack status: Unrecognized key: "junk"',
    ]);
    const done = advance(status, 'success', '2026-01-01T00:01:00.000Z');
    const transitions = done.transitions.map((t) => ({ ...t, junk: 1 }));
    expect(issuesOf({ ...done, transitions })).toEqual([
      'events.0.event.status.transitions.0: not a pack status: Unrecognized key: "junk"',
    ]);
    // Outside the status too: the event, the batch item and the batch.
    const event = { type: 'PackRemoved', pack: 'cfg', time: '2026-01-01T00:00:00.000Z', junk: 1 };
    const parsed = AgentBatchSchema.safeParse({ stream: STREAM, events: [{ seq: 1, event }], junk: 1 });
    expect(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(
      ['events.0.event: Unrecognized key: "junk"', ': Unrecognized key: "junk"'],
    );
  });

  it('takes a status with every optional part set, and refuses one listing more resources than a pack may render', () => {
    const status = advance(packStatus('processing'), 'success', '2026-01-01T00:01:00.000Z');
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'c', namespace: 'default' };
    const full = {
      ...status,
      timedOut: { deadline: '2026-01-01T00:10:00.000Z', after: '10m' },
      startTime: '2026-01-01T00:00:00.000Z',
      endTime: '2026-01-01T00:01:00.000Z',
      runs: [{ kind: 'install', revision: 'r1', startTime: '2026-01-01T00:00:00.000Z', outcome: 'success' }],
      resources: status.resources.map((r) => ({
        ...r,
        hook: true,
        evaluation: { ...r.evaluation, cause: ref },
      })),
      stage: {
        type: 'Uninstalling',
        kept: [ref],
        hooksSkipped: true,
        deletingCrds: [{ ref, customResources: 2 }],
        deletedAgain: [ref],
      },
    };
    expect(issuesOf(full)).toEqual([]);
    const waiting = {
      type: 'Waiting',
      waitingFor: [{ pack: 'db', phase: 'processing' }],
      wave: { wave: 1, phases: ['processing'] },
    };
    expect(issuesOf({ ...status, stage: waiting })).toEqual([]);
    const [one] = status.resources;
    const resources = Array.from({ length: MAX_AGENT_STATUS_RESOURCES + 1 }, () => one);
    expect(issuesOf({ ...status, resources })).toEqual([
      `events.0.event.status.resources: not a pack status: Too big: expected array to have <=${MAX_AGENT_STATUS_RESOURCES} items`,
    ]);
    const run = { kind: 'install', revision: 'r1', startTime: '2026-01-01T00:00:00Z' };
    expect(issuesOf({ ...status, runs: Array.from({ length: MAX_RUNS }, () => run) })).toEqual([]);
    expect(issuesOf({ ...status, runs: Array.from({ length: MAX_RUNS + 1 }, () => run) })).toEqual([
      `events.0.event.status.runs: not a pack status: Too big: expected array to have <=${MAX_RUNS} items`,
    ]);
  });
});
