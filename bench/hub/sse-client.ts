// A minimal SSE client for the hub benches: one plain HTTP connection to /api/v1/events that records, per
// persisted event, when its message was complete (epoch milliseconds with sub-millisecond precision, so
// processes on one machine compare). It parses only the `id:` line unless asked for the whole event, so 10,000 of
// them in a few processes measure the hub's fan-out rather than the clients' JSON parsing.
import { Agent, request } from 'node:http';

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
