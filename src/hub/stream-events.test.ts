// The hub's stream events against their declared schema (the route table's): what the
// OpenAPI document and the generated client types promise is what the hub sends, kind by kind.
import { describe, expect, it } from 'vitest';
import { desiredOrThrow, loadExamples } from '../engine/testing/runner.js';
import { clusterSummary, StreamEventSchema, streamEvent, type HubEvent } from './stream-events.js';
import { initialPackStatus } from '../status/index.js';
import type { StoredEvent } from '../store/index.js';
import { Redactor } from '../profile/index.js';

const SECRET = 'correct-horse-battery';
const time = '2026-01-01T00:00:10.000Z';

async function monitoring() {
  const desired = desiredOrThrow(await loadExamples(['monitoring.yaml']), {
    cluster: 'local',
    values: { monitoring: { adminPassword: SECRET } },
  });
  const first = desired[0];
  if (first === undefined) throw new Error('monitoring.yaml has no packs');
  return first;
}

function failedStatus(message: string) {
  const status = initialPackStatus({ revision: 'r1', time });
  return {
    ...status,
    phase: 'failed' as const,
    condition: 'Error' as const,
    reason: 'ImagePullBackOff',
    message,
  };
}

describe('the stream events the hub publishes', () => {
  it('carry the pack view of the page in pack.status, redacted, and match the declared schema', async () => {
    const desired = await monitoring();
    const stored: StoredEvent = {
      id: 7,
      time,
      cluster: 'local',
      kind: 'pack.status',
      pack: desired.pack.name,
      status: {
        ...failedStatus(`Pod monitoring/x: password ${SECRET} rejected`),
        cluster: 'local',
        pack: desired.pack.name,
        seq: 7,
        updatedAt: time,
      },
    };
    const event = streamEvent(stored, () => ({ desired, stale: false }));
    expect(StreamEventSchema.parse(event)).toEqual(event);
    expect(event).toMatchObject({
      id: 7,
      kind: 'pack.status',
      pack: desired.pack.name,
      data: {
        name: desired.pack.name,
        profile: 'monitoring',
        order: desired.order,
        phase: 'failed',
        color: 'red',
        icon: '✗',
        label: 'Failed',
        stale: false,
      },
    });
    expect(JSON.stringify(event)).not.toContain(SECRET);
  });

  it("carries each resource's recent Warning events, redacted, as the page read does (the open detail keeps its list)", async () => {
    const desired = await monitoring();
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'monitoring', name: 'grafana' };
    const status = {
      ...failedStatus('Deployment monitoring/grafana: 0/1 available'),
      resources: [
        {
          ref,
          evaluation: { state: 'Progressing' as const, reason: 'Progressing', message: '0/1 available' },
        },
      ],
    };
    const stored: StoredEvent = {
      id: 9,
      time,
      cluster: 'local',
      kind: 'pack.status',
      pack: desired.pack.name,
      status: { ...status, cluster: 'local', pack: desired.pack.name, seq: 9, updatedAt: time },
    };
    const warning = {
      object: 'Pod monitoring/grafana-1',
      reason: 'Unhealthy',
      message: `Readiness probe failed: password ${SECRET} rejected`,
      count: 2,
      time,
    };
    const event = streamEvent(stored, () => ({
      desired,
      stale: false,
      warnings: (r) => (r.name === 'grafana' ? [warning] : []),
    }));
    expect(StreamEventSchema.parse(event)).toEqual(event);
    if (event.kind !== 'pack.status') throw new Error(`expected pack.status, got ${event.kind}`);
    expect(event.data.resources[0]?.events).toEqual([
      {
        ...warning,
        message: expect.stringMatching(/^Readiness probe failed: password \S+ rejected$/) as string,
      },
    ]);
    expect(JSON.stringify(event)).not.toContain(SECRET);
  });

  it('masks the whole word a weak secret is part of in a Warning event, not only the secret (review 14, item 7)', async () => {
    // A password too weak for the profile's own rule, as an agent's Redactor or an older profile may hold one.
    const weak = { ...(await monitoring()), redactor: new Redactor(['grafana']) };
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'monitoring', name: 'grafana' };
    const status = {
      ...failedStatus('0/1 available'),
      resources: [
        { ref, evaluation: { state: 'Progressing' as const, reason: 'Progressing', message: 'x' } },
      ],
    };
    const stored: StoredEvent = {
      id: 11,
      time,
      cluster: 'local',
      kind: 'pack.status',
      pack: weak.pack.name,
      status: { ...status, cluster: 'local', pack: weak.pack.name, seq: 11, updatedAt: time },
    };
    const warning = {
      object: 'Pod monitoring/grafana-7d9',
      reason: 'FailedMount',
      message:
        'MountVolume.SetUp failed for volume "grafana-admin": secret "monitoring-grafana-admin" not found',
      count: 1,
      time,
    };
    const event = streamEvent(stored, () => ({ desired: weak, stale: false, warnings: () => [warning] }));
    if (event.kind !== 'pack.status') throw new Error(`expected pack.status, got ${event.kind}`);
    expect(event.data.resources[0]?.events?.[0]?.message).toBe(
      'MountVolume.SetUp failed for volume "******": secret "******" not found',
    );
  });

  it('still sends a status of a pack the hub no longer places, marked by order -1, so a replay misses nothing', () => {
    const stored: StoredEvent = {
      id: 8,
      time,
      cluster: 'gone',
      kind: 'pack.status',
      pack: 'old',
      status: {
        ...failedStatus('Pod a/b: ImagePullBackOff'),
        cluster: 'gone',
        pack: 'old',
        seq: 8,
        updatedAt: time,
      },
    };
    const event = streamEvent(stored, () => undefined);
    expect(StreamEventSchema.parse(event)).toEqual(event);
    expect(event.data).toMatchObject({ name: 'old', order: -1, phase: 'failed', color: 'red' });
  });

  it('says a status cannot be shown instead of throwing when its view is built (in the fan-out, for every client)', async () => {
    const desired = await monitoring();
    const broken = { ...failedStatus('x'), resources: null } as unknown as ReturnType<typeof failedStatus>;
    const stored: StoredEvent = {
      id: 10,
      time,
      cluster: 'local',
      kind: 'pack.status',
      pack: desired.pack.name,
      status: { ...broken, cluster: 'local', pack: desired.pack.name, seq: 10, updatedAt: time },
    };
    const event = streamEvent(stored, () => ({ desired, stale: false }));
    expect(StreamEventSchema.parse(event)).toEqual(event);
    expect(event.data).toMatchObject({
      name: desired.pack.name,
      reason: 'StatusUnreadable',
      phase: 'onboarding',
    });
    // Of a pack the hub does not place, the same.
    const unplaced = streamEvent(stored, () => undefined);
    expect(unplaced.data).toMatchObject({ name: desired.pack.name, reason: 'StatusUnreadable', order: -1 });
  });

  it('declares every kind, persisted and ephemeral, and the schema refuses an unknown one', () => {
    const cluster = {
      name: 'local',
      server: 'https://127.0.0.1:6443',
      context: 'local',
      driftPolicy: 'correct' as const,
      createdAt: time,
      reachable: true,
      phase: 'failed' as const,
      counts: { onboarding: 0, processing: 1, success: 2, failed: 1 },
      packs: 4,
      attention: [],
    };
    const events: HubEvent[] = [
      streamEvent({ id: 1, time, cluster: 'local', kind: 'pack.removed', pack: 'web' }, () => undefined),
      streamEvent({ id: 2, time, cluster: 'local', kind: 'cluster.registered' }, () => undefined),
      streamEvent(
        {
          id: 3,
          time,
          cluster: 'local',
          kind: 'pack.transition',
          pack: 'web',
          transition: {
            time,
            from: 'processing',
            to: 'failed',
            condition: 'Error',
            reason: 'X',
            message: 'm',
          },
        },
        () => undefined,
      ),
      { kind: 'cluster.summary', cluster: 'local', time, data: clusterSummary(cluster) },
      {
        kind: 'cluster.connection',
        cluster: 'local',
        time,
        data: { reachable: false, error: 'ECONNREFUSED' },
      },
      {
        kind: 'pack.drift',
        cluster: 'local',
        pack: 'web',
        time,
        data: { time, message: 'drift: x', correcting: true },
      },
      {
        kind: 'attachment.changed',
        cluster: 'local',
        time,
        data: {
          cluster: 'local',
          profile: 'web',
          version: '1.0.0',
          values: {},
          sensitive: [],
          createdAt: time,
          updatedAt: time,
          updateAvailable: '1.1.0',
        },
      },
      { kind: 'attachment.removed', cluster: 'local', time, data: { profile: 'web' } },
      {
        kind: 'profile.published',
        time,
        data: { name: 'web', version: '1.1.0', type: 'add-on', published: true, createdAt: time, packs: 2 },
      },
    ];
    for (const event of events) expect(StreamEventSchema.parse(event)).toEqual(event);
    expect(clusterSummary(cluster).color).toBe('red');
    expect(StreamEventSchema.safeParse({ kind: 'pack.exploded', time, data: {} }).success).toBe(false);
    // A pack.status whose data is a store record (the old shape) is refused: clients get views only.
    expect(
      StreamEventSchema.safeParse({
        id: 1,
        kind: 'pack.status',
        cluster: 'c',
        pack: 'p',
        time,
        data: { status: {} },
      }).success,
    ).toBe(false);
  });
});
