// The hub's access log: one line per answered request, written from the root logger (issue 15, fast reads).
// Fastify's own request logging wrote two lines per request ("incoming request", "request completed") through
// each request's child logger: the child made and its bindings serialized, the `req` and `res` serializers run,
// two JSON lines written. At the hub's default level (info) that cost +25-35 % CPU per page read. This writes one
// line with what an operator reads an access log for: the request id (also in the answer's x-request-id),
// method, path, route, status, time taken, the caller's address and the token's name, never its value (the
// Authorization header is not read here). Fastify's other request lines (stream and serializer errors, writeHead
// failures) are its own, unchanged.
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';

/** The caller as authenticated for the request, if any: its name is logged. */
export type CallerName = { readonly name: string } | undefined;

const INFO = 30;
/** pino's levels by name: the line is written when the level is info or below ('silent' is none of them). */
const LEVEL_VALUES: Readonly<Record<string, number>> = {
  trace: 10,
  debug: 20,
  info: INFO,
  warn: 40,
  error: 50,
  fatal: 60,
};

/** Whether `log` writes info lines: the access log's level. */
export function infoEnabled(log: FastifyBaseLogger): boolean {
  return (LEVEL_VALUES[log.level] ?? Infinity) <= INFO;
}

/** What an access-log line says of one request. */
export interface AccessEntry {
  readonly reqId: string;
  readonly method: string | undefined;
  readonly url: string | undefined;
  /** The route's path pattern (`/api/v1/clusters/:cluster/page`), `unmatched` for none. */
  readonly route: string;
  readonly status: number;
  /** From the request's start to its answer's end. */
  readonly ms: number;
  readonly address: string | undefined;
  readonly caller: CallerName;
  /** The answer could not be sent whole: why. */
  readonly error?: string | undefined;
}

/** Writes one access-log line (the level is the caller's to check: infoEnabled). */
export function writeAccessLine(log: FastifyBaseLogger, entry: AccessEntry, msg: string): void {
  const { caller, error } = entry;
  // A flat object of strings and numbers: pino writes it without serializers.
  log.info(
    {
      reqId: entry.reqId,
      method: entry.method,
      url: entry.url,
      route: entry.route,
      status: entry.status,
      ms: Math.round(entry.ms * 10) / 10,
      address: entry.address,
      ...(caller === undefined ? {} : { token: caller.name }),
      ...(error === undefined ? {} : { error }),
    },
    msg,
  );
}

export class AccessLog extends LogController {
  /** Streams whose answer went through Fastify (a refusal): their line was written as any other's. */
  private readonly completed = new WeakSet<FastifyRequest>();

  /** `callerOf`: the token the request was authenticated with; none for one refused before (401, unknown path). */
  constructor(private readonly callerOf: (request: FastifyRequest) => CallerName) {
    super();
  }

  /**
   * Nothing at the start: the line at the end says all of it, once. An event stream is taken from Fastify
   * (reply.hijack), which then reports no completion: its line is written when its connection closes.
   */
  override incomingRequest(request: FastifyRequest, reply: FastifyReply): void {
    // The level first: request.routeOptions is a new object at each read.
    if (!infoEnabled(request.server.log) || request.routeOptions.config.strataStream !== true) return;
    reply.raw.once('close', () => {
      if (!this.completed.has(request)) this.write(undefined, request, reply, 'stream closed');
    });
  }

  /** `error`: the answer could not be sent whole (the connection closed or failed while it was written). */
  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (!infoEnabled(request.server.log)) return;
    if (request.routeOptions.config.strataStream === true) this.completed.add(request);
    this.write(error, request, reply, error ? 'request not answered whole' : 'request completed');
  }

  private write(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
    msg: string,
  ): void {
    writeAccessLine(
      request.server.log,
      {
        reqId: request.id,
        method: request.method,
        url: request.url,
        route: request.routeOptions.url ?? 'unmatched',
        status: reply.raw.statusCode,
        ms: reply.elapsedTime,
        address: request.raw.socket.remoteAddress,
        caller: this.callerOf(request),
        error: error ? error.message : undefined,
      },
      msg,
    );
  }
}
