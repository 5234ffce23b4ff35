// Review 20, HIGH-2, through the real hub: a connection's pipelined requests (HTTP/1.1 lets a client send them
// without reading the answers) each had its whole answer waiting in the hub behind the one before it, unseen by
// the write-stall wait: one viewer connection that never read held ~190 MiB with 2,000 GETs of a 200 KiB answer.
// Now at most MAX_PIPELINED_REQUESTS wait; the next is answered 429 and the connection closed.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PackConditionType, PackPhase } from '../status/pack-phase.js';
import { SqliteBackend } from '../store/testing/backends.js';
import { MAX_PIPELINED_REQUESTS } from './app.js';
import { startTestHub, type TestHub } from './testing/server.js';

const backend = new SqliteBackend();
let t: TestHub;
let historyReads = 0;
beforeAll(async () => {
  await backend.setup();
  t = await startTestHub(backend);
  // A pack history of ~200 KiB: an answer the kernel's buffers take only a dozen of.
  const message = 'x'.repeat(200 * 1024);
  (t.hub as unknown as { packHistory: () => Promise<unknown> }).packHistory = () => {
    historyReads++;
    return Promise.resolve({
      transitions: [
        {
          time: '2026-01-01T00:00:00.000Z',
          from: PackPhase.Processing,
          to: PackPhase.Failed,
          condition: PackConditionType.Installing,
          reason: 'Failed',
          message,
        },
      ],
    });
  };
});
afterAll(async () => {
  await t.close();
  await backend.teardown();
});

function open(): Socket {
  const url = new URL(t.url);
  return connect(Number(url.port), url.hostname);
}

const get = (path: string) =>
  `GET ${path} HTTP/1.1\r\nhost: hub\r\nauthorization: Bearer ${t.tokens.viewer}\r\n\r\n`;

/** Every byte the socket receives until the hub closes it. */
function untilClosed(socket: Socket): { text: () => string; closed: () => boolean } {
  const chunks: Buffer[] = [];
  let closed = false;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('close', () => {
    closed = true;
  });
  return { text: () => Buffer.concat(chunks).toString('latin1'), closed: () => closed };
}

describe('pipelined requests on one connection', () => {
  it('answers at most MAX_PIPELINED_REQUESTS waiting ones, then 429 and closes the connection', async () => {
    historyReads = 0;
    const socket = open();
    socket.pause();
    const received = untilClosed(socket);
    socket.write(get('/api/v1/clusters/c/packs/p/history').repeat(200));
    // Not reading: the first answers go to the kernel's buffers, the rest wait in the hub, up to the limit
    // (those written out no longer count); the next request is refused, so the hub runs no more handlers for
    // this connection.
    await expect.poll(() => historyReads, { timeout: 10_000 }).toBeGreaterThanOrEqual(MAX_PIPELINED_REQUESTS);
    socket.resume();
    await expect.poll(received.closed, { timeout: 20_000 }).toBe(true);
    const text = received.text();
    const ok = text.match(/HTTP\/1\.1 200 /g) ?? [];
    const refused = text.match(/HTTP\/1\.1 429 /g) ?? [];
    expect(refused).toHaveLength(1);
    expect(text).toContain('TOO_MANY_PIPELINED_REQUESTS');
    expect(ok.length).toBe(historyReads);
    expect(ok.length).toBeLessThan(100);
  });

  it('lets a connection send request after request when it reads each answer', async () => {
    historyReads = 0;
    const socket = open();
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
    });
    for (let i = 1; i <= 3 * MAX_PIPELINED_REQUESTS; i++) {
      socket.write(get('/api/v1/clusters/c/packs/p/history'));
      await expect.poll(() => (text.match(/HTTP\/1\.1 200 /g) ?? []).length, { timeout: 10_000 }).toBe(i);
    }
    expect(text).not.toContain('TOO_MANY_PIPELINED_REQUESTS');
    socket.destroy();
  });
});
