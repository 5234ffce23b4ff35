// For the server's integration tests and benchmark: a real listening hub on 127.0.0.1 (random port) over a
// store from the store's test backends, tokens for every role, a fetch helper and an SSE reader.
import { Hub, type HubConfig } from '../../hub/index.js';
import type { OpenedStore, TestBackend } from '../../store/testing/backends.js';
import { TokenRole, type Store } from '../../store/index.js';
import { helmBin } from '../../engine/testing/runner.js';
import { createServer, type ServerOptions, type StrataServer } from '../app.js';

export type RoleName = 'none' | TokenRole;
export const ROLES: readonly RoleName[] = ['none', 'viewer', 'operator', 'admin'];

export interface TestHub {
  readonly url: string;
  readonly store: Store;
  readonly opened: OpenedStore;
  readonly hub: Hub;
  readonly server: StrataServer;
  readonly tokens: Record<TokenRole, string>;
  api(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface RequestOptions {
  readonly role?: RoleName;
  /** Sent as JSON unless `raw` is given. */
  readonly body?: unknown;
  readonly raw?: string | Buffer;
  readonly headers?: Record<string, string>;
}

export interface ApiResponse {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
  /** The parsed body when it is JSON (or problem+json). */
  readonly json: unknown;
}

export async function startTestHub(
  backend: TestBackend,
  options: {
    store?: OpenedStore;
    server?: Partial<ServerOptions>;
    hub?: Partial<HubConfig>;
    /** The host it listens on; default 127.0.0.1. */
    host?: string;
  } = {},
): Promise<TestHub> {
  const opened = options.store ?? (await backend.open());
  const store = opened.store;
  const hub = await Hub.open({ store, helmBin: helmBin(), accessTimeoutMs: 5000, ...options.hub });
  const server = createServer({
    logLevel: 'silent',
    validateResponses: true,
    defaultMetrics: false,
    ...options.server,
    hub,
  });
  const url = await server.listen({ host: options.host ?? '127.0.0.1', port: 0 });
  const tokens = {} as Record<TokenRole, string>;
  for (const role of Object.values(TokenRole)) {
    tokens[role] = (await store.tokens.create({ role, name: `test-${role}-${Date.now()}` })).plaintext;
  }
  const api = async (method: string, path: string, request: RequestOptions = {}): Promise<ApiResponse> => {
    const role = request.role ?? 'admin';
    const headers: Record<string, string> = { ...request.headers };
    if (role !== 'none') headers.authorization = `Bearer ${tokens[role]}`;
    let body: string | Buffer | undefined = request.raw;
    if (body === undefined && request.body !== undefined) body = JSON.stringify(request.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(url + path, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    const contentType = res.headers.get('content-type') ?? '';
    const json: unknown = contentType.includes('json') && text !== '' ? JSON.parse(text) : undefined;
    return { status: res.status, contentType, text, json };
  };
  return {
    url,
    store,
    opened,
    hub,
    server,
    tokens,
    api,
    async close() {
      await server.close();
      await hub.close();
    },
  };
}

export interface SseMessage {
  readonly id: number | undefined;
  readonly event: string;
  readonly data: { id?: number; kind: string; cluster?: string; pack?: string; data: unknown };
}

/** A minimal EventSource over fetch: records every message, can wait for one, and can be cut off. */
export class SseClient {
  readonly messages: SseMessage[] = [];
  readonly #controller = new AbortController();
  readonly #waiters = new Set<() => void>();
  #done: Promise<void> = Promise.resolve();
  status = 0;
  comments = 0;

  static async open(
    url: string,
    options: { token: string; lastEventId?: number; cluster?: string; viaQuery?: boolean },
  ): Promise<SseClient> {
    const client = new SseClient();
    const query = new URLSearchParams();
    if (options.cluster !== undefined) query.set('cluster', options.cluster);
    if (options.lastEventId !== undefined && options.viaQuery === true) {
      query.set('lastEventId', String(options.lastEventId));
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${options.token}`,
      accept: 'text/event-stream',
    };
    if (options.lastEventId !== undefined && options.viaQuery !== true) {
      headers['last-event-id'] = String(options.lastEventId);
    }
    const qs = query.toString();
    const res = await fetch(`${url}/api/v1/events${qs === '' ? '' : `?${qs}`}`, {
      headers,
      signal: client.#controller.signal,
    });
    client.status = res.status;
    if (res.body === null) return client;
    const body = res.body;
    client.#done = client.#read(body).catch(() => undefined);
    return client;
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of body) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let id: number | undefined;
        let event = 'message';
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) this.comments++;
          else if (line.startsWith('id: ')) id = Number(line.slice(4));
          else if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data += line.slice(6);
        }
        if (data !== '') this.messages.push({ id, event, data: JSON.parse(data) as SseMessage['data'] });
        for (const wake of this.#waiters) wake();
      }
    }
  }

  /** Resolves once `predicate` holds over the messages so far. */
  until(
    predicate: (messages: readonly SseMessage[]) => boolean,
    timeoutMs = 30_000,
    what = 'events',
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate(this.messages)) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}; got ${this.messages.length} messages`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Resolves when the stream has ended (the server closed it, or close() was called). */
  get ended(): Promise<void> {
    return this.#done;
  }

  get ids(): number[] {
    return this.messages.flatMap((m) => (m.id === undefined ? [] : [m.id]));
  }

  async close(): Promise<void> {
    this.#controller.abort();
    await this.#done;
  }
}
