// Review 11, item 1, through the real hub: a client that stops reading a costly answer held its token's slot
// until it closed the connection (bundle-lock.mts: 90 s later still 429); one that reads a little at a time,
// never stalling, held it for as long as it kept reading. A real listening hub on SQLite with no clusters, raw
// sockets that never read or trickle, and short waits.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PackConditionType, PackPhase } from '../status/pack-phase.js';
import { SqliteBackend } from '../store/testing/backends.js';
import type { ServerOptions } from './app.js';
import { startTestHub, type TestHub } from './testing/server.js';
import { readSlowly } from './testing/slow-reader.js';

const backend = new SqliteBackend();
beforeAll(async () => {
  await backend.setup();
});
afterAll(async () => {
  await backend.teardown();
});

/** A hub with `server` options, started before a describe's tests and closed after them. */
function hubFor(server: Partial<ServerOptions>): () => TestHub {
  let t: TestHub | undefined;
  beforeAll(async () => {
    t = await startTestHub(backend, { server });
  });
  afterAll(async () => {
    await t?.close();
  });
  return () => {
    if (!t) throw new Error('the hub is not started');
    return t;
  };
}

const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' } };
/** An answer far larger than the kernel's buffers (32 MiB), so it waits on the client. */
const LARGE = { state: 'Ready', reason: 'Exists', message: 'x'.repeat(32 * 1024 * 1024) } as const;

/** Sends a health-rule test with the viewer's token on a raw socket, paused: the caller decides how it reads. */
function rawTest(t: TestHub): Socket {
  const body = JSON.stringify({ object });
  const url = new URL(t.url);
  const socket = connect(Number(url.port), url.hostname);
  socket.pause();
  socket.write(
    `POST /api/v1/health-rules/test HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${t.tokens.viewer}\r\n` +
      `content-type: application/json\r\ncontent-length: ${String(Buffer.byteLength(body))}\r\n\r\n${body}`,
  );
  return socket;
}

/** Whether the viewer token's one costly slot is free: a health-rule test of its is answered 200, not 429. */
async function slotFree(t: TestHub): Promise<number> {
  return (await t.api('POST', '/api/v1/health-rules/test', { role: 'viewer', body: { object } })).status;
}

describe('a costly answer its client stops reading', () => {
  const hub = hubFor({ maxHeavyPerToken: 1, writeStallMs: 300 });

  it("is cut after the write-stall wait, giving the token's slot back", async () => {
    const t = hub();
    const test = vi.spyOn(t.hub.healthRules, 'test').mockResolvedValue(LARGE);
    let socket: Socket | undefined;
    try {
      socket = rawTest(t);
      await vi.waitFor(
        () => {
          expect(test).toHaveBeenCalled();
        },
        { timeout: 20_000, interval: 20 },
      );
      // The paused client never sees the hub give up (its window is shut): the hub's side is what counts. The
      // token's one slot is held while the answer waits, and free once the hub has cut the connection.
      expect(await slotFree(t)).toBe(429);
      test.mockResolvedValue({ state: 'Ready', reason: 'Exists', message: '' });
      await expect.poll(() => slotFree(t), { timeout: 20_000, interval: 200 }).toBe(200);
    } finally {
      socket?.destroy();
      test.mockRestore();
    }
  }, 60_000);
});

/** A page of history of ~`bytes` (one transition's message): what a route answers through onSend's guard. */
function historyOf(bytes: number) {
  return {
    transitions: [
      {
        time: '2026-01-01T00:00:00.000Z',
        from: PackPhase.Processing,
        to: PackPhase.Failed,
        condition: PackConditionType.Installing,
        reason: 'Failed',
        message: 'x'.repeat(bytes),
      },
    ],
  };
}

const historyRequest = (url: URL, token: string) =>
  `GET /api/v1/clusters/c/packs/p/history HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${token}\r\n\r\n`;

describe('a large answer that fits in one write (write-stall.ts, WHOLE_WRITE_BYTES)', () => {
  const hub = hubFor({ writeStallMs: 300 });

  it('is watched by no timer when its client takes it at once (the page a reader polls)', async () => {
    const t = hub();
    const history = vi.spyOn(t.hub, 'packHistory').mockResolvedValue(historyOf(200 * 1024));
    const timers = vi.spyOn(globalThis, 'setInterval');
    try {
      const answer = await t.api('GET', '/api/v1/clusters/c/packs/p/history', { role: 'viewer' });
      expect(answer.status).toBe(200);
      expect(answer.text.length).toBeGreaterThan(200 * 1024);
      expect(timers).not.toHaveBeenCalled();
    } finally {
      timers.mockRestore();
      history.mockRestore();
    }
  });

  it("is still cut after the write-stall wait when the socket could not take it: its client's reads pipelined, none read", async () => {
    const t = hub();
    // 40 answers of 200 KiB: far more than the kernel takes for a client that reads nothing (~2 MiB here).
    const history = vi.spyOn(t.hub, 'packHistory').mockResolvedValue(historyOf(200 * 1024));
    const accepted = new Promise<Socket>((resolve) => t.server.app.server.once('connection', resolve));
    const url = new URL(t.url);
    const stalled = connect(Number(url.port), url.hostname);
    stalled.pause();
    try {
      stalled.write(historyRequest(url, t.tokens.viewer).repeat(40));
      const hubSide = await accepted;
      await vi.waitFor(
        () => {
          expect(history).toHaveBeenCalled();
        },
        { timeout: 20_000, interval: 20 },
      );
      await expect.poll(() => hubSide.destroyed, { timeout: 15_000, interval: 100 }).toBe(true);
    } finally {
      stalled.destroy();
      history.mockRestore();
    }
  }, 60_000);
});

describe('a costly answer its client trickles', () => {
  // A stall wait far past the test: only the answer's deadline can cut, 1 s plus 32 MiB at 16 MiB/s (3 s).
  const hub = hubFor({
    maxHeavyPerToken: 1,
    writeStallMs: 600_000,
    answerDeadline: { baseMs: 1_000, bytesPerSecond: 16 * 1024 * 1024 },
  });

  it("is cut at the answer's deadline, giving the token's slot back while the client still reads", async () => {
    const t = hub();
    const test = vi.spyOn(t.hub.healthRules, 'test').mockResolvedValue(LARGE);
    let socket: Socket | undefined;
    try {
      // One read (at most 64 KiB) every 100 ms: at most 640 KiB/s, 50 s or more for the whole answer.
      socket = rawTest(t);
      const reader = readSlowly(socket, 100);
      // Serializing 32 MiB takes a while on a busy machine.
      await vi.waitFor(
        () => {
          expect(reader.received).toBeGreaterThan(0);
        },
        { timeout: 20_000, interval: 20 },
      );
      expect(await slotFree(t)).toBe(429);
      test.mockResolvedValue({ state: 'Ready', reason: 'Exists', message: '' });
      await expect.poll(() => slotFree(t), { timeout: 15_000, interval: 200 }).toBe(200);
      // The client was still taking its answer, not stalled: the deadline cut it, not the stall wait.
      expect(reader.received).toBeLessThan(LARGE.message.length);
    } finally {
      socket?.destroy();
      test.mockRestore();
    }
  }, 60_000);

  it('cuts any other large answer too (a page of history): a trickling client does not keep it for ever', async () => {
    const t = hub();
    const page = {
      transitions: [
        {
          time: '2026-01-01T00:00:00.000Z',
          from: PackPhase.Processing,
          to: PackPhase.Failed,
          condition: PackConditionType.Installing,
          reason: 'Failed',
          message: LARGE.message,
        },
      ],
    };
    const history = vi.spyOn(t.hub, 'packHistory').mockResolvedValue(page);
    // The hub's side of the connection: no slot is held, so its close is what the deadline is seen by.
    const accepted = new Promise<Socket>((resolve) => t.server.app.server.once('connection', resolve));
    const url = new URL(t.url);
    const trickling = connect(Number(url.port), url.hostname);
    const reader = readSlowly(trickling, 100);
    try {
      trickling.write(
        `GET /api/v1/clusters/c/packs/p/history HTTP/1.1\r\nhost: ${url.host}\r\n` +
          `authorization: Bearer ${t.tokens.viewer}\r\n\r\n`,
      );
      const hubSide = await accepted;
      await vi.waitFor(
        () => {
          expect(history).toHaveBeenCalled();
          expect(reader.received).toBeGreaterThan(0);
        },
        { timeout: 20_000, interval: 20 },
      );
      await expect.poll(() => hubSide.destroyed, { timeout: 15_000, interval: 100 }).toBe(true);
      expect(reader.received).toBeLessThan(LARGE.message.length);
    } finally {
      trickling.destroy();
      history.mockRestore();
    }
  }, 60_000);
});
