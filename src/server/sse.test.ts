// The replay of stored events is paced by the client's socket: a client replaying more than the live
// stream's buffer limit gets every event instead of being cut off (it would reconnect and be cut off again).
import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventStream, type StreamEvent } from './sse.js';

const EVENTS = 3000;
const stored: StreamEvent[] = Array.from({ length: EVENTS }, (_, i) => ({
  id: i + 1,
  kind: 'pack.status',
  cluster: 'c',
  pack: `p${i % 50}`,
  time: new Date(0).toISOString(),
  // About 2 KiB each: 6 MiB in all, far over the 64 KiB buffer limit below.
  data: { message: 'x'.repeat(2048) },
}));

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

describe('EventStream replay', () => {
  it('sends every stored event to a client far behind, paced by its socket, then marks it live', async () => {
    const stream = new EventStream(
      {
        subscribe: () => () => undefined,
        eventsSince: (afterId, options) =>
          Promise.resolve(stored.filter((e) => e.id !== undefined && e.id > afterId).slice(0, options.limit)),
      },
      { maxBufferedBytes: 64 * 1024, pageSize: 500 },
    );
    stream.start();
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      void stream.connect(res, { lastEventId: 0 });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;

    const res = await fetch(`http://127.0.0.1:${port}/`);
    if (!res.body) throw new Error('no body');
    const reader = res.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes(': live')) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    await reader.cancel();
    stream.close();
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids.length).toBe(EVENTS);
    expect(ids.at(-1)).toBe(EVENTS);
    expect(text).toContain(': live');
  });
});

/** A live source the test publishes to, and a server whose streams record what their sockets are given. */
async function liveServer(stream: () => EventStream) {
  const writes: unknown[][] = [];
  /** Every socket write of all streams in turn, as the index of the stream written to (in connection order). */
  const order: number[] = [];
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const socket = res.socket;
    if (socket === null) throw new Error('no socket');
    const mine: unknown[] = [];
    const index = writes.length;
    writes.push(mine);
    const write = socket.write.bind(socket);
    socket.write = ((...args: Parameters<typeof write>) => {
      mine.push(args[0]);
      order.push(index);
      return write(...args);
    }) as typeof socket.write;
    void stream().connect(res, { cluster: 'c' });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, writes, order };
}

/** A stream's text so far, read as it comes; `until` waits for a condition on it. */
function reading(res: Response) {
  if (!res.body) throw new Error('no body');
  const reader = res.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const decoder = new TextDecoder();
  let text = '';
  return {
    async until(done: (text: string) => boolean): Promise<string> {
      while (!done(text)) {
        const next = await reader.read();
        if (next.done) throw new Error(`the stream ended; it had sent:\n${text}`);
        text += decoder.decode(next.value, { stream: true });
      }
      return text;
    },
    cancel: () => reader.cancel(),
  };
}

const idsOf = (text: string) => [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));

describe('EventStream fan-out', () => {
  it('writes the events of one turn to each client in one socket write, the same bytes for every client', async () => {
    let publish: (event: StreamEvent) => void = () => undefined;
    const stream = new EventStream({
      subscribe: (listener) => {
        publish = listener;
        return () => undefined;
      },
      eventsSince: () => Promise.resolve([]),
    });
    stream.start();
    const { url, writes } = await liveServer(() => stream);
    const live = async () => {
      const client = reading(await fetch(url));
      await client.until((text) => text.includes(': live'));
      return client;
    };
    const clients = [await live(), await live()];
    const before = writes.map((w) => w.length);
    // A status, its transition and the summary, as the hub publishes them in one turn; another cluster's too.
    for (const [id, cluster] of [
      [1, 'c'],
      [2, 'c'],
      [3, 'other'],
    ] as const)
      publish({ id, kind: 'pack.status', cluster, pack: 'p', time: new Date(0).toISOString(), data: {} });
    publish({ kind: 'cluster.summary', cluster: 'c', time: new Date(0).toISOString(), data: {} });
    const texts = await Promise.all(clients.map((c) => c.until((text) => text.includes('cluster.summary'))));
    const added = writes.map((w, i) => w.slice(before[i]));
    await Promise.all(clients.map((c) => c.cancel()));
    stream.close();
    for (const text of texts) {
      expect(idsOf(text)).toEqual([1, 2]);
      expect(text.indexOf('id: 2')).toBeLessThan(text.indexOf('event: cluster.summary'));
    }
    expect(added.map((w) => w.length)).toEqual([1, 1]);
    expect(added[0]?.[0]).toBeInstanceOf(Buffer);
    expect(added[0]?.[0]).toBe(added[1]?.[0]);
  });

  it('does not write the same client last in every fan-out', async () => {
    let publish: (event: StreamEvent) => void = () => undefined;
    const stream = new EventStream({
      subscribe: (listener) => {
        publish = listener;
        return () => undefined;
      },
      eventsSince: () => Promise.resolve([]),
    });
    stream.start();
    const { url, order } = await liveServer(() => stream);
    const clients: ReturnType<typeof reading>[] = [];
    for (let i = 0; i < 4; i++) {
      const client = reading(await fetch(url));
      await client.until((text) => text.includes(': live'));
      clients.push(client);
    }
    const last: (number | undefined)[] = [];
    for (let id = 1; id <= 4; id++) {
      const from = order.length;
      publish({
        id,
        kind: 'pack.status',
        cluster: 'c',
        pack: 'p',
        time: new Date(0).toISOString(),
        data: {},
      });
      await Promise.all(clients.map((c) => c.until((text) => idsOf(text).includes(id))));
      const fanOut = order.slice(from);
      expect(fanOut.toSorted()).toEqual([0, 1, 2, 3]);
      last.push(fanOut.at(-1));
    }
    await Promise.all(clients.map((c) => c.cancel()));
    stream.close();
    // Each of the 4 clients waited for the other 3 once, not the latest to connect every time.
    expect(last.toSorted()).toEqual([0, 1, 2, 3]);
  });

  it('gives a client that connects after an event was published, in the same turn, none of it', async () => {
    let publish: (event: StreamEvent) => void = () => undefined;
    const stream = new EventStream({
      subscribe: (listener) => {
        publish = listener;
        return () => undefined;
      },
      eventsSince: () => Promise.resolve([]),
    });
    stream.start();
    const second: { connect?: (res: ServerResponse) => void } = {};
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (second.connect) {
        second.connect(res);
        return;
      }
      void stream.connect(res, {});
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}/`;
    const first = reading(await fetch(url));
    await first.until((text) => text.includes(': live'));
    second.connect = (res) => {
      // Published, then the client connects before the turn's fan-out: it asked for events from now on.
      publish({ id: 1, kind: 'pack.status', cluster: 'c', time: new Date(0).toISOString(), data: {} });
      void stream.connect(res, {});
      publish({ id: 2, kind: 'pack.status', cluster: 'c', time: new Date(0).toISOString(), data: {} });
    };
    const later = reading(await fetch(url));
    const [a, b] = await Promise.all([
      first.until((text) => text.includes('id: 2')),
      later.until((text) => text.includes('id: 2')),
    ]);
    await Promise.all([first.cancel(), later.cancel()]);
    stream.close();
    expect(idsOf(a)).toEqual([1, 2]);
    expect(idsOf(b)).toEqual([2]);
  });

  it('frames the shared bytes as chunks for HTTP/1.1 and sends them as they are for HTTP/1.0', async () => {
    let publish: (event: StreamEvent) => void = () => undefined;
    const stream = new EventStream({
      subscribe: (listener) => {
        publish = listener;
        return () => undefined;
      },
      eventsSince: () => Promise.resolve([]),
    });
    stream.start();
    const { url } = await liveServer(() => stream);
    const { port } = new URL(url);
    const raw = async (version: string) => {
      const socket = connect(Number(port), '127.0.0.1');
      socket.write(`GET / ${version}\r\nHost: x\r\n\r\n`);
      let text = '';
      socket.setEncoding('utf8');
      const done = new Promise<string>((resolve) => {
        socket.on('data', (chunk: string) => {
          text += chunk;
          if (text.includes(': live\n\n') && !text.includes('id: 7')) publish(event7);
          if (text.includes('id: 7') && text.endsWith('\n\n') !== text.endsWith('\r\n')) {
            socket.destroy();
            resolve(text);
          }
        });
      });
      return done;
    };
    const event7 = { id: 7, kind: 'pack.status', cluster: 'c', time: new Date(0).toISOString(), data: {} };
    const http11 = await raw('HTTP/1.1');
    const http10 = await raw('HTTP/1.0');
    stream.close();
    const message = `id: 7\nevent: pack.status\ndata: ${JSON.stringify(event7)}\n\n`;
    expect(http11).toContain(`\r\n${Buffer.byteLength(message).toString(16)}\r\n${message}\r\n`);
    expect(http10).toContain(`\r\n\r\n`);
    expect(http10.endsWith(message)).toBe(true);
  });
});

describe('EventStream limits on a replaying client', () => {
  // More than loopback's socket buffers hold at both ends, so a client that stops reading stalls its replay.
  const backlog: StreamEvent[] = Array.from({ length: 12_000 }, (_, i) => ({
    id: i + 1,
    kind: 'pack.status',
    cluster: 'c',
    time: new Date(0).toISOString(),
    data: { message: 'x'.repeat(2048) },
  }));

  /** A stream over `backlog`, served, and a raw client that asks to resume from id 0 and then stops reading. */
  async function stalledReplay(options: { maxBufferedBytes?: number; replayStallMs?: number }) {
    let publish: (event: StreamEvent) => void = () => undefined;
    const stream = new EventStream(
      {
        subscribe: (listener) => {
          publish = listener;
          return () => undefined;
        },
        eventsSince: (afterId, { limit }) =>
          Promise.resolve(backlog.filter((e) => (e.id ?? 0) > afterId).slice(0, limit)),
      },
      { pageSize: 500, ...options },
    );
    stream.start();
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      void stream.connect(res, { lastEventId: 0 });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    socket.pause();
    await until(() => stream.clientCount === 1);
    return {
      stream,
      socket,
      publish: (event: StreamEvent) => {
        publish(event);
      },
    };
  }

  it('cuts off a client whose replay stalls while live events pile up past its buffer limit', async () => {
    const { stream, socket, publish } = await stalledReplay({ maxBufferedBytes: 64 * 1024 });
    // 200 KiB of live events: kept for the client until its replay ends, which it never does.
    for (let i = 0; i < 100; i++)
      publish({
        id: 100_000 + i,
        kind: 'pack.status',
        cluster: 'c',
        time: new Date(0).toISOString(),
        data: { message: 'y'.repeat(2048) },
      });
    await until(() => stream.clientCount === 0);
    socket.destroy();
    stream.close();
    expect(stream.clientCount).toBe(0);
  });

  it('ends a replay that waits longer than replayStallMs for the client to read', async () => {
    const { stream, socket } = await stalledReplay({ replayStallMs: 300 });
    await until(() => stream.clientCount === 0);
    socket.destroy();
    stream.close();
    expect(stream.clientCount).toBe(0);
  });
});

/** Waits until `done()` holds; fails after `timeoutMs`. */
async function until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not so after ${String(timeoutMs)} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('EventStream heartbeats', () => {
  it('sends a heartbeat only to a stream that had nothing written for a period', async () => {
    // The heartbeat's interval only: sockets and the fan-out's setImmediate stay real.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let publish: (event: StreamEvent) => void = () => undefined;
    const stream = new EventStream(
      {
        subscribe: (listener) => {
          publish = listener;
          return () => undefined;
        },
        eventsSince: () => Promise.resolve([]),
      },
      { heartbeatMs: 1000 },
    );
    try {
      stream.start();
      server = createServer((req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        void stream.connect(res, { cluster: req.url === '/busy' ? 'busy' : 'idle' });
      });
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const open = async (path: string) => {
        const client = reading(await fetch(`http://127.0.0.1:${port}${path}`));
        await client.until((text) => text.includes(': live'));
        return client;
      };
      const busy = await open('/busy');
      const idle = await open('/idle');
      const beats = (text: string) => text.split(': heartbeat').length - 1;
      // Three periods; the busy stream gets an event every half period, the idle one nothing.
      for (let id = 1; id <= 6; id++) {
        publish({ id, kind: 'pack.status', cluster: 'busy', time: new Date(0).toISOString(), data: {} });
        await busy.until((text) => text.includes(`id: ${String(id)}\n`));
        vi.advanceTimersByTime(500);
      }
      const idleText = await idle.until((text) => beats(text) >= 3);
      // Quiet from here on: the busy stream too gets one once it has been silent for a period.
      vi.advanceTimersByTime(1000);
      const busyText = await busy.until((text) => beats(text) >= 1);
      await Promise.all([busy.cancel(), idle.cancel()]);
      expect(beats(idleText)).toBe(3);
      expect(idsOf(busyText)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(beats(busyText)).toBe(1);
      expect(busyText.indexOf(': heartbeat')).toBeGreaterThan(busyText.indexOf('id: 6\n'));
    } finally {
      stream.close();
      vi.useRealTimers();
    }
  });
});

describe('EventStream resume after retention deleted events', () => {
  it('tells a client resuming from below the pruned ids, then continues after them; not one at or past them', async () => {
    // Retention deleted 2 to 5 (the highest deleted id is 5); 1 and 6 to 8 are left.
    const left: StreamEvent[] = [1, 6, 7, 8].map((id) => ({
      id,
      kind: 'pack.status',
      cluster: 'c',
      pack: 'p',
      time: new Date(0).toISOString(),
      data: {},
    }));
    const stream = new EventStream({
      subscribe: () => () => undefined,
      eventsSince: (afterId) => Promise.resolve(left.filter((e) => (e.id ?? 0) > afterId)),
      eventsPrunedThrough: () => Promise.resolve(5),
    });
    stream.start();
    server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      void stream.connect(res, { lastEventId: Number(req.headers['last-event-id']) });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const resume = async (lastEventId: number) => {
      const client = reading(
        await fetch(`http://127.0.0.1:${port}/`, { headers: { 'last-event-id': String(lastEventId) } }),
      );
      const text = await client.until((t) => t.includes(': live'));
      await client.cancel();
      return text;
    };
    const [below, at, all] = [await resume(3), await resume(5), await resume(0)];
    stream.close();

    const pruned = /^id: (\d+)\nevent: history\.pruned\ndata: (.*)$/m.exec(below);
    expect(pruned?.[1]).toBe('5');
    expect(JSON.parse(pruned?.[2] ?? '{}')).toMatchObject({
      kind: 'history.pruned',
      data: { lastEventId: 3 },
    });
    // Before any event, and the replay goes on from 5: nothing of what is left is missing or sent twice.
    expect(below.indexOf('history.pruned')).toBeLessThan(below.indexOf('pack.status'));
    expect(idsOf(below)).toEqual([5, 6, 7, 8]);
    expect(at).not.toContain('history.pruned');
    expect(idsOf(at)).toEqual([6, 7, 8]);
    // Last-Event-ID 0 asks for everything kept (strata events): the gaps are expected there.
    expect(all).not.toContain('history.pruned');
    expect(idsOf(all)).toEqual([1, 6, 7, 8]);
  });

  it('tells a client when retention deleted rows its replay had not read yet, after what it did read', async () => {
    // The first check finds nothing deleted; by the second, a pass has deleted 5 to 7 while the replay ran.
    const left: StreamEvent[] = [4, 8, 9].map((id) => ({
      id,
      kind: 'pack.status',
      cluster: 'c',
      pack: 'p',
      time: new Date(0).toISOString(),
      data: {},
    }));
    const checks = [0, 7];
    const stream = new EventStream({
      subscribe: () => () => undefined,
      eventsSince: (afterId) => Promise.resolve(left.filter((e) => (e.id ?? 0) > afterId)),
      eventsPrunedThrough: () => Promise.resolve(checks.shift() ?? 7),
    });
    stream.start();
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      void stream.connect(res, { lastEventId: 3 });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = reading(await fetch(`http://127.0.0.1:${String(port)}/`));
    const text = await client.until((t) => t.includes(': live'));
    await client.cancel();
    stream.close();
    const pruned = /^id: (\d+)\nevent: history\.pruned\ndata: (.*)$/m.exec(text);
    // It continues after the last id it was sent: the pruned message comes after the replay, before live.
    expect(pruned?.[1]).toBe('9');
    expect(JSON.parse(pruned?.[2] ?? '{}')).toMatchObject({ data: { lastEventId: 3 } });
    expect(text.indexOf('history.pruned')).toBeGreaterThan(text.indexOf('id: 9\nevent: pack.status'));
    expect(text.indexOf('history.pruned')).toBeLessThan(text.indexOf(': live'));
  });
});
