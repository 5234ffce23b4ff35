// The hub's REST API over fetch: JSON in and out, problem+json turned into CliErrors that say what to do,
// and the live event stream (SSE) with Last-Event-ID resume and capped, jittered reconnects.
import { z } from 'zod';
import type { CliConfig } from './config.js';
import { CliError, CliErrorCode } from './errors.js';
import { SseParser } from '../server/sse-parser.js';
import { plainHttpRefusal, redirectTarget } from '../shared/plain-http.js';
import { operations, type HubEvent, type OperationId, type Operations } from './types.js';

type Op<K extends OperationId> = Operations[K];
/** The fields a call of operation K takes: params/query/body only where the operation has them. */
export type CallInput<K extends OperationId> = (Op<K>['params'] extends undefined
  ? { params?: undefined }
  : { params: Op<K>['params'] }) &
  (Op<K>['query'] extends undefined ? { query?: undefined } : { query?: Op<K>['query'] }) &
  (Op<K>['body'] extends undefined ? { body?: undefined } : { body: Op<K>['body'] });

/** `/clusters/{cluster}` with {cluster: 'a b'} → `/clusters/a%20b`. */
export function fillPath(path: string, params: Readonly<Record<string, string>> = {}): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`path parameter ${name} missing for ${path}`);
    return encodeURIComponent(value);
  });
}

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  /** Sent as JSON. */
  readonly body?: unknown;
  readonly query?: Readonly<Record<string, string | undefined>>;
  /** Sent as is instead of `body` (a profile bundle, `application/gzip`). */
  readonly raw?: { readonly contentType: string; readonly data: Uint8Array };
}

const IssueSchema = z.object({
  file: z.string().optional(),
  line: z.number().optional(),
  column: z.number().optional(),
  path: z.string().optional(),
  message: z.string(),
  formatted: z.string().optional(),
});
const ProblemBody = z.object({
  title: z.string().optional(),
  status: z.number().optional(),
  detail: z.string().optional(),
  code: z.string().optional(),
  requiredRole: z.string().optional(),
  issues: z.array(IssueSchema).optional(),
});
const EventBody = z.object({
  id: z.number().optional(),
  kind: z.string(),
  cluster: z.string().optional(),
  pack: z.string().optional(),
  time: z.string(),
  data: z.unknown(),
});

/** `file:line:column path: message`, as `strata profile validate` prints an issue. */
export function formatIssue(issue: z.infer<typeof IssueSchema>): string {
  if (issue.formatted !== undefined) return issue.formatted;
  const where = [issue.file ?? '-', issue.line ?? 0, issue.column ?? 0].join(':');
  return `${where} ${issue.path === undefined || issue.path === '' ? '' : `${issue.path}: `}${issue.message}`;
}

export interface StreamOptions {
  readonly cluster?: string;
  /** Resume after this id ('0': every stored event). */
  readonly lastEventId?: string;
  readonly signal?: AbortSignal;
  /** Each time the stream is (re)connected, before any event of that connection. */
  readonly onOpen?: (info: { reconnect: boolean }) => void | Promise<void>;
  /**
   * The connection dropped, or a reconnect failed (after the stream was once open): the stream is waiting to
   * reconnect. `onOpen` with `reconnect: true` says it is back.
   */
  readonly onDrop?: (error: unknown) => void;
  /** The hub finished replaying stored events on this connection (its `: live` comment). */
  readonly onLive?: () => void;
  /** Reconnect when the connection drops (after it was once established). Default true. */
  readonly reconnect?: boolean;
  /** Injected so tests do not sleep. */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * A connection silent this long is dead (the hub sends a heartbeat every 15 s): dropped and reopened. A hub
   * behind a dead network closes nothing, so without this `--watch` would never notice. Default 45 s.
   */
  readonly idleTimeoutMs?: number;
}

export class HubClient {
  readonly server: string;
  readonly #config: CliConfig;
  readonly #fetch: typeof fetch;

  constructor(config: CliConfig, options: { fetch?: typeof fetch } = {}) {
    this.server = config.server;
    this.#config = config;
    this.#fetch = options.fetch ?? fetch;
  }

  /** One operation of the route table, typed by its generated client types. */
  call<K extends OperationId>(operationId: K, input: CallInput<K>): Promise<Op<K>['response']> {
    const op = operations[operationId];
    const { params, query, body } = input as {
      params?: Record<string, string>;
      query?: Record<string, string>;
      body?: unknown;
    };
    return this.request<Op<K>['response']>(op.method, fillPath(op.path, params), {
      ...(query === undefined ? {} : { query }),
      ...(body === undefined ? {} : { body }),
    });
  }

  async request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#config.token !== undefined) headers.authorization = `Bearer ${this.#config.token}`;
    let body: string | Uint8Array | undefined;
    if (options.raw !== undefined) {
      headers['content-type'] = options.raw.contentType;
      body = options.raw.data;
    } else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const response = await this.#send(this.#url(path, options.query), { method, headers, body });
    if (!response.ok) throw await this.#problem(response);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new CliError(
        CliErrorCode.BadResponse,
        `the hub answered ${method} ${path} with something that is not JSON`,
        {
          cause,
        },
      );
    }
  }

  /** A GET whose answer is not JSON (a profile bundle): the bytes. */
  async download(path: string, accept: string): Promise<Buffer> {
    const headers: Record<string, string> = { accept };
    if (this.#config.token !== undefined) headers.authorization = `Bearer ${this.#config.token}`;
    const response = await this.#send(this.#url(path), { method: 'GET', headers });
    if (!response.ok) throw await this.#problem(response);
    return Buffer.from(await response.arrayBuffer());
  }

  /** The live events, as they come; ends only when the signal aborts (or the stream ends and reconnect is off). */
  async *events(options: StreamOptions = {}): AsyncGenerator<HubEvent> {
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    let lastEventId = options.lastEventId ?? '';
    let connected = false;
    let failures = 0;
    const aborted = () => options.signal?.aborted === true;
    while (!aborted()) {
      const parser = new SseParser(lastEventId);
      // This connection only: the watchdog aborts it when the hub goes silent.
      const connection = new AbortController();
      let idle: NodeJS.Timeout | undefined;
      const watch = () => {
        clearTimeout(idle);
        idle = setTimeout(() => {
          connection.abort(new Error('the event stream went silent'));
        }, options.idleTimeoutMs ?? 45_000);
      };
      const signal =
        options.signal === undefined
          ? connection.signal
          : AbortSignal.any([options.signal, connection.signal]);
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (this.#config.token !== undefined) headers.authorization = `Bearer ${this.#config.token}`;
        if (lastEventId !== '') headers['last-event-id'] = lastEventId;
        const response = await this.#send(
          this.#url(operations.streamEvents.path, { cluster: options.cluster }),
          { method: 'GET', headers, signal },
        );
        // 4xx will not get better by retrying (style.md rule 6).
        if (!response.ok) throw await this.#problem(response);
        if (!response.body) throw new CliError(CliErrorCode.BadResponse, 'the event stream has no body');
        await options.onOpen?.({ reconnect: connected });
        connected = true;
        failures = 0;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        // A fetch Response's body errors when its signal aborts; a body that does not (tests) is cancelled.
        connection.signal.addEventListener('abort', () => void reader.cancel().catch(() => undefined));
        watch();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          watch();
          for (const item of parser.push(value)) {
            if (item.type === 'comment' && item.text === 'live') {
              options.onLive?.();
              // onLive may have ended the stream: nothing after the marker is part of the replay.
              if (aborted()) return;
            }
            if (item.type !== 'message') continue;
            lastEventId = item.message.lastEventId;
            const parsed = EventBody.safeParse(safeJson(item.message.data));
            // The envelope is checked; each kind's payload is the route table's contract (StreamEventSchema).
            if (parsed.success) yield parsed.data as HubEvent;
          }
        }
        if (!aborted() && options.reconnect !== false) options.onDrop?.(undefined);
      } catch (error) {
        if (aborted()) return;
        const retryable =
          connected && (!(error instanceof CliError) || error.code === CliErrorCode.HubUnreachable);
        if (!retryable) throw error;
        if (options.reconnect !== false) options.onDrop?.(error);
      } finally {
        clearTimeout(idle);
      }
      if (options.reconnect === false || aborted()) return;
      // Capped exponential backoff with jitter: 0.5 s, 1 s, 2 s … 10 s.
      const delay = Math.min(10_000, 500 * 2 ** failures) * (0.5 + Math.random() / 2);
      failures++;
      await sleep(delay);
    }
  }

  #url(path: string, query: RequestOptions['query'] = {}): string {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(query))
      if (value !== undefined) url.searchParams.set(key, value);
    return url.toString();
  }

  async #send(url: string, init: RequestInit): Promise<Response> {
    const refusal =
      this.#config.token === undefined ? undefined : plainHttpRefusal(this.server, this.#config);
    if (refusal !== undefined) {
      throw new CliError(CliErrorCode.Config, `--server / STRATA_SERVER: ${refusal}`, {
        hint:
          'use the https:// address of the hub; or, on a network you trust, pass --insecure-http ' +
          `(STRATA_INSECURE_HTTP=1, or \`insecureHttp: true\` in ${this.#config.configFile})`,
      });
    }
    let response: Response;
    try {
      // Not followed: a redirect would take the request (and a hub's answer we trust) to another host.
      response = await this.#fetch(url, { ...init, redirect: 'manual' });
    } catch (cause) {
      if (init.signal?.aborted === true) throw cause;
      const why = networkCode(cause);
      throw new CliError(
        CliErrorCode.HubUnreachable,
        `cannot reach the Strata hub at ${this.server}: is \`strata serve\` running?`,
        {
          hint: `${why === undefined ? '' : `(${why}) `}set --server or STRATA_SERVER to the hub's URL`,
          cause,
        },
      );
    }
    if (response.status >= 300 && response.status < 400)
      throw this.#redirect(response, init.method ?? 'GET', url);
    return response;
  }

  /** The hub answered with a redirect: named with where it pointed, never followed. */
  #redirect(response: Response, method: string, url: string): CliError {
    const where = redirectTarget(response.headers.get('location'), url);
    const path = new URL(url).pathname;
    return new CliError(
      CliErrorCode.BadResponse,
      `the hub at ${this.server} answered ${method} ${path} with a redirect (${response.status}) to ${where}: ` +
        'the CLI does not follow redirects',
      { hint: "set --server or STRATA_SERVER to the hub's own URL (with https:// if it redirects to it)" },
    );
  }

  async #problem(response: Response): Promise<CliError> {
    const text = await response.text().catch(() => '');
    const parsed = ProblemBody.safeParse(safeJson(text));
    const problem = parsed.success ? parsed.data : {};
    const detail = problem.detail ?? problem.title ?? `HTTP ${response.status} ${response.statusText}`.trim();
    const apiCode = problem.code ?? `HTTP_${response.status}`;
    const issues = (problem.issues ?? []).map((issue) => ({ formatted: formatIssue(issue) }));
    if (response.status === 401) {
      const where =
        this.#config.tokenSource === 'none'
          ? 'no token is set'
          : `the token from ${this.#config.tokenSource === 'env' ? 'STRATA_TOKEN' : this.#config.configFile} was refused`;
      return new CliError(CliErrorCode.Unauthorized, `${detail}: ${where}`, {
        apiCode,
        hint:
          `set STRATA_TOKEN=<token> (or \`token: <token>\` in ${this.#config.configFile}); a new hub writes ` +
          'its first admin token to <data dir>/admin-token, and `strata token create --role viewer` makes more',
      });
    }
    return new CliError(CliErrorCode.Api, detail, {
      apiCode,
      issues,
      ...(problem.requiredRole === undefined
        ? {}
        : { hint: `this needs a token with the ${problem.requiredRole} role` }),
    });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** ECONNREFUSED, ENOTFOUND, … from undici's `fetch failed` (its cause, or an AggregateError's first). */
function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    const e = current as { code?: unknown; errors?: unknown[]; cause?: unknown };
    if (typeof e.code === 'string' && e.code !== 'UND_ERR_SOCKET') return e.code;
    if (Array.isArray(e.errors) && e.errors.length > 0) current = e.errors[0];
    else current = e.cause;
  }
  return undefined;
}
