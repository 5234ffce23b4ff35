import { describe, expect, it } from 'vitest';
import { KubeError, KubeErrorCode } from './errors.js';
import { MAX_WATCH_LINE_BYTES } from './limits.js';
import { watchEvents, type RawWatchEvent } from './watch-stream.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** A byte stream pulled chunk by chunk, as undici delivers a response body; counts what was pulled. */
function chunked(chunks: Iterable<Uint8Array>): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  const it = chunks[Symbol.iterator]();
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = it.next();
      if (next.done) {
        controller.close();
        return;
      }
      pulled += next.value.length;
      controller.enqueue(next.value);
    },
  });
  return { stream, pulled: () => pulled };
}

/** `head`, then `total` bytes of "a" in chunks of `size`, then `tail`. */
function* longLine(head: string, total: number, size: number, tail = ''): Generator<Uint8Array> {
  yield Buffer.from(head);
  const chunk = Buffer.alloc(size, 'a');
  for (let sent = 0; sent < total; sent += size) yield chunk;
  if (tail) yield Buffer.from(tail);
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  options: Parameters<typeof watchEvents>[1] = {},
): Promise<RawWatchEvent<{ data?: { x?: string } }>[]> {
  const events: RawWatchEvent<{ data?: { x?: string } }>[] = [];
  for await (const e of watchEvents<{ data?: { x?: string } }>(stream, options)) events.push(e);
  return events;
}

describe('watchEvents', () => {
  it('splits lines across and within chunks, multi-byte characters cut between chunks included', async () => {
    const text = [
      '{"type":"ADDED","object":{"data":{"x":"é1"}}}',
      'not json',
      '{"type":"MODIFIED","object":{"data":{"x":"2"}}}',
      '{"type":"DELETED","object":{"data":{"x":"3"}}}',
    ].join('\n');
    const bytes = Buffer.from(text);
    const cut = bytes.indexOf(Buffer.from('é')) + 1; // inside the two bytes of é
    const { stream } = chunked([bytes.subarray(0, cut), bytes.subarray(cut, 60), bytes.subarray(60)]);
    const events = await collect(stream);
    expect(events.map((e) => [e.type, (e.object as { data: { x: string } }).data.x])).toEqual([
      ['ADDED', 'é1'],
      ['MODIFIED', '2'],
      ['DELETED', '3'],
    ]);
  });

  it("gives each object event its line's estimated heap, what a ListWatch counts it at", async () => {
    const lines = ['{"type":"ADDED","object":{"data":{"x":"é"}}}', '{"type":"DELETED","object":{}}'];
    const { stream } = chunked([Buffer.from(lines.join('\n') + '\n')]);
    const events = await collect(stream);
    expect(events.map((e) => (e.type === 'ADDED' || e.type === 'DELETED' ? e.size : undefined))).toEqual([
      // Its bytes, 56 per `{` and 8 per `:` or `,`.
      Buffer.byteLength(lines[0] ?? '') + 3 * 56 + 5 * 8,
      Buffer.byteLength(lines[1] ?? '') + 2 * 56 + 3 * 8,
    ]);
  });

  // Review 19, item 2: 4 MiB of `[{},…]` is within the line's bytes and ~90 MiB of heap once parsed.
  it('refuses, before parsing it, a line whose structure would parse into more than the limit', async () => {
    const filler = '{},'.repeat(1.3 * MiB);
    const line = `{"type":"ADDED","object":{"metadata":{"name":"a"},"status":{"x":[${filler}{}]}}}\n`;
    expect(line.length).toBeLessThan(MAX_WATCH_LINE_BYTES);
    const { stream } = chunked([
      Buffer.from('{"type":"ADDED","object":{"metadata":{"name":"before"}}}\n'),
      Buffer.from(line),
    ]);
    const events: string[] = [];
    const error = await (async () => {
      for await (const e of watchEvents(stream, { what: 'watch /api/v1/pods' })) events.push(e.type);
    })().catch((e: unknown) => e);
    expect(events).toEqual(['ADDED']);
    expect(error).toMatchObject({ code: KubeErrorCode.TooLarge, retryable: true });
    expect((error as KubeError).message).toBe(
      "watch /api/v1/pods: the API server sent a watch event that would take more than 16 MiB of memory once parsed (the hub's limit); the watch is ended and started again after a backoff",
    );
  });

  // Appending each chunk to one string and searching it from the start made this cost the square of the line:
  // minutes of the hub's event loop for 12 MiB in 4 KiB chunks.
  it('reads a 12 MiB line arriving in 4 KiB chunks in linear time', { timeout: 5000 }, async () => {
    const { stream } = chunked(
      longLine('{"type":"ADDED","object":{"data":{"x":"', 12 * MiB, 4 * KiB, '"}}}\n'),
    );
    // Above the hub's limit (4 MiB) on purpose: the cost of a long line is what is measured here.
    const events = await collect(stream, { maxLineBytes: 16 * MiB });
    expect(events).toHaveLength(1);
    expect((events[0]?.object as { data: { x: string } }).data.x).toHaveLength(12 * MiB);
  });

  it('ends the watch with a retryable TooLarge error once a line passes the limit, reading no further', async () => {
    const { stream, pulled } = chunked(
      longLine('{"type":"ADDED","object":{"data":{"x":"', 64 * MiB, 64 * KiB),
    );
    const error = await collect(stream, { what: 'watch /api/v1/pods on https://k.example' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KubeError);
    expect(error).toMatchObject({ code: KubeErrorCode.TooLarge, retryable: true });
    expect((error as KubeError).message).toBe(
      "watch /api/v1/pods on https://k.example: the API server sent a watch event longer than 4 MiB (the hub's limit); the watch is ended and started again after a backoff",
    );
    expect(pulled()).toBeLessThanOrEqual(MAX_WATCH_LINE_BYTES + 128 * KiB);
  });

  it('refuses a complete line over the limit too, and keeps the events before it', async () => {
    const { stream } = chunked([
      Buffer.from(
        '{"type":"ADDED","object":{"data":{"x":"1"}}}\n' +
          '{"type":"ADDED","object":{"x":"' +
          'a'.repeat(200) +
          '"}}\n',
      ),
    ]);
    const events: string[] = [];
    const error = await (async () => {
      for await (const e of watchEvents(stream, { maxLineBytes: 100 })) events.push(e.type);
    })().catch((e: unknown) => e);
    expect(events).toEqual(['ADDED']);
    expect(error).toMatchObject({ code: KubeErrorCode.TooLarge });
    expect((error as KubeError).message).toContain('longer than 100 bytes');
  });
});
