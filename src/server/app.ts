// createServer: a Fastify instance with every route of the table, authentication, problem+json errors,
// metrics and the live stream. It owns neither the hub nor the store (serve.ts opens and closes those) and
// reaches the store only through the hub.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type onRequestHookHandler,
  type preParsingHookHandler,
} from 'fastify';
import type { z } from 'zod';
import type { Actor, Hub } from '../hub/index.js';
import { MAX_BUNDLE_BYTES } from '../profile/index.js';
import { assertNever } from '../shared/assert-never.js';
import { http } from '../shared/node-http.js';
import { authorize, authorizeKept, type Caller } from './auth.js';
import {
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS_PER_TOKEN,
  HEADERS_TIMEOUT_MS,
  KEEP_ALIVE_TIMEOUT_MS,
  PendingConnections,
  TokenConnections,
} from './connection-limits.js';
import { depthExceededAt, MAX_JSON_DEPTH } from './json-depth.js';
import { jsonErrorOffset, positionOf } from './json-position.js';
import { AccessLog } from './access-log.js';
import { lazyChildLogger } from './lazy-logger.js';
import { createMetrics, registerLoadGauges, type Metrics } from './metrics.js';
import { buildOpenApi } from './openapi.js';
import { ApiError, PROBLEM_CONTENT_TYPE, problemType, statusTitle, type Problem } from './problem.js';
import { BodyFormat, Role, type AnyRoute, type JsonRoute, type Services } from './route.js';
import { routeTable } from './routes/index.js';
import { presentPage } from './routes/packs.js';
import { ForwardMarker, replicaForward } from './replica-forward.js';
import { SECURITY_HEADERS } from './security-headers.js';
import { EventStream } from './sse.js';
import { StreamLimits, type StreamLimitsConfig } from './stream-limits.js';
import { HEAVY_OPERATIONS, HeavyRequests, type BodyBudget } from './heavy-requests.js';
import {
  ANSWER_LIMITS,
  cutSlowAnswer,
  watchUntaken,
  WHOLE_WRITE_BYTES,
  WRITE_SLICE_BYTES,
  type AnswerLimits,
} from './write-stall.js';
import { matchesIfNoneMatch, representation, tagBody } from './etag.js';
import { defaultWebRoot, isApiPath, sendWebFile } from './static.js';
import { inputIssuesDetail, toProblem } from './to-problem.js';
import { countUnanswered, unanswered } from './unanswered.js';
import { keptPageAnswer, type KeptPageAnswer } from './kept-page-answer.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    strataRole?: Role;
    /** The route takes a profile bundle (BodyFormat.Bundle): the only routes a gzip body is read for. */
    strataBundles?: boolean;
    /** The route's operationId: whether its requests count against the cap on costly ones (heavy-requests.ts). */
    strataOperation?: string;
    /** The route writes its own long answer (the event stream): its access-log line is written when it closes. */
    strataStream?: boolean;
  }
}

// Profile bundles being read at once: hub-wide, per token, and a slot kept for operators (heavy-requests.ts).
export { MAX_BUNDLES_IN_FLIGHT, MAX_BUNDLES_PER_TOKEN } from './heavy-requests.js';

export const DEFAULT_BODY_LIMIT = 2 * 1024 * 1024;
/** Path parameters longer than this answer 414 PATH_PARAMETER_TOO_LONG (each such route documents it). */
export const MAX_PARAM_LENGTH = 100;
export const API_VERSION = '0.1.0';

export interface ServerOptions {
  readonly hub: Hub;
  /** pino level; 'silent' for tests. Default 'info'. */
  readonly logLevel?: string;
  /** Where log lines go (one JSON line per write). Default stdout. */
  readonly logStream?: { write(line: string): void };
  /** Bytes; larger bodies get 413. Default 2 MiB. */
  readonly bodyLimit?: number;
  /** SSE heartbeat period. Default 15 s. */
  readonly heartbeatMs?: number;
  /**
   * Check every response against its schema (500 when it does not match). On in tests, so drift between
   * the hub's views and the documented schemas fails a test; off in production, where it would cost a
   * parse of every page.
   */
  readonly validateResponses?: boolean;
  /** The document's `servers[0].url`. Default '/': the server the document was fetched from. */
  readonly publicUrl?: string;
  /** Process metrics (event loop, memory); off in tests that start many servers. Default true. */
  readonly defaultMetrics?: boolean;
  /** Routes to serve; default the whole table (the benchmark and tests use the default). */
  readonly routes?: readonly AnyRoute[];
  /** The built UI served at `/` (default web/dist of this checkout); false serves none. */
  readonly webRoot?: string | false;
  /** <data dir>/admin-token: removed when another admin token is created. */
  readonly adminTokenFile?: string;
  /** `/metrics` takes `Authorization: Bearer <this>`, the one a Prometheus scrape config holds. */
  readonly metricsToken?: string;
  /**
   * `/metrics` answers without a token. Default false: it needs the metrics token or any valid API token, as
   * its labels name every cluster.
   */
  readonly metricsPublic?: boolean;
  /** How often open event streams re-check that their token was not revoked (other replicas). Default 1 s. */
  readonly tokenCheckMs?: number;
  /** Caps on open event streams, per token and in all. Default 32 and 20,000 (stream-limits.ts). */
  readonly streamLimits?: StreamLimitsConfig;
  /** How long a client may take to send one request, headers and body (408 after). Default 120 s. */
  readonly requestTimeoutMs?: number;
  /** Connections the hub holds open in all; more are dropped as they arrive. Default 25,000. */
  readonly maxConnections?: number;
  /** Connections one address may hold before its first authenticated request; more get 429. Default 1024. */
  readonly maxConnectionsPerAddress?: number;
  /**
   * A connection that has sent no byte this long after opening is closed. Default the headers timeout (30 s, or
   * the request timeout when that is shorter); tests set it apart from the request timeout.
   */
  readonly silentConnectionMs?: number;
  /**
   * Hub replicas: the key they sign a forwarded request's marker with (forwardKeyOf the shared secret key), so a
   * client cannot send the marker itself. Default a random key: only this process can sign (one hub).
   */
  readonly forwardKey?: Uint8Array;
  /** Costly requests (previews, validations, …) one token may have in progress. Default 4 (heavy-requests.ts). */
  readonly maxHeavyPerToken?: number;
  /** A costly answer whose client takes no byte for this long is cut, freeing its slot. Default 2 min (WRITE_STALL_MS); shorter in tests. */
  readonly writeStallMs?: number;
  /**
   * A costly answer not all taken by then is cut, freeing its slot: `baseMs` plus its size at `bytesPerSecond`.
   * Default 2 min plus the answer's size at 16 KiB/s (write-stall.ts); shorter in tests.
   */
  readonly answerDeadline?: AnswerLimits['deadline'];
  /**
   * Costly requests of one operation the hub runs at once, all tokens; viewers together get all but one token's
   * share. Default 16 (heavy-requests.ts).
   */
  readonly maxHeavyPerOperation?: number;
  /** Connections one token's requests may hold open; a request on one more gets 429. Default 256. */
  readonly maxConnectionsPerToken?: number;
  /** Request body bytes being read at once, per token and in all. Default 8 MiB and 256 MiB (heavy-requests.ts). */
  readonly bodyBudget?: BodyBudget;
  /**
   * Answer reads of a kept Cluster Profile page before Fastify routes them (kept-page-answer.ts). Default true;
   * tests turn it off to compare the two answers.
   */
  readonly keptPageAnswers?: boolean;
  /**
   * The addresses `--address localhost:<port>` listens on, first the one Fastify binds. Default every address
   * the system resolves `localhost` to (dns.lookup, all), as Fastify would; tests give addresses of their own.
   */
  readonly localhostAddresses?: () => Promise<readonly string[]>;
}

export interface StrataServer {
  readonly app: FastifyInstance;
  readonly events: EventStream;
  readonly metrics: Metrics;
  readonly routes: readonly AnyRoute[];
  /** Listens on host:port; resolves to the base URL (`http://127.0.0.1:7400`). */
  listen(address: { host: string; port: number }): Promise<string>;
  /** Ends SSE streams and stops listening; the hub and store stay open. */
  close(): Promise<void>;
  /** Page reads answered before Fastify routed them (kept-page-answer.ts), since the server started. */
  keptPageReads(): number;
}

const JSON_TYPES = ['application/json'];
const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];
const BUNDLE_TYPES = ['application/gzip', 'application/x-gzip'];

/** `/clusters/{cluster}` → `/clusters/:cluster`. */
const fastifyPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

/** The request path without its query: what `instance` names in a problem. */
const pathOf = (request: FastifyRequest) => request.url.split('?')[0] ?? request.url;

function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw new ApiError(400, 'INVALID_REQUEST', inputIssuesDetail(result.error.issues, where));
}

/** Path parameters kept per route, at most: a path is any text, so the kept answers are bounded. */
const MAX_KEPT_PARAMS = 256;

/**
 * parseInput for a route's path parameters, its answers kept (frozen: shared by every request that names the
 * same values): 20 readers polling a page name the same cluster every time, and zod's parse of it was a tenth
 * of the hub's JavaScript per 304 read (issue 15, fast reads). A refusal is not kept: it is parsed again, so
 * its message is made as before.
 */
function keptParams(schema: z.ZodType): (params: unknown) => unknown {
  const kept = new Map<string, unknown>();
  return (params) => {
    // Length-prefixed values: no two sets of values (a decoded path may hold any character) share a key.
    let key = '';
    for (const value of Object.values(params as Record<string, unknown>)) {
      if (typeof value !== 'string') return parseInput(schema, params, 'path parameter');
      key += `${String(value.length)}:${value}`;
    }
    const known = kept.get(key);
    if (known !== undefined) return known;
    const parsed: unknown = Object.freeze(parseInput(schema, params, 'path parameter'));
    if (kept.size >= MAX_KEPT_PARAMS) kept.clear();
    kept.set(key, parsed);
    return parsed;
  };
}

/**
 * Requests one connection may have waiting for their answers at once. HTTP/1.1 lets a client send requests
 * without reading the answers (pipelining); each answer then waits in the hub, whole, behind the one before it,
 * and a waiting answer has no socket of its own, so neither the write-stall wait nor the deadline of
 * write-stall.ts sees it: one viewer connection that never read held ~190 MiB with 2,000 GETs of a 200 KiB
 * answer (review 20). Past this many, the request is answered 429 TOO_MANY_PIPELINED_REQUESTS and the
 * connection closed. Browsers and HTTP clients do not pipeline; 16 is far above what any sends.
 */
export const MAX_PIPELINED_REQUESTS = 16;

/** An answer body (as onSend sees it) of more bytes than a socket is handed at once (WRITE_SLICE_BYTES). */
const isLarge = (payload: unknown): boolean =>
  (typeof payload === 'string' || payload instanceof Uint8Array) && payload.length > WRITE_SLICE_BYTES;

/** A request whose body is a profile bundle (gzip), by its Content-Type. */
function isBundle(request: FastifyRequest): boolean {
  const contentType = request.headers['content-type'];
  const type = contentType === undefined ? '' : (contentType.split(';')[0]?.trim().toLowerCase() ?? '');
  return BUNDLE_TYPES.includes(type);
}

/**
 * What a request's body (not a profile bundle's: its own slots bound those) will take while it is read, counted
 * before its first byte: its Content-Length (at most the route's body limit, past which Fastify answers 413
 * unread), and the whole body limit when it is chunked.
 */
function announcedBodyBytes(request: FastifyRequest): number {
  const length = request.headers['content-length'];
  if (length !== undefined) {
    const limit = request.routeOptions.bodyLimit;
    const bytes = Number(length);
    return Number.isFinite(bytes) && bytes >= 0 ? Math.min(bytes, limit) : limit;
  }
  return request.headers['transfer-encoding'] === undefined ? 0 : request.routeOptions.bodyLimit;
}

function decodeBody(request: FastifyRequest, route: Pick<JsonRoute, 'bodyFormats' | 'operationId'>): unknown {
  const text = request.body;
  if (typeof text !== 'string' || text.trim() === '') {
    throw new ApiError(400, 'INVALID_REQUEST', 'body: a request body is required');
  }
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (YAML_TYPES.includes(type)) {
    if (!(route.bodyFormats ?? []).includes(BodyFormat.Yaml)) {
      throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `${route.operationId} takes application/json only`);
    }
    // The profile file itself: the hub parses it and reports positioned issues.
    return { yaml: text };
  }
  const tooDeep = depthExceededAt(text, MAX_JSON_DEPTH);
  if (tooDeep !== undefined) {
    const at = positionOf(text, tooDeep);
    throw new ApiError(
      400,
      'JSON_TOO_DEEP',
      `body nests deeper than ${MAX_JSON_DEPTH} levels (at line ${at.line} column ${at.column}); ` +
        'no Strata request is nested that deep',
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new ApiError(400, 'INVALID_JSON', `body is not valid JSON at ${jsonErrorPosition(text)}: ${why}`);
  }
}

function jsonErrorPosition(text: string): string {
  const offset = jsonErrorOffset(text);
  if (offset === undefined) return 'an unknown position';
  const at = positionOf(text, offset);
  return `line ${at.line} column ${at.column}`;
}

export function createServer(options: ServerOptions): StrataServer {
  const routes = options.routes ?? routeTable;
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  /** The token each request was authenticated with (the onRequest hook below), for its handler and its log line. */
  const tokens = new WeakMap<FastifyRequest, Caller>();
  /** The page's reads answered before Fastify routes them (kept-page-answer.ts); set once the server's parts are. */
  let keptPage: KeptPageAnswer | undefined;
  let closing = false;
  const isClosing = () => closing;
  let keptPageReads = 0;
  // Node's own server options, the same for every listening server (Fastify's, and those listen() adds).
  const httpOptions = {
    requestTimeout,
    headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeout),
    connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(requestTimeout / 4))),
  };
  const app = Fastify({
    // A request (headers and body) must arrive within requestTimeout: a client trickling a byte at a time is
    // answered 408 and disconnected. Node checks every connectionsCheckingInterval (30 s by default), so a
    // short timeout (tests) is checked more often. Event streams are long answers to short requests: unbounded.
    requestTimeout,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    http: httpOptions,
    logger: {
      level: options.logLevel ?? 'info',
      ...(options.logStream === undefined ? {} : { stream: options.logStream }),
    },
    // One access-log line per request (access-log.ts), with the token's name, instead of Fastify's two.
    logController: new AccessLog((request) => tokens.get(request)),
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    genReqId: () => randomUUID(),
    childLoggerFactory: lazyChildLogger,
    // Fastify answers 503 to new requests while closing; SSE streams are ended in preClose below.
    return503OnClosing: true,
    // Routes validate with zod (parseInput) and declare no Fastify JSON schema, so Fastify's default compilers
    // (ajv and fast-json-stringify, ~300 modules an idle hub would hold: issue 15) are never needed. These
    // stand in for them so Fastify does not load them; a route given a Fastify schema fails at startup.
    schemaController: {
      compilersFactory: { buildValidator: noSchemaCompiler, buildSerializer: noSchemaCompiler },
    },
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // The router's own refusals (a path parameter over MAX_PARAM_LENGTH: 414; a malformed %-escape: 400)
    // get the same problem+json as every other error instead of Fastify's own JSON.
    frameworkErrors: (error, request, frameworkReply) => {
      const { problem } = toProblem(error, { instance: pathOf(request), requestId: request.id });
      // Typed against the (absent) route schema, which has no response codes to offer.
      const reply = frameworkReply as FastifyReply;
      void reply
        .code(problem.status)
        .headers(SECURITY_HEADERS)
        .header('x-request-id', request.id)
        .type(PROBLEM_CONTENT_TYPE)
        .send(problem);
    },
    // Errors Node's HTTP parser finds before there is a request (headers or URL over 16 KiB: 431, a
    // malformed request line: 400) are written to the socket as problem+json too.
    clientErrorHandler: (error: NodeJS.ErrnoException, socket: Duplex) => {
      writeClientError(error, socket);
    },
  });
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  /** Connections open on every listening server together: maxConnections is the hub's, not each address's. */
  let openConnections = 0;
  const capConnections = (server: Server) => {
    server.maxConnections = maxConnections; // Node drops one past it before a byte is read
    server.on('connection', (socket: Socket) => {
      if (openConnections >= maxConnections) {
        socket.destroy();
        return;
      }
      openConnections++;
      socket.once('close', () => {
        openConnections--;
      });
    });
  };
  capConnections(app.server);
  const pending = new PendingConnections(
    {
      perAddress: options.maxConnectionsPerAddress ?? DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
      silentMs: options.silentConnectionMs ?? Math.min(HEADERS_TIMEOUT_MS, requestTimeout),
      maxTotal: Math.max(1, Math.floor(maxConnections / 2)),
    },
    (socket, detail) => {
      // Nothing it sends is read: the answer goes out, and the socket is destroyed soon after (not at once, which
      // could reset the connection before the client reads the answer).
      socket.pause();
      writeProblem(socket, { status: 429, code: 'TOO_MANY_CONNECTIONS', detail, retryAfter: 5 });
      setTimeout(() => socket.destroy(), 1000).unref();
    },
  );
  pending.attach(app.server);
  const answer = routeKeptPageFirst(app.server, (req, res) => {
    if (keptPage?.(req, res) !== true) return false;
    keptPageReads++;
    return true;
  });
  /**
   * The servers listen() adds for `localhost`'s other addresses. Not Fastify's: it binds them with servers of its
   * own making that have none of the above (no connection caps, no kept-page answers, Node's bare 400s).
   */
  const alsoListening: Server[] = [];
  /** Their connections, which close() ends as Fastify ends its own (endWhenAnswered). */
  const alsoConnected = new Set<Socket>();
  const addServer = (): Server => {
    const server = http.createServer(httpOptions, answer);
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    capConnections(server);
    server.on('connection', (socket: Socket) => {
      if (socket.destroyed) return; // over the hub-wide cap
      alsoConnected.add(socket);
      socket.once('close', () => alsoConnected.delete(socket));
    });
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
      writeClientError(error, socket);
    });
    pending.attach(server);
    return server;
  };
  const metrics = createMetrics({
    phaseCounts: () => options.hub.phaseCounts(),
    defaultMetrics: options.defaultMetrics ?? true,
  });
  const events = new EventStream(options.hub, {
    ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
    ...(options.tokenCheckMs === undefined ? {} : { tokenCheckMs: options.tokenCheckMs }),
    liveTokens: (ids) => options.hub.tokens.existing(ids),
    onEvent: (event) => {
      metrics.observeEvent(event);
    },
  });
  let document: Record<string, unknown> | undefined;
  const services: Services = {
    hub: options.hub,
    events,
    streamLimits: new StreamLimits(options.streamLimits),
    metrics,
    adminTokenFile: options.adminTokenFile,
    metricsToken: options.metricsToken,
    metricsPublic: options.metricsPublic ?? false,
    openapi: () =>
      (document ??= buildOpenApi(routes, { version: API_VERSION, serverUrl: options.publicUrl ?? '/' })),
  };
  const connections = new TokenConnections(
    options.maxConnectionsPerToken ?? DEFAULT_MAX_CONNECTIONS_PER_TOKEN,
  );
  const heavy = new HeavyRequests(options.maxHeavyPerToken, options.bodyBudget, options.maxHeavyPerOperation);
  /** Answers already watched by cutSlowAnswer (those holding a slot or body bytes). */
  const guarded = new WeakSet<ServerResponse>();
  const answerLimits: AnswerLimits = {
    stallMs: options.writeStallMs ?? ANSWER_LIMITS.stallMs,
    deadline: options.answerDeadline ?? ANSWER_LIMITS.deadline,
  };
  registerLoadGauges(metrics, {
    bodyBytes: () => heavy.bodyBytes(),
    openConnections: async () => {
      const counts = await Promise.all([app.server, ...alsoListening].map(openOn));
      return counts.reduce((sum, n) => sum + n, 0);
    },
    pendingConnections: () => pending.total,
    tokenConnections: () => connections.total,
    costlyRequests: () => heavy.inProgressPerOperation(),
    costlyOperations: HEAVY_OPERATIONS,
  });
  const pageRoute = routes.find((r) => r.operationId === 'getClusterPage');
  if (options.keptPageAnswers !== false && pageRoute?.kind === 'json' && pageRoute.response !== undefined) {
    const response = pageRoute.response as z.ZodType;
    keptPage = keptPageAnswer({
      hub: options.hub,
      maxParamLength: MAX_PARAM_LENGTH,
      present: presentPage,
      check: options.validateResponses === true ? (shown) => response.safeParse(shown).success : undefined,
      open: () => !closing && options.hub.replicas() === undefined,
      admit: (socket, caller) => {
        if (!connections.admit(socket, caller.id)) return false;
        pending.authenticated(socket);
        return true;
      },
      limits: answerLimits,
      metrics,
      log: app.log,
    });
  }
  /** An operator's or admin's token: its costly requests may use the share of a cap kept from viewers. */
  const privileged = (request: FastifyRequest) => {
    const token = tokens.get(request);
    return token?.role === 'operator' || token?.role === 'admin';
  };
  const callerKey = (request: FastifyRequest) => {
    const token = tokens.get(request);
    return token ? token.id : 'anonymous';
  };

  // Bodies are kept as text and decoded per route (decodeBody): JSON errors then name their position, and a
  // profile can arrive as YAML. Anything else is 415 from Fastify.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser([...JSON_TYPES, ...YAML_TYPES], { parseAs: 'string' }, (_request, body, done) => {
    done(null, body);
  });

  // Profile bundles are binary and may be larger than other bodies (their own limit is checked by the hub
  // with a clear message; this one only stops a body far past it).
  app.addContentTypeParser(
    BUNDLE_TYPES,
    { parseAs: 'buffer', bodyLimit: MAX_BUNDLE_BYTES + 1024 * 1024 },
    (_request, body, done) => {
      done(null, body);
    },
  );

  // Before any byte of the body is read (per route, made with its options below: a request's route options are a
  // new object at every `request.routeOptions`, read six times per request by global hooks): only a route that
  // takes bundles reads a gzip body; then, the token being known (heavy-requests.ts), a profile bundle takes
  // a bundle slot (asked first: its 503 says more to a bundle's sender than the token's cap), a costly request its
  // token's slot, and a JSON or YAML body its bytes (as announced; the body limit when chunked) of the token's and
  // the hub's budget, all given back when the answer is sent or the connection closes.
  // Callback-style hooks, not async ones, on every request's path: an async hook costs a promise and a tick
  // per request (issue 15, fast reads: 20 readers polling a page).
  const admission =
    (route: { readonly operationId: string; readonly bundles: boolean }): preParsingHookHandler =>
    (request, reply, payload, done) => {
      const bundle = isBundle(request);
      if (bundle && !route.bundles) {
        done(
          new ApiError(
            415,
            'UNSUPPORTED_MEDIA_TYPE',
            `${request.method} ${pathOf(request)} takes no gzip body`,
          ),
        );
        return;
      }
      const bodyBytes = bundle ? 0 : announcedBodyBytes(request);
      let release: (() => void) | undefined;
      try {
        release = heavy.admit(
          {
            operationId: route.operationId,
            key: callerKey(request),
            privileged: privileged(request),
            bundle,
            bodyBytes,
          },
          reply,
        );
      } catch (error) {
        // A refused body is not read: the connection closes once the answer is out, so the client stops sending.
        if (bundle || bodyBytes > 0) void reply.header('connection', 'close');
        done(error as Error);
        return;
      }
      if (release !== undefined) {
        reply.raw.once('close', release);
        // A client that stops reading the answer, or reads it too slowly to end it, would hold its slots until its
        // connection closes (review 11, item 1; write-stall.ts).
        cutSlowAnswer(reply.raw, answerLimits);
        guarded.add(reply.raw);
      }
      done(null, payload);
    };
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode },
      reply.elapsedTime / 1000,
    );
    done();
  });

  // A request no route takes is answered here, before any byte of its body is read: otherwise Fastify would
  // read (and buffer, up to the body limit) what an anonymous client sends to a made-up path or with a method
  // the path does not take (`POST /healthz`) before its 404 handler runs. Answered, the request goes no further
  // (no `done`).
  const webRoot = options.webRoot ?? defaultWebRoot;
  // First of all: a connection's requests waiting for their answers (MAX_PIPELINED_REQUESTS).
  app.addHook('onRequest', (request, reply, done) => {
    if (countUnanswered(request.raw.socket, reply.raw) <= MAX_PIPELINED_REQUESTS) {
      done();
      return;
    }
    void reply.header('connection', 'close');
    done(
      new ApiError(
        429,
        'TOO_MANY_PIPELINED_REQUESTS',
        `this connection has ${String(MAX_PIPELINED_REQUESTS)} requests waiting for their answers, the most one ` +
          'connection may: read the answers before sending more requests, or open another connection',
      ),
    );
  });
  app.addHook('onRequest', (request, reply, done) => {
    if (!request.is404) {
      done();
      return;
    }
    answerUnmatched(request, reply, webRoot).catch(done);
  });
  /** A request's caller, once known: its connection counted against the token's cap, then the next hook. */
  const identified = (
    request: FastifyRequest,
    reply: FastifyReply,
    token: Caller | undefined,
    done: (error?: Error) => void,
  ): void => {
    if (token && !connections.admit(request.raw.socket, token.id)) {
      // The request is not read further and the connection is closed once the answer is out.
      void reply.header('retry-after', '5').header('connection', 'close');
      done(
        new ApiError(
          429,
          'TOO_MANY_CONNECTIONS',
          `this token holds ${connections.limit} connections to the hub, the most one token may ` +
            `(STRATA_MAX_CONNECTIONS_PER_TOKEN or --max-connections-per-token): reuse or close one of them`,
        ),
      );
      return;
    }
    if (token) {
      tokens.set(request, token);
      pending.authenticated(request.raw.socket);
    }
    done();
  };
  /** The token of each request to a route that needs `role` (its first hook of its own, after the one above). */
  const authentication =
    (role: Role): onRequestHookHandler =>
    (request, reply, done) => {
      let kept: { readonly caller: Caller | undefined } | undefined;
      try {
        kept = authorizeKept(options.hub.tokens, request.headers.authorization, role);
      } catch (error) {
        done(error as Error);
        return;
      }
      if (kept !== undefined) identified(request, reply, kept.caller, done);
      else
        authorize(options.hub.tokens, request.headers.authorization, role).then((token) => {
          identified(request, reply, token, done);
        }, done);
    };
  // Per route too, after the route's authentication (which it reads).
  const forwarding: onRequestHookHandler[] =
    options.hub.replicas() === undefined
      ? []
      : [
          replicaForward(
            options.hub,
            () => options.hub.replicas()?.id,
            (request) => {
              const caller = tokens.get(request);
              return caller?.role === Role.Agent ? caller.cluster : undefined;
            },
            new ForwardMarker(options.forwardKey),
          ),
        ];
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    reply.headers(SECURITY_HEADERS);
    // Any other answer larger than a socket takes at once (a large page, the OpenAPI document) waits on its
    // client in the hub's memory: it is cut as a costly one is, so a client trickling it cannot keep it, and its
    // connection, for ever.
    // One that fits in a write (the 200-pack page) is handed whole and watched only if the socket did not take
    // it at once (write-stall.ts, WHOLE_WRITE_BYTES): Fastify ends the answer within done().
    if (!guarded.has(reply.raw) && isLarge(payload)) {
      const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : (payload as Uint8Array).length;
      if (bytes <= WHOLE_WRITE_BYTES) {
        done(null, payload);
        watchUntaken(reply.raw, bytes, answerLimits);
        return;
      }
      cutSlowAnswer(reply.raw, answerLimits);
    }
    done(null, payload);
  });
  app.addHook('preClose', (done) => {
    closing = true;
    events.close();
    done();
  });

  app.setErrorHandler(async (error, request, reply) => {
    const { problem, internal } = toProblem(error, { instance: pathOf(request), requestId: request.id });
    if (internal) request.log.error({ err: error }, `request failed: ${problem.code}`);
    if (reply.raw.headersSent) {
      // A stream that failed after its headers went out: nothing to send but the end of it.
      reply.raw.end();
      return;
    }
    if (problem.status === 401) reply.header('www-authenticate', 'Bearer realm="strata"');
    // A HubError may say when to ask again (an agent pushing too fast).
    const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
    // A 503 is "not now": say when to ask again (an agent's unstored batch, a busy hub).
    if (problem.status === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', '2');
    await reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
  });
  // Reached only if the onRequest hook above did not answer (Fastify calls it for its own 404s too).
  app.setNotFoundHandler(async (request, reply) => {
    await answerUnmatched(request, reply, webRoot);
  });

  const actorOf = (request: FastifyRequest): Actor => {
    const token = tokens.get(request);
    return token ? { tokenId: token.id, name: token.name } : { name: 'anonymous' };
  };

  for (const route of routes) {
    const params = route.params ? keptParams(route.params as z.ZodType) : undefined;
    app.route({
      method: route.method,
      url: fastifyPath(route.path),
      ...(route.bodyLimit === undefined ? {} : { bodyLimit: route.bodyLimit }),
      config: {
        strataRole: route.role,
        strataBundles: route.kind === 'json' && (route.bodyFormats ?? []).includes(BodyFormat.Bundle),
        strataOperation: route.operationId,
        strataStream: route.kind === 'stream',
      },
      onRequest: [authentication(route.role), ...forwarding],
      preParsing: admission({
        operationId: route.operationId,
        bundles: route.kind === 'json' && (route.bodyFormats ?? []).includes(BodyFormat.Bundle),
      }),
      handler: async (request, reply) => {
        const input = {
          ...services,
          params: params?.(request.params),
          query: route.query
            ? parseInput(route.query as z.ZodType, request.query, 'query parameter')
            : undefined,
          body: undefined as unknown,
          bundle: undefined as Buffer | undefined,
          actor: actorOf(request),
          callerRole: tokens.get(request)?.role ?? Role.Public,
          request,
        };
        switch (route.kind) {
          case 'stream':
            await route.handler(input, reply);
            return reply;
          case 'json': {
            if (Buffer.isBuffer(request.body)) {
              if (!(route.bodyFormats ?? []).includes(BodyFormat.Bundle))
                throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `${route.operationId} takes no gzip body`);
              input.bundle = request.body;
            } else if (route.body)
              input.body = parseInput(route.body as z.ZodType, decodeBody(request, route), 'body');
            const result: unknown = await route.handler(input);
            if (route.response === undefined) return reply.code(route.status).send();
            if (options.validateResponses === true) {
              const checked = (route.response as z.ZodType).safeParse(result);
              if (!checked.success) {
                throw new Error(
                  `response of ${route.operationId} does not match its schema: ${checked.error.message}`,
                );
              }
            }
            if (route.etag === true) {
              const sent = representation(tagBody(result), request.headers['accept-encoding']);
              reply
                .header('etag', sent.etag)
                .header('cache-control', 'no-cache')
                .header('vary', 'accept-encoding');
              if (matchesIfNoneMatch(request.headers['if-none-match'], sent.etag))
                return reply.code(304).send();
              if (sent.encoding !== undefined) reply.header('content-encoding', sent.encoding);
              return reply
                .code(route.status)
                .type('application/json')
                .send(await sent.body());
            }
            return reply.code(route.status).type('application/json').send(result);
          }
          default:
            return assertNever(route, 'route kind');
        }
      },
    });
  }

  /** Ends SSE streams and stops listening on every address; the hub and store stay open. */
  const close = async (): Promise<void> => {
    closing = true;
    // No new connection on any address; those open end as Fastify's do (its handler answers 503 while closing,
    // and the event streams are ended in its preClose).
    const closed = alsoListening.map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => {
            resolve();
          });
        }),
    );
    await app.close();
    await endWhenAnswered(alsoConnected, CLOSE_GRACE_MS);
    for (const server of alsoListening) server.closeAllConnections();
    await Promise.all(closed);
  };
  return {
    app,
    events,
    metrics,
    routes,
    async listen(address) {
      events.start();
      // `localhost` is bound here, not by Fastify (see alsoListening): Fastify gets its first address alone.
      const [first, ...others] =
        address.host === 'localhost'
          ? [...new Set(await (options.localhostAddresses ?? localhostAddresses)())]
          : [address.host];
      if (first === undefined) throw new Error('the host name localhost resolves to no address');
      await app.listen({ host: first, port: address.port });
      const bound = app.server.address();
      const port = typeof bound === 'object' && bound !== null ? bound.port : address.port;
      for (const other of others) {
        if (closing) break;
        const server = addServer();
        try {
          await listenOn(server, other, port);
        } catch (error) {
          // localhost's other address may not exist here (no IPv6): the first one is enough, as Fastify had it.
          // Anything else (in use: another program would take the requests, and the tokens, of clients that try
          // that address first) is the hub failing to start.
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT') {
            app.log.warn(
              `not listening on ${other} port ${String(port)} too (localhost): ${errorText(error)}`,
            );
            continue;
          }
          await close();
          throw new Error(
            `cannot listen on ${other} port ${String(port)}, an address of localhost: ${errorText(error)}`,
            { cause: error },
          );
        }
        // Read again after the bind (a plain `closing` here is narrowed to false by the check above).
        if (isClosing()) {
          // close() began while this bind was under way, and did not see this server.
          server.close();
          break;
        }
        alsoListening.push(server);
        app.log.info(`listening on ${other} port ${String(port)} too (localhost)`);
      }
      const host = address.host.includes(':') ? `[${address.host}]` : address.host;
      return `http://${host}:${port}`;
    },
    close,
    keptPageReads: () => keptPageReads,
  };
}

/**
 * Puts `first` before Fastify's own request listener on Fastify's server: a request it answers (true) goes no
 * further; returns the listener, which the servers for `localhost`'s other addresses take too (listen()). Not
 * Fastify's serverFactory, which needs Fastify's server options copied onto a server of ours. Fastify's server
 * has exactly its one listener (http.createServer(options, handler)); anything else fails at startup rather than
 * answering twice.
 */
function routeKeptPageFirst(
  server: Server,
  first: (req: IncomingMessage, res: ServerResponse) => boolean,
): (req: IncomingMessage, res: ServerResponse) => void {
  const listeners = server.listeners('request');
  const routed = listeners[0] as ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  if (listeners.length !== 1 || routed === undefined)
    throw new Error(`Fastify's server has ${String(listeners.length)} request listeners, not its one`);
  server.removeListener('request', routed);
  // Fastify's handler reads no `this`: the same listener serves the servers listen() adds.
  const answer = (req: IncomingMessage, res: ServerResponse) => {
    if (!first(req, res)) routed.call(server, req, res);
  };
  server.on('request', answer);
  return answer;
}

/** Every address the system resolves `localhost` to, in its order (Fastify's rule for `localhost`). */
async function localhostAddresses(): Promise<string[]> {
  // Loaded here, not imported: only a hub bound to `localhost` needs it (node-http.ts says why that matters).
  const found = await process.getBuiltinModule('node:dns/promises').lookup('localhost', { all: true });
  return found.map((a) => a.address);
}

function listenOn(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => {
      reject(error);
    };
    server.once('error', failed);
    server.listen({ host, port }, () => {
      server.removeListener('error', failed);
      resolve();
    });
  });
}

/** How long close() waits for the requests on localhost's other addresses to be answered before cutting them. */
const CLOSE_GRACE_MS = 30_000;

/**
 * Ends each connection once it has no request waiting for its answer (unanswered.ts), as Fastify's close ends its
 * own server's: a request under way is answered, and a connection that never sent one (not idle to Node, which
 * holds it for the headers timeout) is not waited for. After `graceMs` the caller cuts what is left.
 */
async function endWhenAnswered(sockets: Set<Socket>, graceMs: number): Promise<void> {
  const deadline = performance.now() + graceMs;
  for (;;) {
    for (const socket of sockets) if (unanswered(socket) === 0) socket.destroy();
    if (sockets.size === 0 || performance.now() >= deadline) return;
    // Shutdown only: answers under way end on their own, and nothing tells when the last one of a socket does.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const openOn = (server: Server) =>
  new Promise<number>((resolve) => {
    server.getConnections((error, count) => {
      resolve(error ? 0 : count);
    });
  });

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * A request no route takes: a file of the web UI for a GET/HEAD outside the API, else 404 ROUTE_NOT_FOUND. A
 * body the client sent is not read: the connection is closed after the answer instead of drained.
 */
async function answerUnmatched(
  request: FastifyRequest,
  reply: FastifyReply,
  webRoot: string | false,
): Promise<void> {
  const path = pathOf(request);
  if ((request.method === 'GET' || request.method === 'HEAD') && webRoot !== false && !isApiPath(path)) {
    if (await sendWebFile(webRoot, path, reply)) return;
  }
  const { problem } = toProblem(new ApiError(404, 'ROUTE_NOT_FOUND', `no route ${request.method} ${path}`), {
    instance: path,
    requestId: request.id,
  });
  if (hasBody(request)) void reply.header('connection', 'close');
  await reply.code(404).type(PROBLEM_CONTENT_TYPE).send(problem);
}

const hasBody = (request: FastifyRequest) =>
  request.headers['transfer-encoding'] !== undefined ||
  (request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0');

/** Fastify's compiler factories for route schemas: Strata declares none (see createServer). */
function noSchemaCompiler(): never {
  throw new Error(
    'a route declares a Fastify JSON schema: Strata routes validate with zod (route.params/query/body), ' +
      'and the server loads no JSON schema compiler',
  );
}

/** A problem+json answer written straight to a socket that has no request (see clientErrorHandler). */
function writeClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  // A reset connection, or one already answered: nothing to write to.
  if (error.code === 'ECONNRESET') return;
  const [status, code, detail] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [
          431,
          'HEADERS_TOO_LARGE',
          'the request line and headers exceed 16 KiB (a URL that long is refused too)',
        ]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'the request was not received in time']
        : [400, 'MALFORMED_REQUEST', 'the request is not valid HTTP/1.1'];
  writeProblem(socket, { status, code, detail });
}

/** A problem+json answer written to a socket outside Fastify, which is then closed. */
function writeProblem(
  socket: Duplex | Socket,
  answer: { status: number; code: string; detail: string; retryAfter?: number },
): void {
  if (socket.destroyed || !socket.writable) return;
  const { status, code, detail } = answer;
  const problem: Problem = {
    type: problemType(code),
    title: statusTitle(status),
    status,
    detail,
    code,
    instance: '',
  };
  const body = JSON.stringify(problem);
  const headers = {
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
    ...(answer.retryAfter === undefined ? {} : { 'retry-after': String(answer.retryAfter) }),
    ...SECURITY_HEADERS,
  };
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}\r\n${head}\r\n${body}`);
}
