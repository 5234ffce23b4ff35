// A hub in memory for the CLI's command tests: serves a cluster page that the test changes, and an event
// stream the test writes to, drops, or refuses (the hub "down"), through an injected fetch.
import type { ClusterPage } from '../types.js';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

export class FakeHub {
  page: ClusterPage;
  /** While true every request fails as a refused connection does. */
  down = false;
  readonly requests: RecordedRequest[] = [];
  #stream: ReadableStreamDefaultController<Uint8Array> | undefined;
  #nextId = 1;

  constructor(page: ClusterPage) {
    this.page = page;
  }

  /** Each event stream opened so far, with the Last-Event-ID it asked to resume after. */
  readonly streams: { readonly lastEventId: string | undefined }[] = [];

  readonly fetch = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const headers = (init.headers ?? {}) as Record<string, string>;
    this.requests.push({ method: init.method ?? 'GET', path: url.pathname, headers });
    if (this.down) {
      return Promise.reject(
        Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
      );
    }
    if (url.pathname === '/api/v1/events') {
      this.streams.push({ lastEventId: headers['last-event-id'] });
      return Promise.resolve(this.#openStream(init.signal));
    }
    if (url.pathname === `/api/v1/clusters/${this.page.cluster.name}/page`) {
      return Promise.resolve(Response.json(this.page));
    }
    if (url.pathname === `/api/v1/clusters/${this.page.cluster.name}`) {
      return Promise.resolve(Response.json(this.page.cluster));
    }
    return Promise.resolve(
      Response.json({ status: 404, detail: `no route ${url.pathname}`, code: 'NOT_FOUND' }, { status: 404 }),
    );
  };

  /** Sends one stored event (with the next id) on the open stream. */
  /** An event of the page's cluster; `cluster: undefined` sends one of none (as `history.pruned` is). */
  emit(event: { kind: string; pack?: string; cluster?: string | undefined; data?: unknown }): void {
    const id = this.#nextId++;
    const body = {
      id,
      cluster: this.page.cluster.name,
      time: '2025-01-01T12:00:00.000Z',
      data: {},
      ...event,
    };
    this.#write(`id: ${id}\nevent: ${event.kind}\ndata: ${JSON.stringify(body)}\n\n`);
  }

  /** The hub's marker after the replay of stored events. */
  live(): void {
    this.#write(': live\n\n');
  }

  /** The hub process dies: the open stream breaks and nothing answers until `up()`. */
  kill(): void {
    this.down = true;
    this.#stream?.error(new TypeError('terminated'));
    this.#stream = undefined;
  }

  up(): void {
    this.down = false;
  }

  #write(text: string): void {
    if (this.#stream === undefined) throw new Error('no event stream is open');
    this.#stream.enqueue(new TextEncoder().encode(text));
  }

  #openStream(signal: AbortSignal | null | undefined): Response {
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#stream = controller;
        signal?.addEventListener('abort', () => {
          controller.error(new DOMException('aborted', 'AbortError'));
        });
      },
    });
    return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
  }
}
