// The one Server-Sent Events parser of Strata's clients: the CLI (src/cli/client.ts) and the UI
// (web/src/api/stream.ts) read sse.ts's stream with it. Dependency-free, so web/ bundles it as it bundles the
// generated client types.
//
// A Server-Sent Events parser, incremental over arbitrary chunks, following the HTML standard's "event stream
// interpretation" (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
// lines end in CRLF, LF or CR; `:` starts a comment; one space after the colon is dropped; `data` lines join
// with LF; a blank line dispatches; an `id` containing NUL is ignored; the last id persists across messages.

export interface SseMessage {
  /** `message` when the stream named none. */
  readonly event: string;
  readonly data: string;
  /** The last event id seen so far (the one to resume from), '' before any. */
  readonly lastEventId: string;
  /** Whether this message itself carried an `id:` line. */
  readonly hasId: boolean;
}

export type SseItem =
  | { readonly type: 'message'; readonly message: SseMessage }
  | { readonly type: 'comment'; readonly text: string }
  | { readonly type: 'retry'; readonly ms: number };

export class SseParser {
  #buffer = '';
  /** A CR ended the last chunk: an LF starting the next one belongs to it. */
  #pendingCr = false;
  #data: string[] = [];
  #event = '';
  #hasId = false;
  #lastEventId: string;

  constructor(lastEventId = '') {
    this.#lastEventId = lastEventId;
  }

  get lastEventId(): string {
    return this.#lastEventId;
  }

  /** Feeds a chunk; returns what it completed. */
  push(chunk: string): SseItem[] {
    let text = chunk;
    if (this.#pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.#pendingCr = false;
    this.#buffer += text;
    const items: SseItem[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.#buffer);
      if (!match) break;
      // A CR at the very end may be the first half of a CRLF split across chunks.
      if (match[0] === '\r' && match.index === this.#buffer.length - 1) this.#pendingCr = true;
      const line = this.#buffer.slice(0, match.index);
      this.#buffer = this.#buffer.slice(match.index + match[0].length);
      const item = this.#line(line);
      if (item) items.push(item);
    }
    return items;
  }

  #line(line: string): SseItem | undefined {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) return { type: 'comment', text: line.slice(1).replace(/^ /, '') };
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    switch (field) {
      case 'data':
        this.#data.push(value);
        return undefined;
      case 'event':
        this.#event = value;
        return undefined;
      case 'id':
        if (!value.includes('\0')) {
          this.#lastEventId = value;
          this.#hasId = true;
        }
        return undefined;
      case 'retry':
        return /^\d+$/.test(value) ? { type: 'retry', ms: Number(value) } : undefined;
      default:
        return undefined;
    }
  }

  #dispatch(): SseItem | undefined {
    const data = this.#data;
    const event = this.#event;
    const hasId = this.#hasId;
    this.#data = [];
    this.#event = '';
    this.#hasId = false;
    if (data.length === 0) return undefined;
    return {
      type: 'message',
      message: {
        event: event === '' ? 'message' : event,
        data: data.join('\n'),
        lastEventId: this.#lastEventId,
        hasId,
      },
    };
  }
}
