// PackOperations against the fake kube with a sink that only records: what it reports is all the runner learns.
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../profile/index.js';
import { FakeKube } from '../kube/testing/fake-kube.js';
import { formatRef, initialPackStatus, reducePackStatus, refKey } from '../status/index.js';
import { PackOperations, type PackSink } from './pack-operations.js';
import { refOf } from '../shared/refs.js';
import type { PackRun } from './pack-run.js';
import { MemoryRenderCache } from './render-cache.js';
import { RevisionGate } from './revision-gate.js';
import { PackObjects } from './pack-objects.js';
import { Waiters } from './waiters.js';
import { WatchSet } from './watch-set.js';
import { KindScopes } from './kind-scopes.js';
import { desiredManifestPack } from './testing/packs.js';

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function newRun(manifests: KubeObject[]): PackRun {
  return {
    desired: desiredManifestPack({ pack: { manifests } }),
    status: initialPackStatus({ revision: '', stage: { type: 'Queued' } }),
    inventory: [],
    inventoryKeys: new Set(),
    removing: false,
    correcting: new Set(),
    gate: new RevisionGate(),
  };
}

/**
 * Records every report; keeps the run's status and inventory as the runner would (the steps read them back),
 * nothing else.
 */
function recordingSink(run: PackRun): { sink: PackSink; log: string[] } {
  const log: string[] = [];
  const sink: PackSink = {
    report: (event) => {
      run.status = reducePackStatus(run.status, event);
      log.push(event.type === 'StageChanged' ? `stage ${event.stage.type}` : event.type);
    },
    inventory: (objects) => {
      // The operations read the inventory back (prune deletes what carries the pack's label and is not in it).
      const refs = objects.map((o) => ({ ...('metadata' in o ? refOf(o) : o), namespace: 'apps' }));
      run.inventory = refs;
      run.inventoryKeys = new Set(refs.map(refKey));
      log.push(`inventory ${refs.map((r) => `${r.kind}/${r.name}`).join(' ')}`);
    },
    rendered: (rendering) => log.push(`rendered ${rendering.revision.slice(0, 7)}`),
    revisionStarted: () => log.push('revisionStarted'),
    applied: (ref) => log.push(`applied ${formatRef(ref)}`),
    kept: (ref) => log.push(`kept ${formatRef(ref)}`),
    revisionApplied: (revision) => log.push(`revisionApplied ${revision.slice(0, 7)}`),
  };
  return { sink, log };
}

async function operations(kube: FakeKube) {
  const waiters = new Waiters();
  const packObjects = new PackObjects();
  const watches = new WatchSet({
    kube,
    cluster: 'unit',
    onEvent: (event) => {
      packObjects.record(event);
      waiters.wake();
    },
    onConnection: () => undefined,
  });
  stops.push(() => {
    watches.stop();
  });
  await watches.start();
  return new PackOperations({
    cluster: 'unit',
    kube,
    helmBin: '/nonexistent/helm: manifest packs only',
    renderCache: new MemoryRenderCache(),
    watches,
    packObjects,
    scopes: new KindScopes(),
    waiters,
    retry: { initialMs: 1, maxMs: 4 },
    random: () => 0.5,
    iso: () => '2026-01-01T00:00:00.000Z',
  });
}

const deployment: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {},
};
const configMap: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web' }, data: {} };

describe('PackOperations reports to its sink', () => {
  it('installs a manifest pack: what it reports, in order, and what the cluster then holds', async () => {
    const kube = new FakeKube();
    const ops = await operations(kube);
    const run = newRun([deployment, configMap]);
    const { sink, log } = recordingSink(run);
    await ops.install(run, sink, new AbortController().signal);
    const revision = run.status.revision.slice(0, 7);
    expect(log).toEqual([
      'stage Rendering',
      `rendered ${revision}`,
      'RevisionStarted',
      'revisionStarted',
      // Install order by kind (order.ts): the ConfigMap before the Deployment that would mount it.
      'inventory ConfigMap/web Deployment/web',
      'HooksMarked',
      'applied ConfigMap apps/web',
      'applied Deployment apps/web',
      `revisionApplied ${revision}`,
      'stage Applied',
    ]);
    expect(kube.all('v1', 'Namespace').map((n) => n.metadata?.name)).toEqual(['apps']);
    expect(kube.actions.map((a) => a.verb)).toEqual(['apply', 'apply', 'apply']);
    expect(kube.all('apps/v1', 'Deployment').map((d) => d.metadata?.labels)).toEqual([
      expect.objectContaining({ 'strata.dev/pack': 'web' }),
    ]);
  });

  it('asks discovery once per kind of objects written without a namespace, not once more per object', async () => {
    const kube = new FakeKube();
    const ops = await operations(kube);
    const other: KubeObject = { ...configMap, metadata: { name: 'web-2' } };
    const run = newRun([deployment, configMap, other]);
    const asked: string[] = [];
    kube.react((action) => {
      if (action.verb === 'discovery') asked.push('discovery');
    });
    await ops.install(run, recordingSink(run).sink, new AbortController().signal);
    // The install learns each kind's scope once (ConfigMap, Deployment); every object is then placed from that
    // answer. Each object asked again before it was applied, and a wave's installs held those waits.
    expect(asked).toEqual(['discovery', 'discovery']);
    expect(kube.all('v1', 'ConfigMap').map((c) => `${c.metadata?.namespace}/${c.metadata?.name}`)).toEqual([
      'apps/web',
      'apps/web-2',
    ]);
    expect(kube.all('apps/v1', 'Deployment').map((d) => d.metadata?.namespace)).toEqual(['apps']);
  });

  it('packs installing side by side apply their shared namespace once; a later install applies it again', async () => {
    const kube = new FakeKube();
    const ops = await operations(kube);
    const web = newRun([configMap]);
    const api = newRun([{ ...configMap, metadata: { name: 'api' } }]);
    api.desired = { ...api.desired, pack: { ...api.desired.pack, name: 'api' } };
    const namespaceApplies = () =>
      kube.actions.filter((a) => a.verb === 'apply' && a.ref.kind === 'Namespace').length;
    const signal = new AbortController().signal;
    await Promise.all([web, api].map((run) => ops.install(run, recordingSink(run).sink, signal)));
    // One apply of the same Namespace object answers both: a wave of 200 packs sent 200.
    expect(namespaceApplies()).toBe(1);
    expect(kube.all('v1', 'ConfigMap').map((c) => c.metadata?.name)).toEqual(['web', 'api']);
    // Joined only while in flight: the namespace may be gone by the next install, which applies it again.
    await ops.install(web, recordingSink(web).sink, signal);
    expect(namespaceApplies()).toBe(2);
  });

  it('writes nothing of the pack: its rendering and applied revision go to the sink', async () => {
    const kube = new FakeKube();
    const ops = await operations(kube);
    const run = newRun([configMap]);
    const { sink, log } = recordingSink(run);
    // The operations read the pack through a view that refuses writes; only the sink (the runner) records.
    const readOnly = new Proxy(run, {
      set: (_target, field) => {
        throw new Error(`PackOperations wrote run.${String(field)}`);
      },
    });
    await ops.install(readOnly, sink, new AbortController().signal);
    expect(log.filter((l) => /^(rendered|applied|revisionApplied) /.test(l))).toEqual([
      `rendered ${run.status.revision.slice(0, 7)}`,
      'applied ConfigMap apps/web',
      `revisionApplied ${run.status.revision.slice(0, 7)}`,
    ]);
    expect(run.rendered).toBeUndefined();
    expect(run.appliedRevision).toBeUndefined();
  });

  it('uninstalls what it installed, last installed first, and reports the removal', async () => {
    const kube = new FakeKube();
    const ops = await operations(kube);
    const run = newRun([deployment, configMap]);
    await ops.install(run, recordingSink(run).sink, new AbortController().signal);
    const { sink, log } = recordingSink(run);
    await ops.uninstall(run, sink, new AbortController().signal);
    expect(log[0]).toBe('RevisionStarted');
    expect(run.status.stage.type).toBe('Uninstalling');
    expect(kube.actions.flatMap((a) => (a.verb === 'delete' ? [`${a.ref.kind}/${a.ref.name}`] : []))).toEqual(
      ['Deployment/web', 'ConfigMap/web'],
    );
    expect(kube.all('v1', 'ConfigMap')).toEqual([]);
    expect(kube.all('apps/v1', 'Deployment')).toEqual([]);
  });
});
