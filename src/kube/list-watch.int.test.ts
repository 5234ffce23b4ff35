import type { V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Component, crash, down, up, type ControlPlaneState } from '../../testenv/src/controlplane.js';
import { abortableSleep } from './backoff.js';
import { KubeClient } from './client.js';
import type { ConnectionState } from './list-watch.js';
import { EventLog } from './testing/event-log.js';

const NAME = 'kube-watch-it';
let cp: ControlPlaneState;
let kube: KubeClient;

beforeAll(async () => {
  cp = await up({ name: NAME, nodes: 1 });
  kube = KubeClient.fromFile(cp.kubeconfig);
  for (const ns of ['live', 'flaky', 'outage']) {
    await kube.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      { fieldManager: 'strata', force: false },
    );
  }
});

afterAll(async () => {
  await kube.close();
  await down({ name: NAME });
});

const configMap = (
  namespace: string,
  name: string,
  data: Record<string, string> = {},
  labels: Record<string, string> = {},
): V1ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, labels },
  data,
});

const apply = (obj: V1ConfigMap) => kube.apply(obj, { fieldManager: 'strata', force: false });
const remove = (namespace: string, name: string) =>
  kube.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name });
const label = (e: { type: string; object: V1ConfigMap }) => `${e.type} ${e.object.metadata?.name ?? ''}`;

/** Crashes the control plane's kube-apiserver; the returned function starts it again (etcd keeps the state). */
const killApiServer = () => crash({ name: NAME, component: Component.ApiServer });

describe('listWatch against a real API server', () => {
  it('delivers ADDED for existing objects, then MODIFIED and DELETED live, with a cache that follows', async () => {
    await apply(configMap('live', 'before', { v: '1' }));
    const events = new EventLog<string>();
    const lw = kube.listWatch<V1ConfigMap>(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'live' },
      (e) => {
        events.push(label(e));
      },
    );
    await lw.start();
    expect(lw.synced).toBe(true);
    expect(events.items.sort()).toEqual(['ADDED before', 'ADDED kube-root-ca.crt']);

    await apply(configMap('live', 'before', { v: '2' }));
    await apply(configMap('live', 'after'));
    await remove('live', 'before');
    await events.waitFor(5);
    expect(events.items.slice(2)).toEqual(['MODIFIED before', 'ADDED after', 'DELETED before']);
    expect([...lw.values()].map((o) => o.metadata?.name).sort()).toEqual(['after', 'kube-root-ca.crt']);
    expect(lw.get('live/after')?.kind).toBe('ConfigMap');
    lw.stop();
  });

  it('a handler that throws gets the object again on the next relist; the cache holds only what succeeded', async () => {
    const events = new EventLog<string>();
    let thrown = false;
    const lw = kube.listWatch<V1ConfigMap>(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'flaky', labelSelector: 'test=flaky' },
      (e) => {
        if (e.object.metadata?.name === 'flaky' && !thrown) {
          thrown = true;
          events.push(`THROW ${label(e)}`);
          throw new Error('handler failed once');
        }
        events.push(label(e));
      },
      { resyncIntervalMs: 2000 },
    );
    await lw.start();
    await apply(configMap('flaky', 'steady', {}, { test: 'flaky' }));
    await apply(configMap('flaky', 'flaky', {}, { test: 'flaky' }));
    await events.waitFor(2);
    expect(events.items).toEqual(['ADDED steady', 'THROW ADDED flaky']);
    expect([...lw.values()].map((o) => o.metadata?.name)).toEqual(['steady']);

    // No change on the server: only the periodic relist (2 s) can deliver it again.
    await events.waitFor(3, 10_000);
    expect(events.items[2]).toBe('ADDED flaky');
    expect([...lw.values()].map((o) => o.metadata?.name).sort()).toEqual(['flaky', 'steady']);
    lw.stop();
  });

  it('survives an API server crash: reports the outage and recovery, and delivers the deletes it missed', async () => {
    for (const name of ['keep', 'gone-1', 'gone-2']) await apply(configMap('outage', name));
    const events = new EventLog<string>();
    const connections = new EventLog<ConnectionState>();
    // The first reconnect delay is held until the test has restarted the API server and deleted objects
    // behind the watch's back; after that, real (short) backoff.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const lw = kube.listWatch<V1ConfigMap>(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'outage' },
      (e) => {
        events.push(label(e));
      },
      {
        backoff: { initialMs: 100, maxMs: 1000 },
        sleep: async (ms, signal) => {
          await held;
          await abortableSleep(ms, signal);
        },
        onConnection: (s) => {
          connections.push(s);
        },
      },
    );
    await lw.start();
    expect(events.items.sort()).toEqual([
      'ADDED gone-1',
      'ADDED gone-2',
      'ADDED keep',
      'ADDED kube-root-ca.crt',
    ]);
    expect(connections.items).toEqual([{ connected: true }]);

    const restart = await killApiServer();
    await connections.waitFor(2);
    const down = connections.items[1];
    expect(down?.connected).toBe(false);
    if (down?.connected === false) {
      expect(down.attempt).toBe(1);
      expect(down.error.code).toBe('Unreachable');
      expect(down.error.retryable).toBe(true);
    }
    const outageCheck = await kube.checkAccess().catch((e: unknown) => e);
    expect(outageCheck).toMatchObject({ code: 'Unreachable' });

    await restart();
    await remove('outage', 'gone-1');
    await remove('outage', 'gone-2');
    await apply(configMap('outage', 'keep', { changed: 'while away' }));
    release();

    await connections.waitUntil(() => connections.items.at(-1)?.connected === true, 'reconnected');
    await events.waitFor(7);
    expect(events.items.slice(4).sort()).toEqual(['DELETED gone-1', 'DELETED gone-2', 'MODIFIED keep']);
    expect(lw.get('outage/keep')?.data).toEqual({ changed: 'while away' });

    // And it is live again.
    await apply(configMap('outage', 'new'));
    await events.waitFor(8);
    expect(events.items[7]).toBe('ADDED new');
    lw.stop();
  });
});
