import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../api/types';
import { pack, statusEvent } from '../live/fixtures';
import { applyProfileEvent, noRevisions, revisionOf } from './profile-changes';

const time = '2026-01-01T00:00:10.000Z';

const published = (name: string, version: string): StreamEvent => ({
  kind: 'profile.published',
  time,
  data: { name, version, type: 'add-on', published: true, createdAt: time, packs: 2 },
});

const attached = (profile: string): StreamEvent => ({
  kind: 'attachment.changed',
  cluster: 'local',
  time,
  data: { cluster: 'local', profile, version: '1.0.0', values: {} },
});

describe('what the Profiles page fetches again', () => {
  it('fetches a profile and the list again when a version of it is published, not the other profiles', () => {
    const next = applyProfileEvent(noRevisions, published('monitoring', '1.1.0'));
    expect(revisionOf(next, 'monitoring')).not.toBe(revisionOf(noRevisions, 'monitoring'));
    expect(revisionOf(next, 'platform-tools')).toBe(revisionOf(noRevisions, 'platform-tools'));
    expect(next.list).toBe(noRevisions.list + 1);
  });

  it("fetches a profile again when one of its attachments is added, changed or removed ('Attached to')", () => {
    const changed = applyProfileEvent(noRevisions, attached('monitoring'));
    expect(revisionOf(changed, 'monitoring')).not.toBe(revisionOf(noRevisions, 'monitoring'));
    expect(changed.list).toBe(noRevisions.list);
    const removed = applyProfileEvent(changed, {
      kind: 'attachment.removed',
      cluster: 'local',
      time,
      data: { profile: 'monitoring' },
    });
    expect(revisionOf(removed, 'monitoring')).not.toBe(revisionOf(changed, 'monitoring'));
  });

  it('fetches every profile again when a cluster is removed (its attachments go with it)', () => {
    const next = applyProfileEvent(noRevisions, {
      kind: 'cluster.removed',
      id: 3,
      cluster: 'c',
      time,
      data: {},
    });
    expect(revisionOf(next, 'anything')).not.toBe(revisionOf(noRevisions, 'anything'));
  });

  it('ignores pack and cluster status events: the same state, nothing fetched', () => {
    expect(applyProfileEvent(noRevisions, statusEvent(1, pack('echo')))).toBe(noRevisions);
  });

  it('says the hub is unreachable, and fetches everything again when it is back (profile events are not replayed)', () => {
    const since = '2026-01-01T00:01:00.000Z';
    const down = applyProfileEvent(noRevisions, { kind: 'hub.connection', connected: false, since });
    expect(down.hubDownSince).toBe(since);
    expect(applyProfileEvent(down, { kind: 'hub.connection', connected: false })).toBe(down);
    const back = applyProfileEvent(down, { kind: 'hub.connection', connected: true });
    expect(back.hubDownSince).toBeUndefined();
    expect(revisionOf(back, 'monitoring')).not.toBe(revisionOf(down, 'monitoring'));
    expect(back.list).toBe(down.list + 1);
  });
});
