import type { CoreV1Event, KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { KEPT_TEXT_MAX } from '../shared/kept-text.js';
import { indexRelated } from '../status/index.js';
import { MAX_RECENT_WARNINGS, recentWarnings } from './recent-warnings.js';

const owner = (uid: string, kind: string) => [
  { apiVersion: 'apps/v1', kind, name: 'x', uid, controller: true },
];
const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'q', uid: 'd1' },
};
const replicaSet = {
  metadata: { name: 'web-7d9', namespace: 'q', uid: 'rs1', ownerReferences: owner('d1', 'Deployment') },
};
const pod = {
  metadata: { name: 'web-7d9-abc', namespace: 'q', uid: 'p1', ownerReferences: owner('rs1', 'ReplicaSet') },
};

const event = (uid: string, reason: string, time: string, message = `${reason} happened`) =>
  ({
    metadata: { name: `${uid}.${reason}` },
    involvedObject: { uid },
    type: 'Warning',
    reason,
    message,
    count: 3,
    lastTimestamp: time,
  }) as unknown as CoreV1Event;

const t0 = '2026-12-01T10:00:00Z';

describe('recentWarnings', () => {
  it("lists a Deployment's own events and those of its ReplicaSets and pods, newest first, naming each object", () => {
    const events = new Map<string, CoreV1Event[]>([
      ['d1', [event('d1', 'ProgressDeadlineExceeded', '2026-12-01T10:00:03Z')]],
      ['rs1', [event('rs1', 'FailedCreate', '2026-12-01T10:00:01Z', 'exceeded quota: q')]],
      ['p1', [event('p1', 'Unhealthy', '2026-12-01T10:00:02Z', 'Readiness probe failed: 503')]],
    ]);
    const related = {
      ...indexRelated({ replicaSets: [replicaSet], pods: [pod] }),
      warningEventsFor: (uid: string) => events.get(uid) ?? [],
    };
    expect(recentWarnings(deployment as KubernetesObject, related)).toEqual([
      {
        object: 'Deployment q/web',
        reason: 'ProgressDeadlineExceeded',
        message: 'ProgressDeadlineExceeded happened',
        count: 3,
        time: '2026-12-01T10:00:03Z',
      },
      {
        object: 'Pod q/web-7d9-abc',
        reason: 'Unhealthy',
        message: 'Readiness probe failed: 503',
        count: 3,
        time: '2026-12-01T10:00:02Z',
      },
      {
        object: 'ReplicaSet q/web-7d9',
        reason: 'FailedCreate',
        message: 'exceeded quota: q',
        count: 3,
        time: '2026-12-01T10:00:01Z',
      },
    ]);
  });

  it("keeps no terminal control of an event's reason and message (review 10, finding 5)", () => {
    const attack = 'pulled \x1b]52;c;Y3VybCBldmlsfHNo\x07\x1b[2J\u202eevil';
    const related = { ...indexRelated({}), warningEventsFor: () => [event('d1', 'Bad\x1b[2J', t0, attack)] };
    expect(recentWarnings(deployment as KubernetesObject, related)).toEqual([
      {
        object: 'Deployment q/web',
        reason: 'Bad[2J',
        message: 'pulled ]52;c;Y3VybCBldmlsfHNo[2Jevil',
        count: 3,
        time: t0,
      },
    ]);
  });

  it("keeps at most KEPT_TEXT_MAX characters of an event's reason and message, marked where cut", () => {
    // An event's message is as long as whoever wrote the event made it (a controller, a webhook, anyone who may
    // create events in the namespace): the page lists it for every viewer.
    const long = `Back-off: ${'x'.repeat(100 * 1024)}`;
    const related = { ...indexRelated({}), warningEventsFor: () => [event('d1', long, t0, long)] };
    const [warning] = recentWarnings(deployment, related);
    for (const text of [warning?.reason, warning?.message]) {
      expect(text).toHaveLength(KEPT_TEXT_MAX);
      expect(text).toMatch(/^Back-off: x+…\[\d+ more characters cut by the hub\]$/u);
    }
  });

  it('keeps at most a few, and none without an event source', () => {
    const many = Array.from({ length: 9 }, (_, i) => event('d1', `R${i}`, `2026-12-01T10:00:0${i}Z`));
    const related = { ...indexRelated({}), warningEventsFor: () => many };
    expect(recentWarnings(deployment as KubernetesObject, related)).toHaveLength(MAX_RECENT_WARNINGS);
    expect(recentWarnings(deployment as KubernetesObject, indexRelated({}))).toEqual([]);
  });
});
