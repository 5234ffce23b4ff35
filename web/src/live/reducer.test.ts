import { describe, expect, it } from 'vitest';
import type { AttachmentView, ClusterView, StreamEvent } from '../api/types';
import { applyClusterEvent } from './clusters';
import { installing, page, pack, statusEvent } from './fixtures';
import { applyEvent, fromPage } from './reducer';

const initial = () => fromPage(page([pack('tenant-quotas', { order: 0 }), pack('echo', { order: 1 })]));
const time = '2026-01-01T00:00:12.000Z';

function summary(over: Partial<ClusterView> = {}): StreamEvent {
  const data: ClusterView = { ...initial().cluster, ...over };
  return { kind: 'cluster.summary', cluster: data.name, time, data };
}

function attachment(over: Partial<AttachmentView> = {}): AttachmentView {
  return { cluster: 'local', profile: 'platform-tools', version: '1.0.0', values: {}, ...over };
}

describe('the live-update reducer', () => {
  it("replaces a pack by name with the hub's view, leaving the others and the cluster as they were", () => {
    const state = initial();
    const view = installing('echo', { order: 1 });
    const next = applyEvent(state, statusEvent(7, view));
    expect(next.packs.map((p) => p.name)).toEqual(['tenant-quotas', 'echo']);
    expect(next.packs[0]).toBe(state.packs[0]);
    expect(next.packs[1]).toBe(view);
    // The rollup is the hub's to send (cluster.summary): nothing here recounts it.
    expect(next.cluster).toBe(state.cluster);
  });

  it('takes colour, icon and label from the view as sent, even ones it has never seen', () => {
    // Were the reducer to look the phase up in a table of its own, this made-up icon would be replaced.
    const view = installing('echo', { order: 1, icon: '⧗', label: 'Processing (slow)' });
    const next = applyEvent(initial(), statusEvent(7, view));
    expect(next.packs[1]).toMatchObject({ icon: '⧗', label: 'Processing (slow)', color: 'blue' });
  });

  it("replaces the cluster's colour and counts with the hub's summary, and only when they changed", () => {
    const state = initial();
    const red = summary({
      phase: 'failed',
      color: 'red',
      counts: { onboarding: 1, processing: 0, success: 0, failed: 1 },
    });
    const next = applyEvent(state, red);
    expect(next.cluster).toMatchObject({ phase: 'failed', color: 'red', counts: { failed: 1 } });
    expect(next.packs).toBe(state.packs);
    expect(applyEvent(next, red)).toBe(next);
    expect(
      applyEvent(state, { ...red, cluster: 'other', data: { ...red.data, name: 'other' } } as StreamEvent),
    ).toBe(state);
  });

  it('ignores events of another cluster (same reference)', () => {
    const state = initial();
    expect(applyEvent(state, statusEvent(7, installing('echo', { order: 1 }), 'other'))).toBe(state);
  });

  it('keeps every pack object when a status shows nothing new', () => {
    const once = applyEvent(initial(), statusEvent(7, installing('echo', { order: 1 })));
    const twice = applyEvent(once, statusEvent(8, installing('echo', { order: 1 })));
    expect(twice.packs).toBe(once.packs);
    expect(twice.cluster).toBe(once.cluster);
  });

  it('ignores an older event that arrives after a newer one for the same pack', () => {
    const green = installing('echo', {
      order: 1,
      phase: 'success',
      color: 'green',
      icon: '✓',
      label: 'Success',
    });
    const newer = applyEvent(initial(), statusEvent(9, green));
    expect(applyEvent(newer, statusEvent(8, installing('echo', { order: 1 })))).toBe(newer);
    expect(newer.packs[1]?.phase).toBe('success');
  });

  it('removes a pack on pack.removed, keeping the order of the rest', () => {
    const state = initial();
    const removed: StreamEvent = {
      id: 3,
      kind: 'pack.removed',
      cluster: 'local',
      pack: 'tenant-quotas',
      time,
      data: {},
    };
    const next = applyEvent(state, removed);
    expect(next.packs.map((p) => p.name)).toEqual(['echo']);
    expect(applyEvent(next, { ...removed, id: 4 })).toBe(next);
  });

  it('marks colours stale while the cluster is unreachable and fresh again when it is back', () => {
    const connection = (reachable: boolean, error?: string): StreamEvent => ({
      kind: 'cluster.connection',
      cluster: 'local',
      time,
      data: { reachable, ...(error === undefined ? {} : { error }) },
    });
    const down = applyEvent(initial(), connection(false, 'connect ECONNREFUSED'));
    expect(down.cluster).toMatchObject({ reachable: false, error: 'connect ECONNREFUSED' });
    expect(down.packs.every((p) => p.stale)).toBe(true);
    const up = applyEvent(down, connection(true));
    expect(up.cluster.reachable).toBe(true);
    expect(up.cluster.error).toBeUndefined();
    expect(up.packs.every((p) => !p.stale)).toBe(true);
    expect(applyEvent(up, connection(true))).toBe(up);
  });

  it('marks every badge last known when the hub is lost, and keeps them until the hub sends views again', () => {
    const state = initial();
    const lost = applyEvent(state, { kind: 'hub.connection', connected: false, since: time });
    expect(lost.hubDownSince).toBe(time);
    expect(lost.packs.every((p) => p.stale)).toBe(true);
    // Still down: the first drop's time stays.
    expect(
      applyEvent(lost, { kind: 'hub.connection', connected: false, since: '2026-01-01T00:09:00.000Z' }),
    ).toBe(lost);
    const back = applyEvent(lost, { kind: 'hub.connection', connected: true });
    expect(back.hubDownSince).toBeUndefined();
    // A replayed status is the hub's view again: fresh.
    const replayed = applyEvent(back, statusEvent(12, installing('echo', { order: 1 })));
    expect(replayed.packs[1]?.stale).toBe(false);
  });

  it('asks for the page again when a pack it does not know reports, but not for a pack the hub no longer places', () => {
    const next = applyEvent(initial(), statusEvent(5, installing('new-pack', { order: 2 })));
    expect(next.needsReload).toBe(true);
    expect(next.packs.map((p) => p.name)).toEqual(['tenant-quotas', 'echo']);
    const state = initial();
    expect(applyEvent(state, statusEvent(6, installing('gone', { order: -1 })))).toBe(state);
  });

  it('reads the page again when the hub says statuses it resumed past were deleted (history.pruned)', () => {
    const pruned: StreamEvent = { id: 40, kind: 'history.pruned', time, data: { lastEventId: 12 } };
    const state = initial();
    const next = applyEvent(state, pruned);
    expect(next.needsReload).toBe(true);
    expect(next.packs).toBe(state.packs);
    expect(applyEvent(next, pruned)).toBe(next);
    // The overview's rows come from summaries, which retention never deletes: nothing to read again.
    const list = { clusters: [initial().cluster] };
    expect(applyClusterEvent(list, pruned)).toBe(list);
  });

  it('shows a new version of an attached profile ("Update available") and attachments added or removed', () => {
    const state = { ...initial(), attachments: [attachment()] };
    const update: StreamEvent = {
      kind: 'attachment.changed',
      cluster: 'local',
      time,
      data: attachment({ updateAvailable: '1.1.0' }),
    };
    const next = applyEvent(state, update);
    expect(next.attachments).toEqual([attachment({ updateAvailable: '1.1.0' })]);
    expect(applyEvent(next, update)).toBe(next);
    const added = applyEvent(next, { ...update, data: attachment({ profile: 'monitoring' }) });
    expect(added.attachments.map((a) => a.profile)).toEqual(['platform-tools', 'monitoring']);
    const removed = applyEvent(added, {
      kind: 'attachment.removed',
      cluster: 'local',
      time,
      data: { profile: 'platform-tools' },
    });
    expect(removed.attachments.map((a) => a.profile)).toEqual(['monitoring']);
    // Another cluster's attachment is not this page's.
    expect(applyEvent(removed, { ...update, cluster: 'other' })).toBe(removed);
  });

  it('puts the newest drift on its pack, and only on that pack', () => {
    const state = initial();
    const drift = (at: string, message: string): StreamEvent => ({
      kind: 'pack.drift',
      cluster: 'local',
      pack: 'echo',
      time: at,
      data: { time: at, message, correcting: true },
    });
    const first = applyEvent(
      state,
      drift('2026-01-01T00:01:00.000Z', 'drift: Deployment tenant-a/echo deleted'),
    );
    expect(first.packs.find((p) => p.name === 'echo')?.lastDrift).toEqual({
      time: '2026-01-01T00:01:00.000Z',
      message: 'drift: Deployment tenant-a/echo deleted',
      correcting: true,
    });
    expect(first.packs[0]).toBe(state.packs[0]);
    expect(applyEvent(first, drift('2026-01-01T00:00:30.000Z', 'drift: older'))).toBe(first);
  });
});

describe('the overview list', () => {
  const cluster = (name: string, over: Partial<ClusterView> = {}): ClusterView => ({
    ...initial().cluster,
    name,
    ...over,
  });

  it("replaces a cluster by name with the hub's summary, adds a new one in name order and drops a removed one", () => {
    const state = { clusters: [cluster('a'), cluster('c')] };
    const red = cluster('c', { phase: 'failed', color: 'red' });
    const next = applyClusterEvent(state, { kind: 'cluster.summary', cluster: 'c', time, data: red });
    expect(next.clusters?.[1]).toBe(red);
    expect(next.clusters?.[0]).toBe(state.clusters[0]);
    const added = applyClusterEvent(next, {
      kind: 'cluster.summary',
      cluster: 'b',
      time,
      data: cluster('b'),
    });
    expect(added.clusters?.map((c) => c.name)).toEqual(['a', 'b', 'c']);
    const removed = applyClusterEvent(added, {
      id: 9,
      kind: 'cluster.removed',
      cluster: 'a',
      time,
      data: {},
    });
    expect(removed.clusters?.map((c) => c.name)).toEqual(['b', 'c']);
  });

  it('says when the hub is lost and forgets it when it is back', () => {
    const state = { clusters: [cluster('a')] };
    const lost = applyClusterEvent(state, { kind: 'hub.connection', connected: false, since: time });
    expect(lost.hubDownSince).toBe(time);
    expect(applyClusterEvent(lost, { kind: 'hub.connection', connected: false })).toBe(lost);
    expect(applyClusterEvent(lost, { kind: 'hub.connection', connected: true }).hubDownSince).toBeUndefined();
  });
});
