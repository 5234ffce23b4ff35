// The live stream over fetch rather than EventSource: EventSource cannot send the Authorization header the
// API requires, and a token in the URL would end up in access logs. It does what EventSource does: parses
// `text/event-stream`, resumes with `Last-Event-ID` after a drop, and reconnects with capped backoff.
import { API } from './client';
import type { StreamEvent } from './types';

export interface SseMessage {
  readonly id?: string;
  readonly event: string;
  readonly data: string;
}

/** Splits a growing text buffer into complete SSE messages; returns them and the unfinished rest. */
export function parseSse(buffer: string): { messages: SseMessage[]; rest: string } {
  const messages: SseMessage[] = [];
  const normalised = buffer.replace(/\r\n?/g, '\n');
  const blocks = normalised.split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let id: string | undefined;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) messages.push({ ...(id === undefined ? {} : { id }), event, data: data.join('\n') });
  }
  return { messages, rest };
}

export interface StreamOptions {
  readonly token: string;
  readonly cluster?: string;
  readonly onEvent: (event: StreamEvent) => void;
  /** Connected (true) or lost and retrying (false). `resumed` is true after a reconnect. */
  readonly onConnection?: (connected: boolean, resumed: boolean) => void;
  readonly onUnauthorized?: () => void;
}

/** Opens the stream; the returned function closes it for good. */
export function openStream(options: StreamOptions): () => void {
  const controller = new AbortController();
  let lastId: string | undefined;
  let attempt = 0;
  let connectedOnce = false;
  const closed = () => controller.signal.aborted;

  const run = async () => {
    while (!controller.signal.aborted) {
      try {
        const query = options.cluster === undefined ? '' : `?cluster=${encodeURIComponent(options.cluster)}`;
        const response = await fetch(`${API}/events${query}`, {
          headers: {
            authorization: `Bearer ${options.token}`,
            accept: 'text/event-stream',
            ...(lastId === undefined ? {} : { 'last-event-id': lastId }),
          },
          signal: controller.signal,
          cache: 'no-store',
        });
        if (response.status === 401 || response.status === 403) {
          options.onUnauthorized?.();
          return;
        }
        if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
        attempt = 0;
        options.onConnection?.(true, connectedOnce);
        connectedOnce = true;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffer += value;
          const { messages, rest } = parseSse(buffer);
          buffer = rest;
          for (const message of messages) {
            if (message.id !== undefined) lastId = message.id;
            try {
              options.onEvent(JSON.parse(message.data) as StreamEvent);
            } catch {
              // A message that is not JSON is not ours to act on.
            }
          }
        }
      } catch {
        if (closed()) return;
      }
      options.onConnection?.(false, connectedOnce);
      // Capped exponential backoff with jitter (style.md rule 3): 0.5 s, 1 s, 2 s … 15 s.
      const delay = Math.min(15_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
      attempt++;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  };
  void run();
  return () => {
    controller.abort();
  };
}
