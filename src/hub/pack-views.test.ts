import { describe, expect, it } from 'vitest';
import { desiredManifestPack } from '../engine/testing/packs.js';
import { ResourceState, initialPackStatus, reducePackStatus } from '../status/index.js';
import { PackViews } from './pack-views.js';
import { packView } from './present.js';

const desired = desiredManifestPack();

describe('PackViews', () => {
  it('keeps a pack view while its status is the same object, and shows a changed status at once', () => {
    const views = new PackViews();
    const queued = initialPackStatus({ revision: '', stage: { type: 'Queued' } });
    const first = views.view(desired, queued, false, undefined);
    expect(first).toEqual(packView(desired, queued, false));
    expect(views.view(desired, queued, false, undefined)).toBe(first);

    const applying = reducePackStatus(queued, {
      type: 'StageChanged',
      time: '2026-12-06T06:00:00.000Z',
      stage: { type: 'Applying' },
    });
    const changed = views.view(desired, applying, false, undefined);
    expect(changed).toEqual(packView(desired, applying, false));
    expect(changed.phase).toBe('processing');
    // Unreachable cluster or new drift: the same status shows differently.
    expect(views.view(desired, applying, true, undefined).stale).toBe(true);
    const drift = {
      time: '2026-12-06T06:00:01.000Z',
      message: 'drift: ConfigMap apps/web deleted',
      correcting: true,
    };
    expect(views.view(desired, applying, true, drift).lastDrift).toEqual(drift);
  });

  it("builds the view again when its resources' recent Warning events change, the status being the same", () => {
    const views = new PackViews();
    const status = initialPackStatus({
      revision: 'r1',
      stage: { type: 'Applied' },
      resources: [
        {
          ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'apps', name: 'web' },
          evaluation: { state: ResourceState.Progressing, reason: 'x', message: 'y' },
        },
      ],
    });
    const first = views.view(desired, status, false, undefined, () => []);
    expect(views.view(desired, status, false, undefined, () => [])).toBe(first);
    const warning = {
      object: 'ConfigMap apps/web',
      reason: 'FailedMount',
      message: 'volume missing',
      count: 1,
    };
    const warned = views.view(desired, status, false, undefined, () => [warning]);
    expect(warned).not.toBe(first);
    expect(warned.resources[0]).toMatchObject({ events: [{ reason: 'FailedMount' }] });
  });

  it('returns the same page object while nothing on it changed, and the new page once something did', () => {
    const views = new PackViews();
    const status = initialPackStatus({ revision: '', stage: { type: 'Queued' } });
    const cluster = {
      name: 'c',
      server: 'https://c',
      context: 'c',
      driftPolicy: 'correct' as const,
      createdAt: '2026-12-06T06:00:00.000Z',
      reachable: true,
      phase: 'onboarding' as const,
      counts: { onboarding: 1, processing: 0, success: 0, failed: 0 },
      packs: 1,
      attention: [],
    };
    const page = () => ({ cluster, attachments: [], packs: [views.view(desired, status, false, undefined)] });
    const first = views.samePage('c', page());
    expect(views.samePage('c', page())).toBe(first);
    const unreachable = { ...page(), cluster: { ...cluster, reachable: false } };
    expect(views.samePage('c', unreachable)).toBe(unreachable);
    const applying = reducePackStatus(status, {
      type: 'StageChanged',
      time: cluster.createdAt,
      stage: { type: 'Applying' },
    });
    const changed = { ...unreachable, packs: [views.view(desired, applying, false, undefined)] };
    expect(views.samePage('c', changed)).toBe(changed);
  });
});

describe('a status the page cannot show', () => {
  it('shows the pack as unreadable, naming why, instead of failing the page', () => {
    const views = new PackViews();
    // What a hostile agent pushed before the agent routes checked the whole shape: no progress, no condition,
    // a resource without its evaluation.
    const malformed = {
      phase: 'processing',
      revision: 'r1',
      operation: 'install',
      reason: 'X',
      message: 'm',
      stage: { type: 'Queued' },
      resources: [{ ref: { apiVersion: 'v1', kind: 'ConfigMap', name: 'cfg', namespace: 'default' } }],
      transitions: [],
    } as unknown as Parameters<PackViews['view']>[1];
    const view = views.view(desired, malformed, false, undefined);
    expect(view.name).toBe('web');
    expect(view.reason).toBe('StatusUnreadable');
    expect(view.message).toMatch(/^the status reported for this pack cannot be shown \(.+\)$/);
    expect(views.view(desired, malformed, false, undefined)).toBe(view);
  });
});
