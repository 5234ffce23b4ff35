// The kept Cluster Profile page (issue 15, "Fast reads"): a read while nothing changed reads nothing from the store
// and builds nothing; any change a page shows (a runner change, an event about the cluster, a profile
// published) makes the next read build it again.
import { describe, expect, it, vi } from 'vitest';
import { desiredManifestPack } from '../engine/testing/packs.js';
import { initialPackStatus, reducePackStatus, type PackStatus } from '../status/index.js';
import type { Store } from '../store/index.js';
import type { ClusterAccess } from './access.js';
import type { Attachments } from './attachments.js';
import { Clusters } from './clusters.js';
import type { HubEvent } from './feed.js';
import type { ClusterRuntime, Fleet } from './fleet.js';
import { Kept, ReadVersions, sameVersion } from './kept-reads.js';
import { Packs } from './packs.js';
import type { AttachmentView, ClusterView } from './views.js';

const desired = desiredManifestPack();

const clusterView = (reachable: boolean): ClusterView => ({
  name: 'c',
  server: 'https://c',
  context: 'c',
  driftPolicy: 'correct',
  createdAt: '2026-12-06T06:00:00.000Z',
  reachable,
  phase: 'onboarding',
  counts: { onboarding: 1, processing: 0, success: 0, failed: 0 },
  packs: 1,
  attention: [],
});

const attachment = (version: string): AttachmentView => ({
  cluster: 'c',
  profile: 'apps',
  version,
  values: {},
  sensitive: [],
  createdAt: '2026-12-06T06:00:00.000Z',
  updatedAt: '2026-12-06T06:00:00.000Z',
});

/** A hub's worth of fakes around one cluster `c`: its runner's status, its attachments, the event stream. */
function setup() {
  let status: PackStatus = initialPackStatus({ revision: '', stage: { type: 'Queued' } });
  let attachments = [attachment('1.0.0')];
  const listeners = new Set<(event: HubEvent) => void>();
  const runner = {
    changes: 0,
    statuses: () => [{ pack: 'web', profile: 'apps', order: 0, status, stale: false }],
    recentWarnings: () => [],
  };
  const runtime = {
    record: { name: 'c' },
    runner,
    reachable: true,
    known: new Map([['web', desired]]),
    drift: new Map(),
  } as unknown as ClusterRuntime;
  const fleet = {
    runtime: () => runtime,
    clusterView: () => Promise.resolve(clusterView(runtime.reachable)),
  } as unknown as Fleet;
  const list = vi.fn(() => Promise.resolve(attachments));
  const versions = new ReadVersions((listener) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  });
  const packs = new Packs({} as Store, fleet, { list } as unknown as Attachments, versions);
  return {
    packs,
    list,
    runtime,
    emit: (event: HubEvent) => {
      for (const listener of listeners) listener(event);
    },
    /** What the runner does on a report: a new status, and its change count grows. */
    setStatus: (next: PackStatus) => {
      status = next;
      runner.changes++;
    },
    status: () => status,
    setAttachments: (next: AttachmentView[]) => {
      attachments = next;
    },
  };
}

const time = '2026-12-06T06:00:00.000Z';

describe('the kept Cluster Profile page', () => {
  it('serves the same page object with no store read while nothing changed', async () => {
    const hub = setup();
    const first = await hub.packs.clusterPage('c');
    const [second, third] = await Promise.all([hub.packs.clusterPage('c'), hub.packs.clusterPage('c')]);
    expect(second).toBe(first);
    expect(third).toBe(first);
    expect(hub.list).toHaveBeenCalledTimes(1);
  });

  it('shows a status the runner reported at the next read, before the store has it', async () => {
    const hub = setup();
    await hub.packs.clusterPage('c');
    hub.setStatus(
      reducePackStatus(hub.status(), { type: 'StageChanged', time, stage: { type: 'Applying' } }),
    );
    const page = await hub.packs.clusterPage('c');
    expect(page.packs[0]?.phase).toBe('processing');
  });

  it('builds the page again after an event about its cluster, not after one about another cluster', async () => {
    const hub = setup();
    const first = await hub.packs.clusterPage('c');
    hub.emit({
      kind: 'cluster.summary',
      cluster: 'other',
      time,
      data: { ...clusterView(true), color: 'gray' },
    });
    expect(await hub.packs.clusterPage('c')).toBe(first);
    hub.setAttachments([attachment('2.0.0')]);
    hub.emit({ kind: 'attachment.changed', cluster: 'c', time, data: attachment('2.0.0') });
    const page = await hub.packs.clusterPage('c');
    expect(page.attachments.map((a) => a.version)).toEqual(['2.0.0']);
    expect(hub.list).toHaveBeenCalledTimes(2);
  });

  it('builds the page again after a profile was published (update available) and after a connection change', async () => {
    const hub = setup();
    const first = await hub.packs.clusterPage('c');
    hub.setAttachments([{ ...attachment('1.0.0'), updateAvailable: '1.1.0' }]);
    hub.emit({
      kind: 'profile.published',
      time,
      data: {} as Extract<HubEvent, { kind: 'profile.published' }>['data'],
    });
    const published = await hub.packs.clusterPage('c');
    expect(published).not.toBe(first);
    expect(published.attachments[0]?.updateAvailable).toBe('1.1.0');
    hub.runtime.reachable = false;
    expect((await hub.packs.clusterPage('c')).cluster.reachable).toBe(false);
  });

  it('does not keep a page whose build failed', async () => {
    const hub = setup();
    hub.list.mockRejectedValueOnce(new Error('database is locked'));
    await expect(hub.packs.clusterPage('c')).rejects.toThrow('database is locked');
    expect((await hub.packs.clusterPage('c')).attachments).toHaveLength(1);
  });
});

describe('Kept', () => {
  it('keeps an answer per key for its version and shares a build under way', async () => {
    const kept = new Kept<number>();
    let builds = 0;
    const build = () => Promise.resolve(++builds);
    const [a, b] = await Promise.all([kept.get('k', [1], build), kept.get('k', [1], build)]);
    expect([a, b, builds]).toEqual([1, 1, 1]);
    expect(await kept.get('other', [1], build)).toBe(2);
    expect(await kept.get('k', [2], build)).toBe(3);
    kept.forget('k');
    expect(await kept.get('k', [2], build)).toBe(4);
  });

  it('gives a built answer without a promise while its version holds, none while it builds or failed', async () => {
    const kept = new Kept<string>();
    let finish: (value: string) => void = () => undefined;
    const building = kept.get('k', [1], () => new Promise((resolve) => (finish = resolve)));
    expect(kept.built('k', [1])).toBeUndefined();
    finish('page');
    await building;
    expect(kept.built('k', [1])).toEqual({ value: 'page' });
    expect(kept.built('k', [2])).toBeUndefined();
    expect(kept.built('other', [1])).toBeUndefined();
    await expect(kept.get('k', [2], () => Promise.reject(new Error('store down')))).rejects.toThrow(
      'store down',
    );
    expect(kept.built('k', [2])).toBeUndefined();
    expect(kept.built('k', [1])).toBeUndefined();
  });

  it('compares versions element by element, by identity', () => {
    const o = {};
    expect(sameVersion([o, 1, undefined], [o, 1, undefined])).toBe(true);
    expect(sameVersion([o, 1], [{}, 1])).toBe(false);
    expect(sameVersion([1], [1, 2])).toBe(false);
  });
});

describe('the kept cluster list', () => {
  it('reads the store once while nothing changed, and again after a runner change or any event', async () => {
    const runner = { changes: 0 };
    const runtime = { record: { name: 'c' }, runner, reachable: true } as unknown as ClusterRuntime;
    const fleet = {
      clusters: () => ['c'],
      runtime: () => runtime,
      clusterView: () => Promise.resolve(clusterView(runtime.reachable)),
    } as unknown as Fleet;
    const records = vi.fn(() => Promise.resolve([{ name: 'c' }]));
    const listeners = new Set<(event: HubEvent) => void>();
    const versions = new ReadVersions((listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    });
    const clusters = new Clusters(
      { clusters: { list: records } } as unknown as Store,
      {} as ClusterAccess,
      fleet,
      versions,
    );
    const first = await clusters.list();
    expect(await clusters.list()).toBe(first);
    expect(records).toHaveBeenCalledTimes(1);
    runner.changes++;
    expect(await clusters.list()).not.toBe(first);
    const second = await clusters.list();
    for (const listener of listeners)
      listener({ kind: 'cluster.registered', id: 9, cluster: 'd', time, data: {} });
    expect(await clusters.list()).not.toBe(second);
    expect(records).toHaveBeenCalledTimes(3);
  });
});
