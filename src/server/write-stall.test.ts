// A costly answer whose client stops reading is cut after the write-stall wait, so its slot is given back
// (review 11, item 1); a client reading slowly but steadily gets the whole answer, byte for byte, whether the
// answer is ended in one piece or piped from a stream of large chunks (progress is read through Node's public
// stream API, which sees a write only once it is taken whole: write-stall.ts hands large pieces over in slices),
// if it takes it by the answer's deadline (a base plus its size at a rate); one that trickles is cut then.
// A real listening server and a raw socket that pauses: the kernel's buffers fill for real.
import { createHash } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readSlowly } from './testing/slow-reader.js';
import { cutSlowAnswer, type AnswerLimits } from './write-stall.js';

const STALL_MS = 300;
/** The stall wait, and a deadline of 300 ms plus BODY at 512 KiB/s (32 s): the steady readers take BODY sooner. */
const LIMITS: AnswerLimits = { stallMs: STALL_MS, deadline: { baseMs: 300, bytesPerSecond: 512 * 1024 } };
/** 16 MiB in which every 4 bytes differ from the last (a slice out of order or lost would show). */
const BODY = Buffer.alloc(16 * 1024 * 1024);
for (let i = 0; i < BODY.length; i += 4) BODY.writeUInt32LE(i, i);
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

let server: Server | undefined;
let client: Socket | undefined;
afterEach(async () => {
  client?.destroy();
  const closing = server;
  server = undefined;
  if (closing) await new Promise((resolve) => closing.close(resolve));
});

/**
 * A server answering every request with BODY, watched with `limits`: in one `end` (as Fastify sends a body), or
 * piped from a stream of 1 MiB chunks; resolves its port and the responses.
 */
async function serve(
  how: 'end' | 'piped' = 'end',
  limits: AnswerLimits = LIMITS,
): Promise<{ port: number; closed: ServerResponse[] }> {
  const closed: ServerResponse[] = [];
  const listening = createServer((_req, res) => {
    cutSlowAnswer(res, limits);
    res.once('close', () => closed.push(res));
    res.writeHead(200, { 'content-length': String(BODY.length) });
    if (how === 'end') res.end(BODY);
    else
      Readable.from(
        Array.from({ length: 16 }, (_, i) => BODY.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024)),
      ).pipe(res);
  });
  server = listening;
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  return { port: (listening.address() as AddressInfo).port, closed };
}

function request(port: number): Socket {
  const socket = connect(port, '127.0.0.1');
  socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
  return socket;
}

describe('write stall of a costly answer', () => {
  it('destroys the connection of a client that reads nothing, so its close frees the slot', async () => {
    const { port, closed } = await serve();
    client = request(port);
    client.pause();
    await vi.waitFor(
      () => {
        expect(closed).toHaveLength(1);
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(closed[0]?.writableFinished).toBe(false);
  });

  for (const how of ['end', 'piped'] as const)
    it(`keeps serving a client that reads slowly but steadily, longer than the stall wait (${how})`, async () => {
      const { port, closed } = await serve(how);
      const started = Date.now();
      client = request(port);
      const reader = readSlowly(client, 10);
      // The hub's side closes once the kernel took the last byte, or when it cut the answer (fails at once).
      await vi.waitFor(
        () => {
          expect(closed).toHaveLength(1);
        },
        { timeout: 60_000, interval: 50 },
      );
      expect(closed[0]?.writableFinished).toBe(true);
      await vi.waitFor(
        () => {
          expect(reader.received).toBeGreaterThan(BODY.length); // the body and the head
        },
        { timeout: 10_000, interval: 50 },
      );
      expect(client.destroyed).toBe(false);
      expect(Date.now() - started).toBeGreaterThan(3 * STALL_MS);
      const answer = Buffer.concat(reader.chunks);
      expect(sha256(answer.subarray(answer.indexOf('\r\n\r\n') + 4))).toBe(sha256(BODY));
    }, 60_000);

  for (const how of ['end', 'piped'] as const)
    it(`destroys the connection of a client that trickles past the answer's deadline, never stalling (${how})`, async () => {
      // A stall wait far past the test: only the deadline can cut. 1 s plus BODY at 16 MiB/s is 2 s; the client
      // takes one read (at most 64 KiB) every 50 ms, about 1.3 MiB/s: BODY would take it 12 s or more.
      const { port, closed } = await serve(how, {
        stallMs: 60_000,
        deadline: { baseMs: 1_000, bytesPerSecond: 16 * 1024 * 1024 },
      });
      const started = Date.now();
      client = request(port);
      const reader = readSlowly(client, 50);
      await vi.waitFor(
        () => {
          expect(closed).toHaveLength(1);
        },
        { timeout: 30_000, interval: 50 },
      );
      expect(closed[0]?.writableFinished).toBe(false);
      expect(reader.received).toBeGreaterThan(0);
      expect(reader.received).toBeLessThan(BODY.length);
      expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    }, 30_000);
});
