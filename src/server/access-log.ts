// The hub's access log: one line per answered request, written from the root logger (issue 15, fast reads).
// Fastify's own request logging wrote two lines per request ("incoming request", "request completed") through
// each request's child logger: the child made and its bindings serialized, the `req` serializer reading the
// socket's address and port, two JSON lines and two writes to stdout. At the hub's default level (info) that cost
// +25-35 % CPU per page read. This writes one line with what an operator reads an access log for: the request
// id (also in the answer's x-request-id), method, path, route, status, time taken, the caller's address and the
// token's name, never its value (the Authorization header is not read here).
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';

const INFO = 30;
/** pino's levels by name: the log is written when its level is info or below ('silent' is not one). */
const LEVEL_VALUES: Readonly<Record<string, number>> = {
  trace: 10,
  debug: 20,
  info: INFO,
  warn: 40,
  error: 50,
  fatal: 60,
};

function infoEnabled(log: FastifyBaseLogger): boolean {
  return (LEVEL_VALUES[log.level] ?? Infinity) <= INFO;
}

/** The caller as authenticated for the request, if any: its name is logged. */
type CallerName = { readonly name: string } | undefined;

/**
 * The line written for an answered request, or nothing below info. `caller` is the token the request was
 * authenticated with; a request refused before that (401, 404 of an unknown path) has none.
 */
export function logAnswered(
  log: FastifyBaseLogger,
  request: FastifyRequest,
  reply: FastifyReply,
  caller: CallerName,
): void {
  if (!infoEnabled(log)) return;
  // A flat object of strings and numbers: pino writes it without serializers.
  log.info(
    {
      reqId: request.id,
      method: request.method,
      url: request.url,
      route: request.routeOptions.url ?? 'unmatched',
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      address: request.raw.socket.remoteAddress,
      ...(caller === undefined ? {} : { token: caller.name }),
    },
    'request completed',
  );
}

/** A request the client gave up on before its answer: logged too, or a slow route's callers would go unseen. */
export function logAborted(log: FastifyBaseLogger, request: FastifyRequest, caller: CallerName): void {
  if (!infoEnabled(log)) return;
  log.info(
    {
      reqId: request.id,
      method: request.method,
      url: request.url,
      route: request.routeOptions.url ?? 'unmatched',
      address: request.raw.socket.remoteAddress,
      ...(caller === undefined ? {} : { token: caller.name }),
    },
    'request aborted',
  );
}
