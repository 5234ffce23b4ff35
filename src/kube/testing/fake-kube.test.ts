import type { KubernetesObject } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeError, KubeErrorCode } from '../errors.js';
import type { ListWatch, WatchEvent } from '../list-watch.js';
import { EventLog } from './event-log.js';
import { FakeKube } from './fake-kube.js';

const opts = { fieldManager: 'test', force: false };
const cm = (
  name: string,
  labels: Record<string, string> = {},
  namespace = 'apps',
): KubernetesObject & { data: Record<string, string> } => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, labels },
  data: { name },
});
const seen = (log: EventLog<WatchEvent<KubernetesObject>>) =>
  log.items.map((e) => `${e.type} ${e.object.metadata?.name ?? ''}`);

const watches: ListWatch<KubernetesObject>[] = [];
afterEach(() => {
  for (const w of watches.splice(0)) w.stop();
});

function watch(kube: FakeKube, q: Parameters<FakeKube['listWatch']>[0]) {
  const log = new EventLog<WatchEvent<KubernetesObject>>();
  const w = kube.listWatch(q, (e) => {
    log.push(e);
  });
  watches.push(w);
  return { log, started: w.start() };
}

describe('FakeKube', () => {
  it('applies with resourceVersions and generations, and answers get and delete as the API server does', async () => {
    const kube = new FakeKube();
    const first = await kube.apply(cm('a'), opts);
    const same = await kube.apply(cm('a'), opts);
    const changed = await kube.apply({ ...cm('a'), data: { name: 'b' } }, opts);
    // A no-op apply is not written (as the API server skips a no-op update); a change is.
    expect(same.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    expect(Number(changed.metadata?.resourceVersion)).toBeGreaterThan(
      Number(first.metadata?.resourceVersion),
    );
    expect(changed.metadata?.uid).toBe(first.metadata?.uid);
    expect(changed.metadata?.managedFields?.[0]).toMatchObject({ manager: 'test', operation: 'Apply' });
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'apps', name: 'a' };
    expect((await kube.get(ref))?.metadata?.name).toBe('a');
    expect(await kube.delete(ref)).toBe(true);
    expect(await kube.delete(ref)).toBe(false);
    expect(await kube.get(ref)).toBeUndefined();
    await expect(kube.get({ apiVersion: 'nope/v1', kind: 'Thing', name: 'x' })).rejects.toMatchObject({
      code: KubeErrorCode.UnknownKind,
    });
  });

  it('lists and watches by namespace and label, from the list resourceVersion on', async () => {
    const kube = new FakeKube();
    await kube.apply(cm('before', { team: 'a' }), opts);
    await kube.apply(cm('other', { team: 'b' }), opts);
    const { log, started } = watch(kube, { apiVersion: 'v1', kind: 'ConfigMap', labelSelector: 'team=a' });
    await started;
    await kube.apply(cm('after', { team: 'a' }), opts);
    await kube.apply(cm('elsewhere', { team: 'a' }, 'other'), opts);
    await kube.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'apps', name: 'before' });
    await log.waitFor(4);
    expect(seen(log)).toEqual(['ADDED before', 'ADDED after', 'ADDED elsewhere', 'DELETED before']);
  });

  it('sends a watch no event for an apply that changes nothing, and one for an apply that does', async () => {
    const kube = new FakeKube();
    await kube.apply(cm('a', { team: 'a' }), opts);
    const { log, started } = watch(kube, { apiVersion: 'v1', kind: 'ConfigMap' });
    await started;
    await kube.apply(cm('a', { team: 'a' }), opts);
    await kube.apply(cm('a', { team: 'b' }), opts);
    await kube.apply(cm('b'), opts);
    await log.waitFor(3);
    expect(seen(log)).toEqual(['ADDED a', 'MODIFIED a', 'ADDED b']);
    expect(log.items[1]?.object.metadata?.labels).toEqual({ team: 'b' });
  });

  it('records no actions when told not to, and still answers', async () => {
    const kube = new FakeKube({ recordActions: false });
    await kube.apply(cm('a'), opts);
    expect(await kube.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'apps', name: 'a' })).toBe(
      true,
    );
    expect(kube.actions).toEqual([]);
  });

  it('fails a watch from a compacted resourceVersion with 410 Gone', async () => {
    const kube = new FakeKube();
    const old = (await kube.apply(cm('a'), opts)).metadata?.resourceVersion ?? '';
    await kube.apply(cm('b'), opts);
    kube.compact();
    const signal = new AbortController().signal;
    const gen = kube.watch({ apiVersion: 'v1', kind: 'ConfigMap' }, old, signal);
    await expect(gen.next()).rejects.toMatchObject({ code: KubeErrorCode.Gone });
  });

  it('serves a CRD’s kind once applied, and stops serving it (deleting its objects) when it goes', async () => {
    const kube = new FakeKube();
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { kind: 'Widget', plural: 'widgets' },
        versions: [{ name: 'v1', served: true }],
      },
    };
    const applied = await kube.apply(crd, opts);
    expect(applied).toMatchObject({ status: { conditions: [{ type: 'Established', status: 'True' }] } });
    expect((await kube.capabilities()).apiVersions).toContain('example.com/v1/Widget');
    await kube.apply({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }, opts);
    const { log, started } = watch(kube, { apiVersion: 'example.com/v1', kind: 'Widget' });
    await started;
    await kube.delete({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      name: crd.metadata.name,
    });
    await log.waitFor(2);
    expect(seen(log)).toEqual(['ADDED w', 'DELETED w']);
    await expect(kube.resourceFor('example.com/v1', 'Widget')).rejects.toMatchObject({
      code: KubeErrorCode.UnknownKind,
    });
  });

  it('lets a reactor fail chosen requests, and records applies and deletes in order', async () => {
    const kube = new FakeKube();
    const stop = kube.react((action) => {
      if (action.verb === 'apply' && action.ref.name === 'bad')
        throw new KubeError(KubeErrorCode.ServerError, 'boom', { status: 500 });
    });
    await expect(kube.apply(cm('bad'), opts)).rejects.toMatchObject({ code: KubeErrorCode.ServerError });
    await kube.apply(cm('good'), opts);
    stop();
    await kube.apply(cm('bad'), opts);
    expect(kube.actions.map((a) => `${a.verb} ${'ref' in a ? a.ref.name : ''}`)).toEqual([
      'apply bad',
      'apply good',
      'apply bad',
    ]);
  });

  it('keeps an object with finalizers, marked for deletion, until they are removed', async () => {
    const kube = new FakeKube();
    const held = cm('held');
    await kube.apply(
      { ...held, metadata: Object.assign({}, held.metadata, { finalizers: ['x/hold'] }) },
      opts,
    );
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'apps', name: 'held' };
    expect(await kube.delete(ref)).toBe(true);
    expect(kube.peek(ref)?.metadata?.deletionTimestamp).toBeDefined();
    kube.finalize(ref);
    expect(kube.peek(ref)).toBeUndefined();
  });
});
