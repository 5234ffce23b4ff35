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

const ID = Buffer.from('id: ');
/** An `id:` line anywhere but at the start of what is scanned. */
const ID_LINE = Buffer.from('\nid: ');
const LIVE = Buffer.from(': live\n');
const LIVE_LINE = Buffer.from('\n: live\n');
const NEWLINE = 10;

/** Whether `buf` has `prefix` at `at`. */
function startsWith(buf: Buffer, at: number, prefix: Buffer): boolean {
  for (let i = 0; i < prefix.length; i++) if (buf[at + i] !== prefix[i]) return false;
  return true;
}

/** The decimal number at `at` in `buf`, up to the end of its line. */
function digitsAt(buf: Buffer, at: number): number {
  let n = 0;
  for (let i = at; i < buf.length; i++) {
    const digit = (buf[i] ?? NEWLINE) - 0x30;
    if (digit < 0 || digit > 9) break;
    n = n * 10 + digit;
  }
  return n;
}

/**
 * Every id-only stream of a process reads into this one buffer (net's `onread`): what a read brings is scanned
 * before the next read of any socket overwrites it, and only an unfinished line is copied out.
 */
const READ_BUFFER = Buffer.alloc(64 * 1024);

/**
 * A stream that only finds the event ids, for the thousands of counting clients of the fan-out bench: one raw
 * socket, no HTTP response object, no text decoding, the ids found with Buffer.indexOf. With http.request and
 * a UTF-8 parse of every message, the client processes spent 39 µs of CPU per stream per cycle, more than the
 * hub's 23 µs of writing, so on 2 cores the receiving processes were the tail of the figure. A socket's reads go
 * through `onread` into a buffer shared by the process: no Readable stream, no 'data' event and no Buffer
 * allocated per read (a 'data' handler that joined each read to the previous one's tail still cost 30 µs per
 * stream per cycle). The response is chunked; its chunk-size lines cannot look like `id: ` at a line start,
 * and each SSE message is inside one chunk.
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
  let head: Buffer | undefined = Buffer.alloc(0);
  /** The unfinished last line of the reads so far (a read can end inside one), copied out of READ_BUFFER. */
  let partial: Buffer | undefined;
  /**
   * The whole lines of `buf`, which starts at a line start: ids reported, `: live` noticed; returns where its
   * unfinished last line starts. The `id:` lines are searched for as such (a newline, then `id: `) rather than
   * every line looked at in turn, and their digits read as bytes rather than through a string: a message has four
   * lines and one id, and each look was a native call (half the JavaScript of a read). A `data:` line is JSON on
   * one line (no raw newline in it), so `\nid: ` is always the start of an id line.
   */
  const scan = (buf: Buffer, at: number): number => {
    const whole = buf.lastIndexOf(NEWLINE);
    if (whole === -1) return 0;
    if (startsWith(buf, 0, ID)) options.onId(digitsAt(buf, ID.length), at);
    for (let i = buf.indexOf(ID_LINE); i !== -1 && i < whole; i = buf.indexOf(ID_LINE, i + ID_LINE.length))
      options.onId(digitsAt(buf, i + ID_LINE.length), at);
    if (!live && (startsWith(buf, 0, LIVE) || buf.indexOf(LIVE_LINE) !== -1)) markLive();
    return whole + 1;
  };
  const onRead = (bytes: Buffer): void => {
    const at = now();
    let buf = bytes;
    if (head !== undefined) {
      const all: Buffer = Buffer.concat([head, bytes]);
      const end = all.indexOf('\r\n\r\n');
      if (end === -1) {
        head = all;
        return;
      }
      const status = all.toString('latin1', 0, Math.min(end, 64)).split('\r\n')[0] ?? '';
      if (!/^HTTP\/1\.1 200 /.test(status)) {
        failLive(new Error(`GET ${url.pathname}: ${status}`));
        socket.destroy();
        return;
      }
      head = undefined;
      buf = all.subarray(end + 4);
    } else if (partial !== undefined) buf = Buffer.concat([partial, bytes]);
    const rest = scan(buf, at);
    partial = rest === buf.length ? undefined : Buffer.from(buf.subarray(rest));
  };
  const socket = connect({
    port: Number(url.port),
    host: url.hostname,
    onread: {
      buffer: READ_BUFFER,
      // true: keep reading (false would pause the socket).
      callback: (nread: number, buf: Uint8Array) => {
        onRead(Buffer.from(buf.buffer, buf.byteOffset, nread));
        return true;
      },
    },
  });
  socket.write(
    `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n` +
      `Authorization: Bearer ${options.token}\r\nAccept: text/event-stream\r\n\r\n`,
  );
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
