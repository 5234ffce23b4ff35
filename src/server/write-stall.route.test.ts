// Review 11, item 1, through the real hub: a client that stops reading a costly answer held its token's slot
// until it closed the connection (bundle-lock.mts: 90 s later still 429). A real listening hub on SQLite with
// no clusters, a raw socket that never reads, and a short write-stall wait.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SqliteBackend } from '../store/testing/backends.js';
import { startTestHub, type TestHub } from './testing/server.js';

const backend = new SqliteBackend();
let t: TestHub;

beforeAll(async () => {
  await backend.setup();
  t = await startTestHub(backend, { server: { maxHeavyPerToken: 1, writeStallMs: 300 } });
});
afterAll(async () => {
  await t.close();
  await backend.teardown();
});

const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' } };

describe('a costly answer its client stops reading', () => {
  it("is cut after the write-stall wait, giving the token's slot back", async () => {
    // An answer far larger than the kernel's buffers, so it waits on the client.
    const test = vi
      .spyOn(t.hub.healthRules, 'test')
      .mockResolvedValue({ state: 'Ready', reason: 'Exists', message: 'x'.repeat(32 * 1024 * 1024) });
    let socket: Socket | undefined;
    try {
      const body = JSON.stringify({ object });
      const url = new URL(t.url);
      socket = connect(Number(url.port), url.hostname);
      socket.pause();
      socket.write(
        `POST /api/v1/health-rules/test HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${t.tokens.viewer}\r\n` +
          `content-type: application/json\r\ncontent-length: ${String(Buffer.byteLength(body))}\r\n\r\n${body}`,
      );
      await vi.waitFor(() => {
        expect(test).toHaveBeenCalled();
      });
      // The paused client never sees the hub give up (its window is shut): the hub's side is what counts. The
      // token's one slot is held while the answer waits, and free once the hub has cut the connection.
      const refused = await t.api('POST', '/api/v1/health-rules/test', { role: 'viewer', body: { object } });
      expect(refused.status).toBe(429);
      test.mockResolvedValue({ state: 'Ready', reason: 'Exists', message: '' });
      await vi.waitFor(
        async () => {
          const again = await t.api('POST', '/api/v1/health-rules/test', {
            role: 'viewer',
            body: { object },
          });
          expect(again.status).toBe(200);
        },
        { timeout: 20_000, interval: 200 },
      );
    } finally {
      socket?.destroy();
      test.mockRestore();
    }
  }, 60_000);
});
