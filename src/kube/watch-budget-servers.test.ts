// The hub's watch budget over real HTTP: two API servers on 127.0.0.1, one flooding the hub with big ConfigMaps
// (a hostile or runaway cluster), one quiet, each watched through its own KubeClient with its account of one
// WatchBudget, as the hub's Fleet wires them. The flooding cluster stops growing at its share, the quiet one
// keeps working.
import type { V1ConfigMap } from '@kubernetes/client-node';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeClient } from './client.js';
import { KubeErrorCode } from './errors.js';
import type { ConnectionState } from './list-watch.js';
import { EventLog } from './testing/event-log.js';
import { kubeconfigFor } from './testing/remote.js';
import { WatchBudget } from './watch-budget.js';

const KiB = 1024;
const MiB = 1024 * KiB;

function configMap(name: string, rv: number, bytes: number): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'web', resourceVersion: String(rv) },
    data: { blob: 'x'.repeat(bytes) },
  };
}

/** A tiny API server serving ConfigMaps: `list` answers lists, each watch is handed to `watch` and kept open. */
async function apiServer(options: {
  list: () => V1ConfigMap[];
  watch: (res: ServerResponse) => void;
}): Promise<{ server: Server; url: string }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (value: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (url.pathname === '/api/v1') {
      json({
        kind: 'APIResourceList',
        groupVersion: 'v1',
        resources: [{ name: 'configmaps', namespaced: true, kind: 'ConfigMap', verbs: ['list', 'watch'] }],
      });
      return;
    }
    if (url.pathname !== '/api/v1/configmaps') {
      res.writeHead(404).end();
      return;
    }
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json' });
      options.watch(res);
      return;
    }
    json({ kind: 'ConfigMapList', metadata: { resourceVersion: '100' }, items: options.list() });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}` };
}

const open: { close(): void }[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

describe('the watch budget across two clusters over HTTP', () => {
  it('stops a flooding cluster at its share, naming it, while a quiet cluster keeps its reserve and works', async () => {
    const budget = new WatchBudget({ totalBytes: 4 * MiB, setting: '--watch-cache-mib' });
    // Two clusters: 1 MiB of reserve each, 2 MiB shared.
    const floodAccount = budget.account('flood');
    const quietAccount = budget.account('quiet');

    // The flooding cluster: a list of 1 MiB, then each watch sends 256 KiB ConfigMaps, 16 of them (4 MiB).
    let rv = 100;
    const flood = await apiServer({
      list: () => Array.from({ length: 4 }, (_, i) => configMap(`seed${String(i)}`, i + 1, 250 * KiB)),
      watch: (res) => {
        for (let i = 0; i < 16 && !res.destroyed; i++) {
          rv++;
          res.write(
            `${JSON.stringify({ type: 'ADDED', object: configMap(`big${String(rv)}`, rv, 256 * KiB) })}\n`,
          );
        }
      },
    });
    // The quiet cluster: one small ConfigMap, and its watch sends what the test pushes.
    const quietWatches: ServerResponse[] = [];
    const quietWatchCount = new EventLog<number>();
    const quiet = await apiServer({
      list: () => [configMap('settings', 1, 1 * KiB)],
      watch: (res) => {
        quietWatchCount.push(quietWatches.push(res));
      },
    });
    for (const { server } of [flood, quiet])
      open.push({
        close: () => {
          server.closeAllConnections();
          server.close();
        },
      });

    const floodKube = KubeClient.fromString(kubeconfigFor(flood.url));
    const quietKube = KubeClient.fromString(kubeconfigFor(quiet.url));
    open.push({ close: () => void floodKube.close() }, { close: () => void quietKube.close() });
    const floodStates = new EventLog<ConnectionState>();
    const quietEvents = new EventLog<string>();
    const quietStates = new EventLog<ConnectionState>();
    const floodWatch = floodKube.listWatch<V1ConfigMap>(
      { apiVersion: 'v1', kind: 'ConfigMap' },
      () => undefined,
      {
        budget: floodAccount,
        backoff: { initialMs: 20, maxMs: 100 },
        onConnection: (s) => {
          floodStates.push(s);
        },
      },
    );
    const quietWatch = quietKube.listWatch<V1ConfigMap>(
      { apiVersion: 'v1', kind: 'ConfigMap' },
      (e) => {
        quietEvents.push(`${e.type} ${e.object.metadata?.name ?? ''}`);
      },
      {
        budget: quietAccount,
        onConnection: (s) => {
          quietStates.push(s);
        },
      },
    );
    open.push(
      {
        close: () => {
          floodWatch.stop();
        },
      },
      {
        close: () => {
          quietWatch.stop();
        },
      },
    );
    await Promise.all([floodWatch.start(), quietWatch.start()]);

    // The flood passes its share (its reserve and the shared 2 MiB): its watch fails, named, and is retried.
    await floodStates.waitUntil(() => floodStates.items.some((s) => !s.connected), 'the flood refused');
    const refused = floodStates.items.find((s) => !s.connected);
    if (refused?.connected !== false) throw new Error('unreachable');
    expect(refused.error.code).toBe(KubeErrorCode.TooLarge);
    expect(refused.error.message).toMatch(
      /^watch of ConfigMap \(v1\): cluster flood would hold more than its share of the hub's 4 MiB watch budget \(--watch-cache-mib\): it holds (2\.\d|3\.0) MiB of watched objects, and 1\.0 MiB of it is kept for each of the 2 clusters and the rest is in use$/,
    );
    expect(floodAccount.usedBytes).toBeLessThanOrEqual(3 * MiB);

    // The quiet cluster still takes a ConfigMap of 900 KiB: its reserve was never the flood's to take.
    await quietWatchCount.waitFor(1);
    quietWatches[0]?.write(
      `${JSON.stringify({ type: 'ADDED', object: configMap('dashboards', 2, 900 * KiB) })}\n`,
    );
    await quietEvents.waitFor(2);
    expect(quietEvents.items).toEqual(['ADDED settings', 'ADDED dashboards']);
    expect(quietStates.items).toEqual([{ connected: true }]);
    expect(quietAccount.usedBytes).toBeGreaterThan(900 * KiB);
    expect(budget.usedBytes).toBeLessThanOrEqual(4 * MiB);
  });

  it('takes back what a cluster alone borrowed once another is added: the newcomer gets its reserve, the borrower is refused', async () => {
    const budget = new WatchBudget({ totalBytes: 4 * MiB, setting: '--watch-cache-mib' });
    // The flooding cluster is alone (registered first): its reserve is 2 MiB and it borrows the other 2.
    const floodAccount = budget.account('flood');
    let rv = 100;
    const sent: V1ConfigMap[] = [];
    // A real API server: what a watch announced stays in its lists (the objects exist).
    const flood = await apiServer({
      list: () => sent,
      watch: (res) => {
        for (let i = 0; i < 40 && !res.destroyed && sent.length < 40; i++) {
          rv++;
          const object = configMap(`big${String(rv)}`, rv, 128 * KiB);
          sent.push(object);
          res.write(`${JSON.stringify({ type: 'ADDED', object })}\n`);
        }
      },
    });
    const quiet = await apiServer({
      list: () => [configMap('settings', 1, 600 * KiB)],
      watch: () => undefined,
    });
    for (const { server } of [flood, quiet])
      open.push({
        close: () => {
          server.closeAllConnections();
          server.close();
        },
      });
    const floodKube = KubeClient.fromString(kubeconfigFor(flood.url));
    const quietKube = KubeClient.fromString(kubeconfigFor(quiet.url));
    open.push({ close: () => void floodKube.close() }, { close: () => void quietKube.close() });
    const floodStates = new EventLog<ConnectionState>();
    const quietStates = new EventLog<ConnectionState>();
    const floodWatch = floodKube.listWatch<V1ConfigMap>(
      { apiVersion: 'v1', kind: 'ConfigMap' },
      () => undefined,
      {
        budget: floodAccount,
        backoff: { initialMs: 20, maxMs: 100 },
        onConnection: (s) => {
          floodStates.push(s);
        },
      },
    );
    open.push({
      close: () => {
        floodWatch.stop();
      },
    });
    await floodWatch.start();
    await floodStates.waitUntil(() => floodStates.items.some((s) => !s.connected), 'the flood refused');
    expect(floodAccount.usedBytes).toBeGreaterThan(3 * MiB);

    // A cluster registered later needs 600 KiB, under its reserve (1 MiB of 4 with two clusters).
    const quietAccount = budget.account('quiet');
    const quietWatch = quietKube.listWatch<V1ConfigMap>(
      { apiVersion: 'v1', kind: 'ConfigMap' },
      () => undefined,
      {
        budget: quietAccount,
        backoff: { initialMs: 20, maxMs: 100 },
        onConnection: (s) => {
          quietStates.push(s);
        },
      },
    );
    open.push({
      close: () => {
        quietWatch.stop();
      },
    });
    // It lists within a bounded time (start() rejects only on a permanent failure; EventLog's wait is bounded).
    await quietWatch.start();
    await quietStates.waitUntil(
      () => quietStates.items.some((s) => s.connected),
      'the quiet cluster connected',
    );
    expect(quietAccount.usedBytes).toBeGreaterThan(500 * KiB);
    // The refusal fell on the borrower, named as the one over its share.
    await floodStates.waitUntil(
      () => floodStates.items.some((s) => !s.connected && /over its share/.test(s.error.message)),
      'the flood told to shed',
    );
    const shed = floodStates.items.find((s) => !s.connected && /over its share/.test(s.error.message));
    if (shed?.connected !== false) throw new Error('unreachable');
    expect(shed.error.code).toBe(KubeErrorCode.TooLarge);
    expect(shed.error.message).toMatch(
      /^watch of ConfigMap \(v1\): cluster flood would hold more than its share of the hub's 4 MiB watch budget \(--watch-cache-mib\): it holds [\d.]+ MiB of watched objects, and it is over its share of it since another cluster was added \(3\.0 MiB now\): its watches drop what they hold and relist within the share$/,
    );
    expect(floodAccount.usedBytes + quietAccount.usedBytes).toBeLessThanOrEqual(4 * MiB);
    expect(floodAccount.usedBytes).toBeLessThanOrEqual(3 * MiB);
  });
});
