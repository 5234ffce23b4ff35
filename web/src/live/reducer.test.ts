import { describe, expect, it } from 'vitest';
import { toLiveEvent } from './events';
import { page, pack, status, statusEvent } from './fixtures';
import { applyEvent, fromPage } from './reducer';

const initial = () => fromPage(page([pack('tenant-quotas', { order: 0 }), pack('echo', { order: 1 })]));

describe('the live-update reducer', () => {
  it('updates one pack in place from a pack.status event and leaves the others as they were', () => {
    const state = initial();
    const next = applyEvent(state, statusEvent(7, 'echo', status()));
    expect(next).not.toBe(state);
    expect(next.packs.map((p) => p.name)).toEqual(['tenant-quotas', 'echo']);
    expect(next.packs[0]).toBe(state.packs[0]);
    expect(next.packs[1]).toMatchObject({
      phase: 'processing',
      color: 'blue',
      icon: '◐',
      label: 'Processing',
      progress: { ready: 1, total: 3 },
      startTime: '2026-01-01T00:00:10.000Z',
      resources: [{ state: 'Progressing', message: '0/2 available' }],
    });
    expect(next.cluster.phase).toBe('processing');
    expect(next.cluster.counts).toEqual({ onboarding: 1, processing: 1, success: 0, failed: 0 });
  });

  it('ignores events of another cluster (same reference)', () => {
    const state = initial();
    expect(applyEvent(state, statusEvent(7, 'echo', status(), 'other'))).toBe(state);
  });

  it('returns the same reference when the status shows nothing new', () => {
    const once = applyEvent(initial(), statusEvent(7, 'echo', status()));
    expect(applyEvent(once, statusEvent(8, 'echo', status()))).toBe(once);
    expect(applyEvent(once, { kind: 'other' })).toBe(once);
  });

  it('ignores an older event that arrives after a newer one for the same pack', () => {
    const green = status({
      phase: 'success',
      condition: 'Ready',
      message: '',
      progress: { ready: 3, total: 3 },
    });
    const newer = applyEvent(initial(), statusEvent(9, 'echo', green));
    expect(applyEvent(newer, statusEvent(8, 'echo', status()))).toBe(newer);
    expect(newer.packs[1]?.phase).toBe('success');
  });

  it('removes a pack on pack.removed, keeping the order of the rest', () => {
    const state = initial();
    const next = applyEvent(state, { kind: 'pack.removed', id: 3, cluster: 'local', pack: 'tenant-quotas' });
    expect(next.packs.map((p) => p.name)).toEqual(['echo']);
    expect(next.cluster.packs).toBe(1);
    expect(applyEvent(next, { kind: 'pack.removed', id: 4, cluster: 'local', pack: 'tenant-quotas' })).toBe(
      next,
    );
  });

  it('marks colours stale while the cluster is unreachable and fresh again when it is back', () => {
    const down = applyEvent(initial(), {
      kind: 'cluster.connection',
      cluster: 'local',
      reachable: false,
      error: 'connect ECONNREFUSED',
    });
    expect(down.cluster).toMatchObject({ reachable: false, error: 'connect ECONNREFUSED' });
    expect(down.packs.every((p) => p.stale)).toBe(true);
    const up = applyEvent(down, { kind: 'cluster.connection', cluster: 'local', reachable: true });
    expect(up.cluster.reachable).toBe(true);
    expect(up.cluster.error).toBeUndefined();
    expect(up.packs.every((p) => !p.stale)).toBe(true);
    expect(applyEvent(up, { kind: 'cluster.connection', cluster: 'local', reachable: true })).toBe(up);
  });

  it('asks for the page again when a pack it does not know reports', () => {
    const next = applyEvent(initial(), statusEvent(5, 'new-pack', status()));
    expect(next.needsReload).toBe(true);
    expect(next.packs.map((p) => p.name)).toEqual(['tenant-quotas', 'echo']);
  });

  it('reads stream messages as the server sends them', () => {
    const event = toLiveEvent({
      id: 12,
      kind: 'pack.status',
      cluster: 'local',
      pack: 'echo',
      time: '2026-01-01T00:00:11.000Z',
      data: { pack: 'echo', status: status() },
    });
    expect(event).toMatchObject({ kind: 'pack.status', id: 12, pack: 'echo' });
    expect(toLiveEvent({ kind: 'pack.status', cluster: 'local', time: 'x', data: {} })).toEqual({
      kind: 'other',
    });
    expect(toLiveEvent({ kind: 'pack.drift', cluster: 'local', time: 'x', data: {} })).toEqual({
      kind: 'other',
    });
  });

  it('puts the newest drift on its pack, and only on that pack', () => {
    const state = initial();
    const drift = (time: string, message: string) =>
      toLiveEvent({
        kind: 'pack.drift',
        cluster: 'local',
        pack: 'echo',
        time,
        data: { message, correcting: true },
      });
    const first = applyEvent(
      state,
      drift('2026-01-01T00:01:00.000Z', 'drift: Deployment tenant-a/echo deleted'),
    );
    const echo = first.packs.find((p) => p.name === 'echo');
    expect(echo?.lastDrift).toEqual({
      time: '2026-01-01T00:01:00.000Z',
      message: 'drift: Deployment tenant-a/echo deleted',
      correcting: true,
    });
    // The other pack keeps its identity, so its row does not re-render.
    expect(first.packs[0]).toBe(state.packs[0]);
    // An older drift arriving late changes nothing; a newer one replaces it.
    expect(applyEvent(first, drift('2026-01-01T00:00:30.000Z', 'drift: older'))).toBe(first);
    const later = applyEvent(
      first,
      drift('2026-01-01T00:02:00.000Z', 'drift: Service tenant-a/echo changed'),
    );
    expect(later.packs.find((p) => p.name === 'echo')?.lastDrift?.message).toBe(
      'drift: Service tenant-a/echo changed',
    );
    // A status event keeps the drift note.
    const after = applyEvent(later, statusEvent(9, 'echo', status()));
    expect(after.packs[1]?.phase).toBe('processing');
    expect(after.packs[1]?.lastDrift?.message).toBe('drift: Service tenant-a/echo changed');
  });
});
