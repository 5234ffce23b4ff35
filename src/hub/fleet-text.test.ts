// What a cluster, a proxy or the network says when a runner cannot reach its cluster, and why a cluster did not
// start, reaches every viewer (cluster.connection events, the cluster view): shown without terminal control and
// without a URL's user-info (kube/shown-url.ts shownKubeText), whatever the runner passed on.
import { describe, expect, it } from 'vitest';
import type { DesiredPack } from '../engine/index.js';
import { desiredManifestPack } from '../engine/testing/packs.js';
import { KubeError, KubeErrorCode, WatchBudget, type KubeClient } from '../kube/index.js';
import { FakeKube } from '../kube/testing/fake-kube.js';
import { Redactor } from '../profile/index.js';
import { cutText } from '../shared/kept-text.js';
import type { ClusterRecord, Store } from '../store/index.js';
import type { ClusterAccess } from './access.js';
import type { HubEvent } from './feed.js';
import { DRIFT_MESSAGE_MAX, Fleet } from './fleet.js';
import type { Planner } from './planner.js';

/** What a hostile API server or proxy could put in an error: an OSC 52 clipboard write, a clear, user-info. */
const HOSTILE =
  'connect ECONNREFUSED via http://proxyuser:Pr0xy/S3cret@10.9.9.9:3128 \u001b]52;c;ZXZpbA==\u0007\u001b[2J\u202eevil';

const desired = desiredManifestPack({
  pack: { manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web' }, data: { a: 'b' } }] },
});

const record: ClusterRecord = {
  id: 'c-1',
  name: 'c',
  driftPolicy: 'correct',
  createdAt: '2026-12-06T06:00:00.000Z',
} as unknown as ClusterRecord;

/** A fleet over fakes: a FakeKube as the cluster, a store holding nothing, a planner giving `plan`. */
function fleetWith(
  kube: FakeKube,
  options: { refuse?: string; desired?: DesiredPack; watchBudget?: WatchBudget } = {},
) {
  const events: HubEvent[] = [];
  const audits: unknown[] = [];
  const store = {
    agents: { get: () => Promise.resolve(undefined) },
    clusters: {
      getCredentials: () => Promise.resolve({ kubeconfig: '' }),
      get: () => Promise.resolve(record),
    },
    packStatus: { list: () => Promise.resolve([]) },
    history: { transitions: () => Promise.resolve([]) },
    audit: { record: (entry: unknown) => Promise.resolve(void audits.push(entry)) },
  } as unknown as Store;
  const access = {
    // A KubeClient the fleet closes when the cluster stops.
    client: () => Object.assign(kube, { close: () => Promise.resolve() }) as unknown as KubeClient,
    checkOutbound: () =>
      options.refuse === undefined
        ? Promise.resolve()
        : Promise.reject(new KubeError(KubeErrorCode.BadKubeconfig, options.refuse)),
    storedRefusal: (_name: string, error: unknown) => `refused (${(error as Error).message})`,
  } as unknown as ClusterAccess;
  const planner = {
    plan: () => Promise.resolve({ desired: [options.desired ?? desired] }),
    keep: () => undefined,
    forget: () => undefined,
  } as unknown as Planner;
  const fleet = new Fleet({
    store,
    helmBin: 'helm',
    access,
    planner,
    emit: (event) => events.push(event),
    log: () => undefined,
    ...(options.watchBudget ? { watchBudget: options.watchBudget } : {}),
  });
  return { fleet, events, audits };
}

function expectShown(text: string | undefined): void {
  expect(text).toBeDefined();
  expect(text).toContain('ECONNREFUSED via http://***@10.9.9.9:3128');
  expect(text).not.toMatch(/Pr0xy|S3cret|proxyuser/);
  // eslint-disable-next-line no-control-regex -- looking for control characters is the point
  expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/u);
}

describe('cluster text a viewer reads', () => {
  it('cleans a runner connection error in the cluster.connection event and the cluster view', async () => {
    const kube = new FakeKube();
    kube.react((action) => {
      if (action.verb === 'list') throw new KubeError(KubeErrorCode.Unreachable, HOSTILE);
    });
    const { fleet, events } = fleetWith(kube);
    await fleet.start(record);
    try {
      await expect
        .poll(() => events.find((e) => e.kind === 'cluster.connection'), { timeout: 5000 })
        .toBeDefined();
      const event = events.find((e) => e.kind === 'cluster.connection');
      expectShown((event?.data as { error?: string }).error);
      expectShown((await fleet.clusterView(record)).error);
    } finally {
      await fleet.close();
    }
  });

  it('cleans what a drift report quotes from the cluster, in the live view and the audit record', async () => {
    const kube = new FakeKube();
    const { fleet, events, audits } = fleetWith(kube);
    await fleet.start(record);
    try {
      const runtime = fleet.runtime(record.name);
      (fleet as unknown as { onRunnerEvent: (r: unknown, e: unknown) => void }).onRunnerEvent(runtime, {
        type: 'DriftDetected',
        pack: desired.pack.name,
        time: '2026-12-07T03:00:00.000Z',
        message: `drift: ConfigMap web changed by ${HOSTILE}`,
        correcting: true,
      });
      const drift = events.find((e) => e.kind === 'pack.drift');
      expectShown((drift?.data as { message?: string }).message);
      await expect.poll(() => audits.length).toBe(1);
      expectShown((audits[0] as { details: { message: string } }).details.message);
    } finally {
      await fleet.close();
    }
  });

  it('cuts a long drift report as every cluster text is cut, its marker counting what the cluster said', async () => {
    const kube = new FakeKube();
    const { fleet, events } = fleetWith(kube);
    await fleet.start(record);
    try {
      const message = `drift: ConfigMap web changed by ${'m'.repeat(50_000)}`;
      (fleet as unknown as { onRunnerEvent: (r: unknown, e: unknown) => void }).onRunnerEvent(
        fleet.runtime(record.name),
        {
          type: 'DriftDetected',
          pack: desired.pack.name,
          time: '2026-12-07T03:00:00.000Z',
          message,
          correcting: true,
        },
      );
      const shown = (events.find((e) => e.kind === 'pack.drift')?.data as { message?: string }).message;
      expect(shown).toHaveLength(DRIFT_MESSAGE_MAX);
      expect(shown).toBe(cutText(message, DRIFT_MESSAGE_MAX));
      expect(shown).toMatch(/m…\[49\d{3} more characters cut by the hub\]$/u);
    } finally {
      await fleet.close();
    }
  });

  it('masks the whole word a weak secret is part of in a drift report, not only the secret (review 14, item 7)', async () => {
    const kube = new FakeKube();
    const weak = { ...desired, redactor: new Redactor(['postgres']) };
    const { fleet, events } = fleetWith(kube, { desired: weak });
    await fleet.start(record);
    try {
      const runtime = fleet.runtime(record.name);
      await expect.poll(() => runtime.known.has(desired.pack.name)).toBe(true);
      (fleet as unknown as { onRunnerEvent: (r: unknown, e: unknown) => void }).onRunnerEvent(runtime, {
        type: 'DriftDetected',
        pack: desired.pack.name,
        time: '2026-12-07T03:00:00.000Z',
        message: 'drift: ConfigMap data/app-postgres-config changed by postgres-operator',
        correcting: true,
      });
      const drift = events.find((e) => e.kind === 'pack.drift');
      expect((drift?.data as { message?: string }).message).toBe(
        'drift: ConfigMap data/****** changed by ******',
      );
    } finally {
      await fleet.close();
    }
  });

  it('cleans why a stored kubeconfig is refused, in the event and the cluster view', async () => {
    const { fleet, events } = fleetWith(new FakeKube(), { refuse: HOSTILE });
    await expect(fleet.start(record)).rejects.toThrow();
    const event = events.find((e) => e.kind === 'cluster.connection');
    expectShown((event?.data as { error?: string }).error);
    expectShown((await fleet.clusterView(record)).error);
    await fleet.close();
  });

  it("names the cluster, the kind and the hub's watch budget when the cluster passes its share, and gives its share back when it stops", async () => {
    // Every object counts 1,000 bytes, and the hub keeps 1,500 for all clusters: the pack's ConfigMap fits, a
    // Pod more does not.
    const kube = new FakeKube({
      listWatch: { backoff: { initialMs: 1, maxMs: 8 } },
      objectBytes: () => 1000,
    });
    const watchBudget = new WatchBudget({ totalBytes: 1500, setting: '--watch-cache-mib' });
    const { fleet, events } = fleetWith(kube, { watchBudget });
    await fleet.start(record);
    try {
      await expect.poll(() => watchBudget.usedBytes, { timeout: 5000 }).toBe(1000);
      await kube.apply(
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'big', namespace: 'apps' },
          spec: { containers: [{ name: 'main', image: 'x' }] },
        },
        { fieldManager: 'test', force: true },
      );
      await expect
        .poll(() => events.find((e) => e.kind === 'cluster.connection'), { timeout: 5000 })
        .toBeDefined();
      const event = events.find((e) => e.kind === 'cluster.connection');
      expect(event?.data).toEqual({
        reachable: false,
        error:
          "watch of Pod (v1): cluster c would hold more than its share of the hub's 1500 bytes watch budget " +
          '(--watch-cache-mib): it holds 1000 bytes of watched objects, and the clusters together hold all of it',
      });
      expect((await fleet.clusterView(record)).error).toBe((event?.data as { error?: string }).error);
    } finally {
      await fleet.stop(record.name);
      await fleet.close();
    }
    // Its part of the budget is free for the others again, reserve and all.
    expect(watchBudget.usedBytes).toBe(0);
    expect(() => {
      watchBudget.account('other').take(1500, 'Pod (v1)');
    }).not.toThrow();
  });
});

describe('Fleet.openWatchAccounts', () => {
  it("holds the first cluster to its share of the clusters opened at startup, and gives it the rest once the others' accounts close", async () => {
    // Every object counts 1,000 bytes of 2,500: alone, the cluster could hold its ConfigMap and a Pod; with a
    // second cluster's account opened before it starts (review 20, HIGH-1), 625 + 1,250 shared, not the Pod.
    const kube = new FakeKube({
      listWatch: { backoff: { initialMs: 1, maxMs: 8 } },
      objectBytes: () => 1000,
    });
    const watchBudget = new WatchBudget({ totalBytes: 2500, setting: '--watch-cache-mib' });
    const { fleet, events } = fleetWith(kube, { watchBudget });
    await fleet.openWatchAccounts([record, { ...record, id: 'c-2', name: 'later' }]);
    await fleet.start(record);
    try {
      await expect.poll(() => watchBudget.usedBytes, { timeout: 5000 }).toBe(1000);
      await kube.apply(
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'big', namespace: 'apps' },
          spec: { containers: [{ name: 'main', image: 'x' }] },
        },
        { fieldManager: 'test', force: true },
      );
      await expect
        .poll(() => events.find((e) => e.kind === 'cluster.connection'), { timeout: 5000 })
        .toBeDefined();
      expect(events.find((e) => e.kind === 'cluster.connection')?.data).toEqual({
        reachable: false,
        error:
          "watch of Pod (v1): cluster c would hold more than its share of the hub's 2500 bytes watch budget " +
          '(--watch-cache-mib): it holds 1000 bytes of watched objects, and 625 bytes of it is kept for each ' +
          'of the 2 clusters and the rest is in use',
      });
      // `later` did not start: its reserve goes back, and the cluster's retry takes the Pod.
      fleet.closeUnstartedAccounts();
      await expect.poll(() => watchBudget.usedBytes, { timeout: 5000 }).toBe(2000);
    } finally {
      await fleet.stop(record.name);
      await fleet.close();
    }
  });
});
