import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { constants as zlib, createGunzip } from 'node:zlib';
import type { HttpMethod, KubeConfig } from '@kubernetes/client-node';
import type { Dispatcher } from 'undici';
import { clientNode } from './client-node.js';
import {
  classifyError,
  type ClassifyOptions,
  errorFromResponse,
  KubeError,
  KubeErrorCode,
  rewrap,
} from './errors.js';
import { guardedLookup } from './guarded-lookup.js';
import { JsonCost } from './json-cost.js';
import { describeBytes, MAX_RESPONSE_BYTES, MAX_RESPONSE_COST } from './limits.js';
import type { AddressRange } from './outbound-policy.js';
import { shownUrl } from './shown-url.js';
import type { ObjectRef } from '../shared/refs.js';

export interface RequestOptions {
  query?: Record<string, string | undefined>;
  body?: string;
  contentType?: string;
  signal?: AbortSignal;
  /** Client-side deadline for the whole request; default 30 s. 0 = none (watches). */
  timeoutMs?: number;
  /** Named in error messages. */
  ref?: ObjectRef;
}

export interface RawResponse {
  status: number;
  /** Lower-case names; a header sent more than once, its values joined by `, ` (as fetch's Headers). */
  headers: Record<string, string>;
  /**
   * The body, gzip decoded. Read it to the end or destroy it: until then its connection stays taken (destroying
   * it aborts the request, so the server cannot keep sending into the socket).
   */
  body: Readable;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The TooLarge errors this transport made for answers past its byte limit, on which a list asks again in smaller
 * pages. A private mark, not a field: nothing an API server sends can make one (review 19, item 4: a Status whose
 * `reason` was the marker's text put a list on pages of one object).
 */
const oversizedAnswers = new WeakSet<KubeError>();

/** Whether `error` is a Transport's refusal of an answer past its byte limit. */
export function isOversizedAnswer(error: unknown): boolean {
  return error instanceof KubeError && oversizedAnswers.has(error);
}

/**
 * The dispatcher, refusing every request to another origin than the cluster's server: requests are sent to that
 * origin only and redirects are not followed (undici's request() follows none), so this is a second lock, kept
 * for the day something between here and the socket (an interceptor) follows them: neither a server nor
 * whatever answers for it may send the hub on to an address the outbound policy refused, such as the metadata
 * endpoint. Throwing here rejects the request with it, before any connection is opened.
 */
function onlyTo(dispatcher: Dispatcher, server: string): Dispatcher {
  const origin = new URL(server).origin;
  return dispatcher.compose((dispatch) => (opts, handler) => {
    const to = opts.origin === undefined ? origin : new URL(String(opts.origin)).origin;
    if (to !== origin) {
      throw new KubeError(
        KubeErrorCode.OutboundDenied,
        `redirected to ${to}: the hub sends requests to the cluster's server only`,
      );
    }
    return dispatch(opts, handler);
  });
}

/** undici, loaded with client-node (which imports it) rather than at startup (client-node.ts). */
let undici: typeof import('undici') | undefined;

/** Statuses whose answer has no body to decode (as fetch: RFC 9110 §15.3.5, §15.4.5). */
const NO_BODY = new Set([204, 205, 304]);

/**
 * The body as the server sent it, gzip decoded when it says so: the transport asks for gzip as fetch did (and
 * client-go does), as an API server compresses answers past 128 KiB for a client that accepts it. Lenient as
 * fetch and cURL are with a stream cut short. The limits of body() and watchEvents count the decoded bytes.
 */
function decoded(body: Readable, encoding: string | undefined, status: number, method: string): Readable {
  const coding = encoding?.trim().toLowerCase();
  if ((coding !== 'gzip' && coding !== 'x-gzip') || NO_BODY.has(status) || method === 'HEAD') return body;
  const gunzip = createGunzip({ flush: zlib.Z_SYNC_FLUSH, finishFlush: zlib.Z_SYNC_FLUSH });
  // An error of either ends both; destroying gunzip (a reader giving up) destroys the body, aborting the request.
  pipeline(body, gunzip, () => undefined);
  return gunzip;
}

/** Header values as fetch's Headers gave them: one string, repeated values joined. */
function flatHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/**
 * HTTP to the API server, authenticated by client-node's own pipeline (RequestContext and KubeConfig's
 * applySecurityAuthentication: the headers, e.g. a bearer token from an exec plugin, and an undici dispatcher with
 * the client certificate, CA and proxy), so every auth method client-node supports (tokens, client certificates,
 * exec plugins, OIDC) works unchanged; sent with undici's `request()` on that dispatcher rather than client-node's
 * fetch, whose Request/Response/Headers and WHATWG streams cost ~650 µs of CPU per call against ~180 µs and were
 * the largest garbage of an install (issue 15: five installs at once set the hub's peak memory).
 *
 * Why not client-node's Watch or KubernetesObjectApi: in 2.0.1 Watch drops the API server's Status body on
 * non-200 answers and aborts any watch that is quiet for 30 s (bookmarks come about once a minute), and
 * `applySecurityAuthentication` builds a new undici Agent (so a new TLS connection) for every request. We
 * keep the first Agent and reuse it: connections are pooled.
 */
export class Transport {
  /** The dispatcher of every request, chosen at the first (chooseDispatcher); `owned`: this transport's to close. */
  private dispatcher: Promise<{ dispatcher: Dispatcher; owned: boolean }> | undefined;

  constructor(
    private readonly kc: KubeConfig,
    readonly server: string,
    /** Address ranges the hub must not connect to, checked at every connection (see guarded-lookup.ts). */
    private readonly deny: ReadonlySet<AddressRange> = new Set(),
    /** Sent as User-Agent: an API server's audit log names the client by it (hub replicas add their id). */
    private readonly userAgent = 'strata',
    /** The most one answer that is not a watch may take (see limits.ts); tests set a small one. */
    private readonly maxResponseBytes = MAX_RESPONSE_BYTES,
    /** The most heap one answer may build once parsed, as json-cost.ts estimates it (limits.ts). */
    private readonly maxResponseCost = MAX_RESPONSE_COST,
  ) {}

  async send(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<RawResponse> {
    const url = new URL(this.server.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const ctx = new (clientNode().RequestContext)(url.toString(), method);
    ctx.setHeaderParam('Accept', 'application/json');
    ctx.setHeaderParam('Accept-Encoding', 'gzip');
    ctx.setHeaderParam('User-Agent', this.userAgent);
    if (options.body !== undefined)
      ctx.setHeaderParam('Content-Type', options.contentType ?? 'application/json');
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const signals = [options.signal, timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined].filter(
      (s): s is AbortSignal => s !== undefined,
    );
    // Past authentication, a failure without a known code is still the network's (errors.ts, ClassifyOptions).
    let sending = false;
    try {
      await this.kc.applySecurityAuthentication(ctx);
      this.dispatcher ??= this.chooseDispatcher(ctx.getDispatcher()).catch((error: unknown) => {
        this.dispatcher = undefined;
        throw error;
      });
      const { dispatcher } = await this.dispatcher;
      sending = true;
      const response = await dispatcher.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method,
        headers: ctx.getHeaders(),
        body: options.body,
        signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
      });
      const headers = flatHeaders(response.headers);
      return {
        status: response.statusCode,
        headers,
        body: decoded(response.body, headers['content-encoding'], response.statusCode, method),
      };
    } catch (error) {
      throw this.transportError(error, options.ref, `${method} ${url.pathname}`, { sending });
    }
  }

  /**
   * The guarded dispatcher under an outbound policy, else the one client-node made for this cluster (`fresh`: it
   * makes a new Agent every call, kept at the first, the others dropped unused), else undici's global one (no TLS
   * settings nor proxy: what fetch used then, not this transport's to close).
   */
  private async chooseDispatcher(
    fresh: Dispatcher | undefined,
  ): Promise<{ dispatcher: Dispatcher; owned: boolean }> {
    const guarded = await this.guarded();
    if (guarded !== undefined) void fresh?.close();
    const chosen = guarded ?? fresh;
    undici ??= await import('undici');
    return {
      dispatcher: onlyTo(chosen ?? undici.getGlobalDispatcher(), this.server),
      owned: chosen !== undefined,
    };
  }

  /**
   * Under an outbound policy, a dispatcher whose connections resolve the server's name through the guarded
   * lookup, with the TLS settings client-node would use. Not for a proxy (its address is checked when the cluster
   * is registered; the connection to the proxy is client-node's) nor for credentials from an exec plugin or an
   * auth provider (they may supply a client certificate only client-node knows): undefined there, and client-node's
   * own dispatcher is used.
   */
  private async guarded(): Promise<Dispatcher | undefined> {
    if (this.deny.size === 0) return undefined;
    const cluster = this.kc.getCurrentCluster();
    const user = this.kc.getCurrentUser();
    if (!cluster || cluster.proxyUrl || user?.exec || user?.authProvider) return undefined;
    const fromBase64 = (data: string | undefined) => (data ? Buffer.from(data, 'base64') : undefined);
    const tls = {
      ca: fromBase64(cluster.caData),
      cert: fromBase64(user?.certData),
      key: fromBase64(user?.keyData),
      ...(cluster.skipTLSVerify ? { rejectUnauthorized: false } : {}),
      ...(cluster.tlsServerName ? { servername: cluster.tlsServerName } : {}),
    };
    const options = this.kc.createDispatcherOptions(
      cluster,
      Object.fromEntries(Object.entries(tls).filter(([, v]) => v !== undefined)),
    );
    const connect = options.type === 'agent' ? options.connect : {};
    const { Agent } = await import('undici');
    return new Agent({ connect: { ...connect, lookup: guardedLookup(this.deny) } });
  }

  /**
   * Sends and parses JSON; any non-2xx answer becomes a KubeError carrying the API server's Status. `bytes`: the
   * answer's size as sent; `cost`: the heap its parsed value takes, as json-cost.ts estimates it.
   */
  // T is what the caller knows the endpoint returns; the JSON is not validated against it.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  async json<T>(
    method: HttpMethod,
    path: string,
    options: RequestOptions = {},
  ): Promise<{ status: number; value: T; bytes: number; cost: number }> {
    const response = await this.send(method, path, options);
    const { status } = response;
    const { text, bytes, cost } = await this.body(response, `${method} ${path}`, options.ref);
    if (status < 200 || status > 299) throw this.responseError(status, text, path, options.ref);
    try {
      return { status, value: JSON.parse(text) as T, bytes, cost };
    } catch (error) {
      // A body cut short (a gzip stream is decoded leniently, as fetch and cURL do), or a proxy's own 200 page:
      // the answer's fault, and the next one may be whole. Not retried, a cluster's first list failing so kept it
      // shown unreachable until the hub restarted (review 26). The body is not quoted.
      throw new KubeError('ServerError', `${method} ${path}: the API server answered with invalid JSON`, {
        status,
        cause: error,
      });
    }
  }

  /**
   * The whole body as text, read as a stream and given up (the connection aborted) as soon as it passes the
   * byte limit, or before reading when its Content-Length says it would: a server's answer otherwise takes as
   * much memory as it likes (a 1 GiB answer took the hub to 1.3 GiB). Given up too once the heap it would parse
   * into passes the cost limit, counted as it arrives (json-cost.ts): every answer is parsed as JSON, a Status
   * too, and 16 MiB of `[{},…]` parsed into 342 MiB (review 19, item 2). Past either: KubeError TooLarge,
   * retryable, naming the request, never quoting the body. `what` is e.g. `GET /api/v1/pods`.
   */
  async text(response: RawResponse, what: string, ref?: ObjectRef): Promise<string> {
    return (await this.body(response, what, ref)).text;
  }

  /** text(), with the number of bytes read and the estimated heap of its parsed value. */
  private async body(
    response: RawResponse,
    what: string,
    ref?: ObjectRef,
  ): Promise<{ text: string; bytes: number; cost: number }> {
    const max = this.maxResponseBytes;
    const maxCost = this.maxResponseCost;
    const tooLarge = (why: string) => {
      const error = classifyError(
        new KubeError(KubeErrorCode.TooLarge, `${what} on ${shownUrl(this.server)}: ${why}`),
        ref,
      );
      // transportError below passes it on as it is (a KubeError that already names its ref), mark and all.
      oversizedAnswers.add(error);
      return error;
    };
    const tooManyBytes = () =>
      tooLarge(
        `the answer is larger than ${describeBytes(max)}, the most the hub reads from an API server; it was not read`,
      );
    const tooCostly = () =>
      tooLarge(
        `the answer would take more than ${describeBytes(maxCost)} of memory once parsed, the most the hub parses from an API server; it was not parsed`,
      );
    const body = response.body;
    // Content-Length counts the bytes on the wire: gzip'd, fewer than those read, so a refusal on it is sure.
    if (Number(response.headers['content-length']) > max) {
      body.destroy();
      throw tooManyBytes();
    }
    const parts: Buffer[] = [];
    const cost = new JsonCost();
    let total = 0;
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        total += chunk.length;
        const past = total > max ? tooManyBytes : cost.add(chunk).estimate > maxCost ? tooCostly : undefined;
        // Leaving the loop destroys the body, which aborts the request: the server cannot keep sending into
        // this socket.
        if (past) throw past();
        parts.push(chunk);
      }
    } catch (error) {
      throw this.transportError(error, ref, what);
    }
    // As fetch's text(): UTF-8, a leading byte-order mark dropped.
    return {
      text: new TextDecoder().decode(Buffer.concat(parts, total)),
      bytes: total,
      cost: cost.estimate,
    };
  }

  get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.json<T>(clientNode().HttpMethod.GET, path, options).then((r) => r.value);
  }

  /**
   * A non-2xx answer: the API server's Status message, or `HTTP 502 from https://…/path` when the answer is
   * not a Kubernetes Status (its body is never quoted: whatever answered may not be an API server at all).
   */
  responseError(status: number, body: string, path: string, ref?: ObjectRef): KubeError {
    const where = shownUrl(this.server).replace(/\/+$/, '') + path;
    return errorFromResponse(
      status,
      body,
      ref,
      `HTTP ${status} from ${where} (not a Kubernetes API server answer; its body is not shown)`,
    );
  }

  /** Network and TLS failures name the server, so "cannot reach" says where. */
  transportError(
    error: unknown,
    ref: ObjectRef | undefined,
    what: string,
    options: ClassifyOptions = {},
  ): KubeError {
    const e = classifyError(error, ref, options);
    if (e.status !== undefined || error instanceof KubeError) return e;
    return rewrap(e, `${e.message} (${what} on ${shownUrl(this.server)})`);
  }

  async close(): Promise<void> {
    const chosen = await this.dispatcher?.catch(() => undefined);
    this.dispatcher = undefined;
    if (chosen?.owned) await chosen.dispatcher.close();
  }
}
