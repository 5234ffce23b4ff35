// The live stream over fetch rather than EventSource: EventSource cannot send the Authorization header the
// API requires, and a token in the URL would end up in access logs. It does what EventSource does, with the
// one SSE parser the CLI uses too (src/server/sse-parser.ts): resumes with `Last-Event-ID` after a drop (the
// hub replays what was missed), and reconnects with capped backoff. A stream that goes silent past the
// hub's heartbeat is treated as dropped: a dead hub is noticed even when no TCP reset arrives. A stream the
// hub refuses (429 TOO_MANY_STREAMS, 503) is retried no sooner than its Retry-After, and the hub's reason is
// handed to the page: the hub is up, and "unreachable" would be the wrong thing to say.
import { SseParser } from '../../../src/server/sse-parser';
import { API, readProblem } from './client';
import type { StreamEvent } from './types';

export interface StreamOptions {
  readonly token: string;
  readonly cluster?: string;
  readonly onEvent: (event: StreamEvent) => void;
  /** Connected (true) or lost and retrying (false). `resumed` is true after a reconnect. */
  readonly onConnection?: (connected: boolean, resumed: boolean) => void;
  readonly onUnauthorized?: () => void;
  /**
   * The hub answered and refused the stream (429, 503): its own words, and the Retry-After it asked for (0 when
   * none); the next attempt waits at least that long. onConnection(false) follows as for any drop.
   */
  readonly onRefused?: (detail: string, retryAfterMs: number) => void;
  /** No byte for this long (the hub sends a heartbeat every 15 s) ends the connection. Default 40 s. */
  readonly idleTimeoutMs?: number;
}

/** Capped exponential backoff with jitter (style.md rule 3): 0.5 s, 1 s, 2 s, then every 4–5 s at most. */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  return Math.min(5_000, 500 * 2 ** attempt) * (0.8 + random() / 5);
}

/** Retry-After in seconds (RFC 9110 also allows a date; the hub sends seconds), bounded to 5 minutes. */
export function retryAfterMs(header: string | null): number {
  const seconds = header === null ? NaN : Number(header.trim());
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 300) * 1000 : 0;
}

/** Opens the stream; the returned function closes it for good. */
export function openStream(options: StreamOptions): () => void {
  const controller = new AbortController();
  let lastId = '';
  let attempt = 0;
  let connectedOnce = false;
  // A function, not the property: the compiler would narrow it to false after the loop's own check.
  const closed = () => controller.signal.aborted;

  const run = async () => {
    while (!controller.signal.aborted) {
      const connection = new AbortController();
      let idle: ReturnType<typeof setTimeout> | undefined;
      let notBefore = 0;
      const watch = () => {
        clearTimeout(idle);
        idle = setTimeout(() => {
          connection.abort();
        }, options.idleTimeoutMs ?? 40_000);
      };
      try {
        const query = options.cluster === undefined ? '' : `?cluster=${encodeURIComponent(options.cluster)}`;
        const response = await fetch(`${API}/events${query}`, {
          headers: {
            authorization: `Bearer ${options.token}`,
            accept: 'text/event-stream',
            ...(lastId === '' ? {} : { 'last-event-id': lastId }),
          },
          signal: AbortSignal.any([controller.signal, connection.signal]),
          cache: 'no-store',
        });
        if (response.status === 401 || response.status === 403) {
          options.onUnauthorized?.();
          return;
        }
        if (response.status === 429 || response.status === 503) {
          notBefore = retryAfterMs(response.headers.get('retry-after'));
          const problem = await readProblem(response);
          const detail = problem?.detail ?? `the hub answered ${response.status} ${response.statusText}`;
          options.onRefused?.(detail, notBefore);
          throw new Error(detail);
        }
        if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
        attempt = 0;
        options.onConnection?.(true, connectedOnce);
        connectedOnce = true;
        const parser = new SseParser(lastId);
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        watch();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          watch();
          for (const item of parser.push(value)) {
            if (item.type !== 'message') continue;
            lastId = item.message.lastEventId;
            let event: StreamEvent;
            try {
              event = JSON.parse(item.message.data) as StreamEvent;
            } catch {
              continue; // A message that is not JSON is not ours to act on.
            }
            options.onEvent(event);
          }
        }
      } catch {
        if (closed()) return;
      } finally {
        clearTimeout(idle);
      }
      if (closed()) return;
      options.onConnection?.(false, connectedOnce);
      const delay = Math.max(notBefore, reconnectDelay(attempt));
      attempt++;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  };
  void run();
  return () => {
    controller.abort();
  };
}
