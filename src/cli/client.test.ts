import { describe, expect, it } from 'vitest';
import { HubClient } from './client.js';
import { loadCliConfig } from './config.js';
import type { HubEvent } from './types.js';

const config = loadCliConfig({ env: { HOME: '/nonexistent', STRATA_TOKEN: 't' } });

const sse = (text: string, status = 200) =>
  new Response(
    new ReadableStream({
      start(controller) {
        // Split mid-message, as a network would.
        const bytes = new TextEncoder().encode(text);
        controller.enqueue(bytes.slice(0, 17));
        controller.enqueue(bytes.slice(17));
        controller.close();
      },
    }),
    { status, headers: { 'content-type': 'text/event-stream' } },
  );

const message = (id: number, kind = 'pack.status') =>
  `id: ${id}\nevent: ${kind}\ndata: ${JSON.stringify({ id, kind, cluster: 'dev', pack: 'a', time: 't', data: {} })}\n\n`;

describe('HubClient.events', () => {
  it("tells where the hub's replay ends, and a caller that stops there gets nothing after it", async () => {
    const body = `: connected\n\n${message(1)}${message(2)}: live\n\n${message(3)}`;
    const client = new HubClient(config, {
      fetch: (() => Promise.resolve(sse(body))) as unknown as typeof fetch,
    });
    const controller = new AbortController();
    const events: HubEvent[] = [];
    let live = 0;
    for await (const event of client.events({
      lastEventId: '0',
      signal: controller.signal,
      onLive: () => {
        live++;
        controller.abort();
      },
    }))
      events.push(event);
    expect(events.map((e) => e.id)).toEqual([1, 2]);
    expect(live).toBe(1);
  });

  it('resumes after a dropped stream with Last-Event-ID, backing off without sleeping in the test', async () => {
    const seen: (string | undefined)[] = [];
    const bodies = [`: connected\n\n${message(1)}${message(2)}`, `: connected\n\n${message(3)}`];
    const fakeFetch = (_url: string, init: RequestInit) => {
      seen.push((init.headers as Record<string, string>)['last-event-id']);
      const body = bodies.shift();
      return Promise.resolve(body === undefined ? new Response('', { status: 404 }) : sse(body));
    };
    const client = new HubClient(config, { fetch: fakeFetch as unknown as typeof fetch });
    const delays: number[] = [];
    const opens: boolean[] = [];
    const events: HubEvent[] = [];
    const controller = new AbortController();
    for await (const event of client.events({
      cluster: 'dev',
      signal: controller.signal,
      sleep: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
      onOpen: ({ reconnect }) => {
        opens.push(reconnect);
      },
    })) {
      events.push(event);
      if (event.id === 3) controller.abort();
    }
    expect(events.map((e) => e.id)).toEqual([1, 2, 3]);
    expect(seen).toEqual([undefined, '2']);
    expect(opens).toEqual([false, true]);
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThanOrEqual(250);
    expect(delays[0]).toBeLessThanOrEqual(500);
  });

  it('drops a stream that goes silent (no heartbeat) and reconnects from the last event', async () => {
    const seen: (string | undefined)[] = [];
    const fakeFetch = (_url: string, init: RequestInit) => {
      seen.push((init.headers as Record<string, string>)['last-event-id']);
      // The first connection sends one event and then nothing, never closing: a hub behind a dead network.
      const silent = seen.length === 1;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(`: connected\n\n${message(silent ? 1 : 2)}`));
          if (!silent) controller.close();
        },
      });
      return Promise.resolve(new Response(body, { headers: { 'content-type': 'text/event-stream' } }));
    };
    const client = new HubClient(config, { fetch: fakeFetch as unknown as typeof fetch });
    const controller = new AbortController();
    const drops: unknown[] = [];
    const events: HubEvent[] = [];
    for await (const event of client.events({
      signal: controller.signal,
      idleTimeoutMs: 20,
      sleep: () => Promise.resolve(),
      onDrop: (error) => drops.push(error),
    })) {
      events.push(event);
      if (event.id === 2) controller.abort();
    }
    expect(events.map((e) => e.id)).toEqual([1, 2]);
    expect(seen).toEqual([undefined, '1']);
    expect(drops).toHaveLength(1);
  });

  it('does not retry what retrying cannot fix (401, 404), and reports it', async () => {
    let calls = 0;
    const fakeFetch = () => {
      calls++;
      return Promise.resolve(
        new Response(JSON.stringify({ status: 404, detail: 'cluster "x" not found', code: 'NOT_FOUND' }), {
          status: 404,
        }),
      );
    };
    const client = new HubClient(config, { fetch: fakeFetch as unknown as typeof fetch });
    await expect(async () => {
      for await (const _ of client.events({ cluster: 'x', sleep: () => Promise.resolve() })) {
        // nothing arrives
      }
    }).rejects.toThrow('cluster "x" not found');
    expect(calls).toBe(1);
  });
});
