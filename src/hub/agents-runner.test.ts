import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { DesiredPack, RunnerEvent } from '../engine/index.js';
import { noRedaction, Redactor } from '../profile/index.js';
import { KEPT_TEXT_MAX } from '../shared/kept-text.js';
import { AGENT_DETAIL_LIMITS, type PackDetailsEvent } from './agents-details.js';
import { advance, packStatus } from '../store/testing/fixtures.js';
import { AgentBatchSchema } from './agents-protocol.js';
import { AgentRunner } from './agents-runner.js';

function runner(now: { t: number }) {
  const events: RunnerEvent[] = [];
  const r = new AgentRunner({
    cluster: 'edge',
    driftPolicy: 'correct',
    initial: new Map([['old', packStatus('success')]]),
    onEvent: (e) => events.push(e),
    pollSeconds: 1,
    now: () => now.t,
  });
  return { r, events };
}

describe("the hub's stand-in for an agent", () => {
  it('says the agent is silent after three polls without a word, and connected again when it speaks', () => {
    const now = { t: Date.parse('2026-01-01T00:00:00.000Z') };
    const { r, events } = runner(now);
    r.heard();
    expect(r.connection()).toEqual({ connected: true, lastSeenAt: '2026-01-01T00:00:00.000Z' });
    now.t += 3_500;
    void r.start();
    r.stop();
    expect(events).toEqual([
      expect.objectContaining({
        type: 'ConnectionChanged',
        cluster: 'edge',
        reachable: false,
        error: 'the agent is silent since 2026-01-01T00:00:00.000Z',
      }),
    ]);
    expect(r.connection().connected).toBe(false);
    expect(r.statuses().every((s) => s.stale)).toBe(true);
    r.heard();
    expect(events.at(-1)).toMatchObject({ type: 'ConnectionChanged', reachable: true });
    expect(r.statuses().every((s) => !s.stale)).toBe(true);
  });

  it("hands the agent's events on as a runner's, for its own cluster, and shows the packs it still reports", () => {
    const { r, events } = runner({ t: 0 });
    r.setDesired([desired('web', noRedaction)]);
    const status = advance(packStatus('onboarding'), 'processing', '2026-01-01T00:00:01.000Z');
    r.receive({ type: 'PackStatusChanged', pack: 'web', profile: 'apps', status });
    // A pack this cluster never wanted is not the agent's to write: dropped, stored nowhere.
    r.receive({ type: 'PackStatusChanged', pack: 'intruder', profile: 'apps', status });
    r.receive({ type: 'PackRemoved', pack: 'intruder', time: '2026-01-01T00:00:01.000Z' });
    expect(events).toEqual([
      { type: 'PackStatusChanged', cluster: 'edge', pack: 'web', profile: 'apps', status },
    ]);
    // Nothing desired any more: both are being removed by the agent, shown until it says they are gone.
    r.setDesired([]);
    expect(r.statuses().map((s) => [s.pack, s.status.phase])).toEqual([
      ['old', 'success'],
      ['web', 'processing'],
    ]);
    r.receive({ type: 'PackRemoved', pack: 'old', time: '2026-01-01T00:00:02.000Z' });
    expect(r.statuses().map((s) => s.pack)).toEqual(['web']);
  });

  it("cleans the agent's texts of control characters before anything stores or shows them", () => {
    const { r, events } = runner({ t: 0 });
    r.setDesired([desired('web', noRedaction)]);
    const status = {
      ...packStatus('failed'),
      message: 'image pull failed\u001b[2J\u001b]0;owned\u0007 for web',
    };
    r.receive({ type: 'PackStatusChanged', pack: 'web', profile: 'apps', status });
    expect(events).toMatchObject([{ status: { message: 'image pull failed[2J]0;owned for web' } }]);
  });

  it('keeps at most KEPT_TEXT_MAX characters of any text of an event, marked where it was cut', () => {
    const { r, events } = runner({ t: 0 });
    r.setDesired([desired('web', noRedaction)]);
    // A legitimate field, no unknown one: within the 1 MiB an event may be, and not stored whole.
    const long = `OOMKilled: ${'x'.repeat(900 * 1024)}`;
    const failed = packStatus('failed');
    const status = {
      ...failed,
      message: long,
      resources: failed.resources.map((res) => ({
        ...res,
        evaluation: { ...res.evaluation, message: long },
      })),
    };
    r.receive({ type: 'PackStatusChanged', pack: 'web', profile: 'apps', status });
    r.receive({
      type: 'DriftDetected',
      pack: 'web',
      ref: { apiVersion: 'v1', kind: 'ConfigMap', name: 'web' },
      message: long,
      correcting: false,
      time: '2026-01-01T00:00:01.000Z',
    });
    const texts = JSON.stringify(events).match(/OOMKilled: x*[^"]*/g) ?? [];
    expect(texts).toHaveLength(1 + failed.resources.length + 1);
    for (const text of texts) {
      expect(text).toHaveLength(KEPT_TEXT_MAX);
      expect(text).toMatch(/^OOMKilled: x+…\[\d+ more characters cut by the hub\]$/);
    }
    // What is kept and what the marker counts make the whole text.
    const cut = Number(/\[(\d+)/.exec(texts[0] ?? '')?.[1]);
    expect(texts[0]?.indexOf('…')).toBe(long.length - cut);
    // Short text is handed on as it came, the same objects.
    const short = packStatus('failed');
    r.receive({ type: 'PackStatusChanged', pack: 'web', profile: 'apps', status: short });
    expect(events.at(-1)).toMatchObject({ status: short });
    expect((events.at(-1) as { status: unknown }).status).toBe(short);
  });

  it('takes an event with invisible bidi marks or line separators (an older agent sends them) and drops them', () => {
    const { r, events } = runner({ t: 0 });
    r.setDesired([desired('web', noRedaction)]);
    const message = 'quota\u200F exceeded\u2028 in \u061Cweb\u200E\u2029';
    const batch = {
      stream: randomUUID(),
      events: [
        {
          seq: 1,
          event: {
            type: 'PackStatusChanged',
            pack: 'web',
            profile: 'apps',
            status: { ...packStatus('failed'), message },
          },
        },
      ],
    };
    const parsed = AgentBatchSchema.safeParse(batch);
    expect(parsed.success).toBe(true);
    if (parsed.success) for (const { event } of parsed.data.events) r.receive(event);
    expect(events).toMatchObject([{ status: { message: 'quota exceeded in web' } }]);
  });

  it('turns retry and resync into counters the agent acts on when they grow', async () => {
    const { r } = runner({ t: 0 });
    expect(r.retryPack('web')).toBe(false);
    r.setDesired([
      {
        pack: { name: 'web' } as never,
        profile: { name: 'apps', version: '1.0.0' },
        wave: 1,
        order: 0,
        explanation: '',
        redactor: noRedaction,
      },
    ]);
    expect(r.retryPack('web')).toBe(true);
    r.resync();
    const doc = await r.document();
    expect(doc.actions).toEqual({ resync: 1, retry: { web: 1 } });
    expect(doc.packs.map((p) => p.pack.name)).toEqual(['web']);
  });

  it('counts a change for each pushed event and connection change, and for "last seen" only every 10 s', () => {
    const now = { t: 0 };
    const { r } = runner(now);
    const start = r.changes;
    r.heard();
    expect(r.changes).toBe(start + 1);
    now.t += 500;
    r.heard();
    expect(r.changes).toBe(start + 1);
    r.receive({ type: 'PackRemoved', pack: 'old', time: '2026-01-01T00:00:02.000Z' });
    expect(r.changes).toBe(start + 2);
    now.t += 10_000;
    r.heard();
    expect(r.changes).toBe(start + 3);
  });

  it("serves the agent's warnings and NOTES of a wanted pack as a runner's, and tells the agent its pack's secrets", async () => {
    const { r } = runner({ t: 0 });
    r.setDesired([desired('web', new Redactor(['hunter2-secret']))]);
    const start = r.changes;
    r.receive(details('web', 'Thank you for installing web.'));
    expect(r.changes).toBe(start + 1);
    expect(r.notes('web')).toBe('Thank you for installing web.');
    expect(
      r.recentWarnings({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'apps', name: 'web' }),
    ).toEqual([WARNING]);
    expect(r.recentWarnings({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'apps', name: 'web' })).toEqual(
      [],
    );
    const doc = await r.document();
    expect(doc.packs[0]?.sensitive).toEqual(['hunter2-secret']);
    expect(doc.session).toMatch(/^[0-9a-f-]{36}$/);
    // Replaced by the next report, dropped with the pack.
    r.receive({ type: 'PackDetails', pack: 'web', warnings: [] });
    expect(r.notes('web')).toBeUndefined();
    r.receive(details('web', 'again'));
    r.receive({ type: 'PackRemoved', pack: 'web', time: '2026-01-01T00:00:02.000Z' });
    expect(r.notes('web')).toBeUndefined();
  });

  it("keeps nothing of a pack the cluster does not want, nor past the cluster's bound", () => {
    const { r } = runner({ t: 0 });
    const names = Array.from({ length: 200 }, (_, i) => `p${i}`);
    r.setDesired(names.map((n) => desired(n, noRedaction)));
    r.receive(details('not-mine', 'x'));
    expect(r.notes('not-mine')).toBeUndefined();
    const big = 'n'.repeat(AGENT_DETAIL_LIMITS.notes);
    for (const n of names) r.receive(details(n, big));
    const kept = names.filter((n) => r.notes(n) !== undefined).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept * AGENT_DETAIL_LIMITS.notes).toBeLessThanOrEqual(AGENT_DETAIL_LIMITS.clusterBytes);
    expect(kept).toBeLessThan(names.length);
    // A pack no longer wanted gives its room back.
    r.setDesired([desired('p199', noRedaction)]);
    r.receive(details('p199', big));
    expect(r.notes('p199')).toBe(big);
  });

  it('keeps the details of 16 packs at their longest', () => {
    const { r } = runner({ t: 0 });
    const names = Array.from({ length: 16 }, (_, i) => `p${i}`);
    r.setDesired(names.map((n) => desired(n, noRedaction)));
    // Notes at their longest, and one resource's warnings with messages at theirs.
    const notes = 'n'.repeat(AGENT_DETAIL_LIMITS.notes);
    const message = 'm'.repeat(AGENT_DETAIL_LIMITS.message);
    for (const n of names)
      r.receive({
        ...details(n, notes),
        warnings: [
          {
            ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'apps', name: n },
            events: Array.from({ length: AGENT_DETAIL_LIMITS.events }, () => ({ ...WARNING, message })),
          },
        ],
      });
    expect(names.filter((n) => r.notes(n) === notes)).toEqual(names);
  });

  it('started with a stored "last seen" older than its window, gives the agent the window before calling it silent', () => {
    // A replica taking the cluster over after a failover: the agent last polled the old driver 12 s ago.
    const now = { t: Date.parse('2026-01-01T00:00:12.000Z') };
    const events: RunnerEvent[] = [];
    const r = new AgentRunner({
      cluster: 'edge',
      driftPolicy: 'correct',
      initial: new Map(),
      onEvent: (e) => events.push(e),
      pollSeconds: 1,
      lastSeenAt: '2026-01-01T00:00:00.000Z',
      now: () => now.t,
    });
    void r.start();
    r.stop();
    expect(events).toEqual([]);
    expect(r.connection()).toEqual({ connected: true, lastSeenAt: '2026-01-01T00:00:00.000Z' });
    expect(r.statuses().every((s) => !s.stale)).toBe(true);
    // Still nothing after the window from its own start: now it is silent.
    now.t += 3_500;
    void r.start();
    r.stop();
    expect(events).toEqual([
      expect.objectContaining({
        reachable: false,
        error: 'the agent is silent since 2026-01-01T00:00:00.000Z',
      }),
    ]);
    expect(r.connection().connected).toBe(false);
  });
});

const WARNING = {
  object: 'ReplicaSet apps/web-5d8f',
  reason: 'FailedCreate',
  message: 'pods "web-5d8f-x" is forbidden: exceeded quota: no-pods',
  count: 3,
  time: '2026-01-01T00:00:01Z',
};

function details(pack: string, notes: string): PackDetailsEvent {
  return {
    type: 'PackDetails',
    pack,
    notes,
    warnings: [
      {
        ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'apps', name: pack },
        events: [WARNING],
      },
    ],
  };
}

function desired(name: string, redactor: Redactor): DesiredPack {
  return {
    pack: { name } as never,
    profile: { name: 'apps', version: '1.0.0' },
    wave: 1,
    order: 0,
    explanation: '',
    redactor,
  };
}

describe("an agent's push allowance", () => {
  // Security review 10, item 3: a stolen agent token pushed statuses as fast as the database took them.
  it('lets the agent push a burst of bytes, then at a steady rate, and says how long to wait past it', () => {
    const now = { t: 0 };
    const r = new AgentRunner({
      cluster: 'edge',
      driftPolicy: 'correct',
      initial: new Map(),
      onEvent: () => undefined,
      now: () => now.t,
      pushLimits: { burstBytes: 1000, bytesPerSecond: 100 },
    });
    expect(r.admitPush(600)).toBeUndefined();
    expect(r.admitPush(300)).toBeUndefined();
    // 100 left: 300 more is 2 s away, and a refused push takes nothing.
    expect(r.admitPush(300)).toBe(2);
    expect(r.admitPush(100)).toBeUndefined();
    now.t = 1500;
    expect(r.admitPush(200)).toBe(1);
    expect(r.admitPush(150)).toBeUndefined();
    // Idle, it refills to the burst and no further.
    now.t = 1_000_000;
    expect(r.admitPush(1000)).toBeUndefined();
    expect(r.admitPush(1)).toBe(1);
  });
});
