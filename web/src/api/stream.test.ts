import { afterEach, describe, expect, it, vi } from 'vitest';
import { openStream, reconnectDelay, retryAfterMs } from './stream';
import type { StreamEvent } from './types';

const time = '2026-01-01T00:00:00.000Z';
const removed = (id: number): StreamEvent & { id: number } => ({
  id,
  kind: 'pack.removed',
  cluster: 'local',
  pack: `p${String(id)}`,
  time,
  data: {},
});

/** A response whose body is `chunks`, then ends (the hub went away). */
function sse(chunks: readonly string[]): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
      controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

const message = (e: StreamEvent & { id: number }) =>
  `id: ${String(e.id)}\nevent: ${e.kind}\ndata: ${JSON.stringify(e)}\n\n`;

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the live stream', () => {
  it('parses messages split anywhere, and resumes after a drop with Last-Event-ID so the hub replays the rest', async () => {
    const asked: (string | null)[] = [];
    const answers = [
      // Split mid-message and mid-line: the shared parser joins them.
      () =>
        sse([
          ': connected\n\n',
          message(removed(4)).slice(0, 20),
          message(removed(4)).slice(20),
          message(removed(5)),
        ]),
      () => sse([message(removed(6))]),
    ];
    vi.stubGlobal('fetch', (_url: string, init: RequestInit) => {
      asked.push(new Headers(init.headers).get('last-event-id'));
      const next = answers.shift();
      return next ? Promise.resolve(next()) : new Promise<Response>(() => undefined);
    });
    const events: StreamEvent[] = [];
    const connections: [boolean, boolean][] = [];
    const close = openStream({
      token: 't',
      cluster: 'local',
      onEvent: (e) => events.push(e),
      onConnection: (connected, resumed) => connections.push([connected, resumed]),
    });
    await vi.waitFor(
      () => {
        expect(events.map((e) => ('id' in e ? e.id : undefined))).toEqual([4, 5, 6]);
      },
      { timeout: 3000 },
    );
    close();
    expect(asked.slice(0, 2)).toEqual([null, '5']);
    expect(connections.slice(0, 3)).toEqual([
      [true, false],
      [false, true],
      [true, true],
    ]);
  });

  it("hands on the hub's reason for refusing the stream, and waits its Retry-After before asking again", async () => {
    const detail = 'this token already has 32 event streams open, the most one token may hold (32)';
    const asked: number[] = [];
    const answers = [
      () =>
        new Response(
          JSON.stringify({ status: 429, code: 'TOO_MANY_STREAMS', title: 'Too Many Requests', detail }),
          {
            status: 429,
            headers: { 'content-type': 'application/problem+json', 'retry-after': '1' },
          },
        ),
      () => sse([message(removed(7))]),
    ];
    vi.stubGlobal('fetch', () => {
      asked.push(performance.now());
      const next = answers.shift();
      return next ? Promise.resolve(next()) : new Promise<Response>(() => undefined);
    });
    const refused: [string, number][] = [];
    const events: StreamEvent[] = [];
    const close = openStream({
      token: 't',
      onEvent: (e) => events.push(e),
      onRefused: (why, after) => refused.push([why, after]),
    });
    await vi.waitFor(
      () => {
        expect(events).toHaveLength(1);
      },
      { timeout: 5000 },
    );
    close();
    expect(refused).toEqual([[detail, 1000]]);
    // The backoff alone would have asked again after 0.4-0.5 s.
    expect((asked[1] ?? 0) - (asked[0] ?? 0)).toBeGreaterThanOrEqual(990);
  });

  it('reads Retry-After as seconds, bounded to 5 minutes, and ignores what is not a positive number', () => {
    expect(['30', ' 2 ', '86400', '0', '-1', 'soon', null].map((h) => retryAfterMs(h))).toEqual([
      30_000, 2_000, 300_000, 0, 0, 0, 0,
    ]);
  });

  it('backs off 0.5 s, 1 s, 2 s, then at most 5 s between attempts', () => {
    expect([0, 1, 2, 3, 10].map((a) => reconnectDelay(a, () => 1))).toEqual([500, 1000, 2000, 4000, 5000]);
    expect(reconnectDelay(10, () => 0)).toBe(4000);
  });
});
