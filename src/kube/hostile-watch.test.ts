// KubeClient.listWatch against a hostile API server on 127.0.0.1 (review 19, item 1): whatever each watch sends
// before it ends, the hub's lists and watches stay paced by its backoff, and only time spent watching buys a
// fast retry. The server here is the remote misbehaving; real watches are tested in list-watch.int.test.ts.
import type { V1ConfigMap } from '@kubernetes/client-node';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { abortableSleep } from './backoff.js';
import { KubeClient } from './client.js';
import type { ConnectionState } from './list-watch.js';
import { EventLog } from './testing/event-log.js';
import { kubeconfigFor } from './testing/remote.js';

/**
 * What the server does with each watch, after its one MODIFIED; `corrupt`: its first list answer says gzip and is
 * not, then it answers as `end` does.
 */
type Mode = 'gone' | 'end' | 'cut' | 'proxy' | 'corrupt';

const item = (rv: string) => ({ metadata: { name: 'c0', namespace: 'n', resourceVersion: rv } });
const line = (value: unknown) => JSON.stringify(value) + '\n';

describe('ListWatch against a hostile API server', () => {
  let server: Server;
  let url = '';
  let mode: Mode = 'gone';
  /** `list` and `watch <resourceVersion>` as the server saw them, and the hub's backoff waits (`wait <ms>`). */
  let log = new EventLog<string>();
  /** The proxy mode's resourceVersions, one more per watch. */
  let proxyVersion = 5;

  function watch(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/json' });
    // The same object as listed, at the same resourceVersion: the cache takes nothing, the handler is not called.
    const change = line({ type: 'MODIFIED', object: item('5') });
    switch (mode) {
      case 'gone':
        res.end(change + line({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } }));
        return;
      case 'end':
      case 'corrupt':
        res.end(change);
        return;
      case 'cut':
        res.write(change, () => res.socket?.destroy());
        return;
      case 'proxy': {
        // A real cluster's change, then a proxy that cuts the stream after a little over a second.
        proxyVersion++;
        res.write(line({ type: 'MODIFIED', object: item(String(proxyVersion)) }));
        const cut = setTimeout(() => res.socket?.destroy(), 1_200);
        res.once('close', () => {
          clearTimeout(cut);
        });
        return;
      }
    }
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname === '/api/v1') {
        res.end(
          JSON.stringify({
            kind: 'APIResourceList',
            groupVersion: 'v1',
            resources: [
              { name: 'configmaps', namespaced: true, kind: 'ConfigMap', verbs: ['list', 'watch'] },
            ],
          }),
        );
        return;
      }
      if (u.searchParams.get('watch') === 'true') {
        log.push(`watch ${u.searchParams.get('resourceVersion') ?? ''}`);
        watch(res);
        return;
      }
      log.push('list');
      if (mode === 'corrupt' && log.items.filter((r) => r === 'list').length === 1) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end('{"kind":"ConfigMapList", not gzip');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ kind: 'ConfigMapList', metadata: { resourceVersion: '5' }, items: [item('5')] }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Starts a ListWatch on the server in `m`; its backoff waits are logged, and really waited. */
  async function watching(m: Mode) {
    mode = m;
    log = new EventLog<string>();
    const kube = KubeClient.fromString(kubeconfigFor(url));
    const connections: ConnectionState[] = [];
    const lw = kube.listWatch<V1ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap' }, () => undefined, {
      random: () => 0.5,
      sleep: (ms, signal) => {
        log.push(`wait ${String(ms)}`);
        return abortableSleep(ms, signal);
      },
      onConnection: (state) => connections.push(state),
    });
    await lw.start();
    const stop = async () => {
      lw.stop();
      await kube.close();
    };
    return { connections, stop };
  }

  const waits = () => log.items.filter((r) => r.startsWith('wait')).length;
  /** Until the hub has waited `n` backoffs, or a storm of 100 requests came first (as they did before). */
  const untilWaited = (n: number) =>
    log.waitUntil(() => waits() >= n || log.items.length >= 100, `${String(n)} waits`);
  const failures = (connections: ConnectionState[]) =>
    connections.flatMap((c) => (c.connected ? [] : [`${c.error.code}#${String(c.attempt)}`]));
  // Half of 200, 400, 800, 1,600 ms: the default backoff, with random() = 0.5.
  const [w1, w2, w3, w4] = ['wait 100', 'wait 200', 'wait 400', 'wait 800'];

  it('a change, then 410: two relists at once, then each after a longer wait, shown as a connection error', async () => {
    const { connections, stop } = await watching('gone');
    try {
      await untilWaited(4);
      const relist = ['list', 'watch 5'];
      expect(log.items).toEqual([
        ...relist,
        ...relist,
        ...relist,
        w1,
        ...relist,
        w2,
        ...relist,
        w3,
        ...relist,
        w4,
      ]);
      expect(failures(connections)).toEqual(['Gone#1', 'Gone#2', 'Gone#3', 'Gone#4']);
    } finally {
      await stop();
    }
  });

  it('a change, then a clean end: each watch again after a longer wait, without a relist', async () => {
    const { connections, stop } = await watching('end');
    try {
      await untilWaited(4);
      expect(log.items).toEqual(['list', 'watch 5', w1, 'watch 5', w2, 'watch 5', w3, 'watch 5', w4]);
      expect(failures(connections)).toEqual([]);
    } finally {
      await stop();
    }
  });

  it('a change, then a cut: each relist after a longer wait, shown as a connection error', async () => {
    const { connections, stop } = await watching('cut');
    try {
      await untilWaited(4);
      const relist = ['list', 'watch 5'];
      expect(log.items).toEqual([...relist, w1, ...relist, w2, ...relist, w3, ...relist, w4]);
      expect(failures(connections)).toEqual([
        'Unreachable#1',
        'Unreachable#2',
        'Unreachable#3',
        'Unreachable#4',
      ]);
    } finally {
      await stop();
    }
  });

  it('a first list answered with a body that is not the gzip it says: listed again after a wait, then watched', async () => {
    // Not retried before (a programming error's class): a cluster's first list failing so kept it unreachable.
    const { connections, stop } = await watching('corrupt');
    try {
      await untilWaited(2);
      expect(log.items.slice(0, 5)).toEqual(['list', w1, 'list', 'watch 5', w1]);
      expect(failures(connections)).toEqual(['ServerError#1']);
      expect(connections.at(-1)).toEqual({ connected: true });
    } finally {
      await stop();
    }
  });

  it(
    'a real cluster behind a proxy that cuts each watch after a second: watched again at once from where it was, connected throughout',
    { timeout: 30_000 },
    async () => {
      proxyVersion = 5;
      const { connections, stop } = await watching('proxy');
      try {
        await log.waitFor(5);
        expect(log.items).toEqual(['list', 'watch 5', 'watch 6', 'watch 7', 'watch 8']);
        expect(connections).toEqual([{ connected: true }]);
      } finally {
        await stop();
      }
    },
  );
});
