// A minimal SSE client for the hub benches: one plain HTTP connection to /api/v1/events that records, per
// persisted event, when its message was complete (epoch milliseconds with sub-millisecond precision, so
// processes on one machine compare). It parses only the `id:` line unless asked for the whole event, so 10,000 of
// them in a few processes measure the hub's fan-out rather than the clients' JSON parsing.
import { Agent, request } from 'node:http';
import { connect } from 'node:net';

/** Epoch milliseconds, sub-millisecond: comparable between processes on one machine. */
export const now = (): number => performance.timeOrigin + performance.now();

export interface SseMessage {
  readonly id: number | undefined;
  readonly kind: string | undefined;
  /** The `data:` line, only when the client was opened with `parse: true`. */
  readonly data: string | undefined;
  readonly at: number;
}

export interface SseClient {
  /** Resolves once the hub said the stream is live (`: live`). */
  readonly live: Promise<void>;
  close(): void;
}

/** One agent without a socket limit for every connection of a process. */
const agent = new Agent({ keepAlive: false, maxSockets: Infinity });

export function openSse(options: {
  readonly url: string;
  readonly token: string;
  readonly cluster: string;
  readonly parse?: boolean;
  readonly onMessage: (message: SseMessage) => void;
  readonly onEnd?: (error: Error | undefined) => void;
}): SseClient {
  const url = new URL('/api/v1/events', options.url);
  url.searchParams.set('cluster', options.cluster);
  let markLive = () => {};
  let failLive = (_error: Error) => {};
  const live = new Promise<void>((resolve, reject) => {
    markLive = resolve;
    failLive = reject;
  });
  const req = request(url, {
    agent,
    headers: { authorization: `Bearer ${options.token}`, accept: 'text/event-stream' },
  });
  req.on('response', (res) => {
    if (res.statusCode !== 200) {
      failLive(new Error(`GET ${url.pathname}: HTTP ${String(res.statusCode)}`));
      res.resume();
      return;
    }
    res.setEncoding('utf8');
    let rest = '';
    res.on('data', (chunk: string) => {
      const at = now();
      rest += chunk;
      let end = rest.indexOf('\n\n');
      while (end !== -1) {
        const message = rest.slice(0, end);
        rest = rest.slice(end + 2);
        end = rest.indexOf('\n\n');
        if (message.startsWith(':')) {
          if (message === ': live') markLive();
          continue;
        }
        let id: number | undefined;
        let kind: string | undefined;
        let data: string | undefined;
        for (const line of message.split('\n')) {
          if (line.startsWith('id: ')) id = Number(line.slice(4));
          else if (line.startsWith('event: ')) kind = line.slice(7);
          else if (options.parse === true && line.startsWith('data: ')) data = line.slice(6);
        }
        options.onMessage({ id, kind, data, at });
      }
    });
    res.on('end', () => options.onEnd?.(undefined));
    res.on('error', (error) => options.onEnd?.(error));
  });
  req.on('error', (error) => {
    failLive(error);
    options.onEnd?.(error);
  });
  req.end();
  return {
    live,
    close() {
      req.destroy();
    },
  };
}

const ID_LINE = Buffer.from('\nid: ');
const LIVE_LINE = Buffer.from('\n: live\n');
/** Longer than any `\nid: <number>\n` or `\n: live\n` that a read can cut in two. */
const KEEP = 32;

/**
 * A stream that only finds the event ids, for the thousands of counting clients of the fan-out bench: one raw
 * socket, no HTTP response object, no text decoding, the ids found with Buffer.indexOf. With http.request and
 * a UTF-8 parse of every message, the client processes spent 39 µs of CPU per stream per cycle, more than the
 * hub's 23 µs of writing, so on 2 cores the receiving processes were the tail of the figure. The response is
 * chunked; its chunk-size lines cannot look like `\nid: `, and each SSE message is inside one chunk.
 */
export function openIdOnlySse(options: {
  readonly url: string;
  readonly token: string;
  readonly cluster: string;
  readonly onId: (id: number, at: number) => void;
  readonly onEnd?: (error: Error | undefined) => void;
}): SseClient {
  const url = new URL('/api/v1/events', options.url);
  url.searchParams.set('cluster', options.cluster);
  let markLive = () => {};
  let failLive = (_error: Error) => {};
  let live = false;
  const livePromise = new Promise<void>((resolve, reject) => {
    markLive = () => {
      live = true;
      resolve();
    };
    failLive = reject;
  });
  const socket = connect(Number(url.port), url.hostname);
  socket.write(
    `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n` +
      `Authorization: Bearer ${options.token}\r\nAccept: text/event-stream\r\n\r\n`,
  );
  let head = true;
  let rest: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    const at = now();
    let buf = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
    if (head) {
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) {
        rest = buf;
        return;
      }
      const status = buf.toString('latin1', 0, Math.min(end, 64)).split('\r\n')[0] ?? '';
      if (!/^HTTP\/1\.1 200 /.test(status)) {
        failLive(new Error(`GET ${url.pathname}: ${status}`));
        socket.destroy();
        return;
      }
      head = false;
      // From the header's last CRLF on, so the first message, like every other, follows a "\n".
      buf = buf.subarray(end + 2);
    }
    let from = 0;
    for (;;) {
      const start = buf.indexOf(ID_LINE, from);
      if (start === -1) break;
      const end = buf.indexOf(10, start + ID_LINE.length);
      if (end === -1) {
        from = start;
        break;
      }
      options.onId(Number(buf.toString('latin1', start + ID_LINE.length, end)), at);
      from = end;
    }
    if (!live && buf.indexOf(LIVE_LINE) !== -1) markLive();
    rest = buf.subarray(Math.max(from, buf.length - KEEP));
  });
  socket.on('end', () => options.onEnd?.(undefined));
  socket.on('error', (error) => {
    failLive(error);
    options.onEnd?.(error);
  });
  return {
    live: livePromise,
    close() {
      socket.destroy();
    },
  };
}
