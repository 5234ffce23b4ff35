// The replay of stored events is paced by the client's socket: a client replaying more than the live
// stream's buffer limit gets every event instead of being cut off (it would reconnect and be cut off again).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
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
