// The Cluster Profile page answered by Node's HTTP server before Fastify routes the request (issue 15, fast
// reads): 20 readers polling a 200-pack page. The page is kept built between changes (src/hub/kept-reads.ts),
// serialized, tagged and gzipped once per change (etag.ts), so a read of it is a lookup and a write of bytes, and
// what was left was Fastify's own work per request: its request and reply objects, hooks, header handling,
// ~0.17 ms of hub CPU per read out of ~0.31 (session 14, measured against a bare node:http server answering the
// same bytes to the same readers).
//
// Only the plain case is taken here, every step of it decided without a promise; anything else goes to Fastify,
// which answers it as for any route (its errors, refusals, the first read of a new page or gzip):
// - `GET /api/v1/clusters/<name>/page`, the name of characters that need no decoding, no query, no body;
// - the hub is not closing and runs no replicas (a replica forwards a cluster's requests to its owner);
// - no other request of the connection waits for its answer (pipelining: answers go out in order);
// - the token is known without a promise (Tokens.kept) and allows the viewer role, and its connection is
//   admitted under the per-token cap (the same checks, in the same order, as the route's hooks);
// - the page is kept and current, and its bytes (the gzip too, for a client that takes it) are made already.
// The answer is the one Fastify gives, header for header and byte for byte (kept-page-answer.test.ts compares the
// two), with its access-log line, its request metric and the write-stall guard of any answer.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { FastifyBaseLogger } from 'fastify';
import type { ClusterPage, Hub } from '../hub/index.js';
import { infoEnabled, writeAccessLine } from './access-log.js';
import { authorizeKept, type Caller } from './auth.js';
import { matchesIfNoneMatch, representation, tagBody } from './etag.js';
import type { Metrics } from './metrics.js';
import { Role } from './route.js';
import { SECURITY_HEADERS } from './security-headers.js';
import { countUnanswered, unanswered } from './unanswered.js';
import { watchUntaken, WHOLE_WRITE_BYTES, WRITE_SLICE_BYTES, type AnswerLimits } from './write-stall.js';

/** The page route as Fastify names it (metrics, access log). */
export const PAGE_ROUTE = '/api/v1/clusters/:cluster/page';

export interface KeptPageOptions {
  readonly hub: Pick<Hub, 'keptClusterPage' | 'tokens'>;
  /** The router's longest path parameter: a longer name is Fastify's to refuse (414). */
  readonly maxParamLength: number;
  /** The page as the route answers it (its cluster presented), the same object while the page is. */
  readonly present: (page: ClusterPage) => object;
  /** The route's response check when responses are checked (tests): false sends the read to Fastify. */
  readonly check: ((shown: object) => boolean) | undefined;
  /** Whether the fast path may answer at all now: false while the hub closes or when it runs replicas. */
  readonly open: () => boolean;
  /** Counts the caller's connection against its token's cap: false when it may not (Fastify refuses it). */
  readonly admit: (socket: Socket, caller: Caller) => boolean;
  readonly limits: AnswerLimits;
  readonly metrics: Pick<Metrics, 'observeRequest'>;
  readonly log: FastifyBaseLogger;
}

/** Answers a request (true) or leaves it to Fastify (false, nothing done). */
export type KeptPageAnswer = (req: IncomingMessage, res: ServerResponse) => boolean;

/** A read the fast path takes: who asks, and what it is sent. */
interface Taken {
  readonly caller: Caller;
  readonly etag: string;
  readonly encoding: string | undefined;
  /** Undefined: 304. */
  readonly body: Buffer | undefined;
}

export function keptPageAnswer(options: KeptPageOptions): KeptPageAnswer {
  const path = new RegExp(`^/api/v1/clusters/([A-Za-z0-9._~-]{1,${String(options.maxParamLength)}})/page$`);
  const checked = new WeakSet<object>();

  /** The read when the fast path takes it, else undefined (Fastify answers), deciding without side effects. */
  const take = (req: IncomingMessage): Taken | undefined => {
    if (req.method !== 'GET' || !options.open()) return undefined;
    const cluster = path.exec(req.url ?? '')?.[1];
    if (cluster === undefined) return undefined;
    const { headers } = req;
    if (headers['transfer-encoding'] !== undefined) return undefined;
    if (headers['content-length'] !== undefined && headers['content-length'] !== '0') return undefined;
    if (unanswered(req.socket) > 0) return undefined;
    let caller: Caller | undefined;
    try {
      caller = authorizeKept(options.hub.tokens, headers.authorization, Role.Viewer)?.caller;
    } catch {
      // Refused (401, 403): Fastify's answer, with its problem and headers.
      return undefined;
    }
    if (caller === undefined) return undefined;
    const page = options.hub.keptClusterPage(cluster);
    if (page === undefined) return undefined;
    const shown = options.present(page);
    if (options.check !== undefined && !checked.has(shown)) {
      if (!options.check(shown)) return undefined;
      checked.add(shown);
    }
    const sent = representation(tagBody(shown), headers['accept-encoding']);
    if (matchesIfNoneMatch(headers['if-none-match'], sent.etag))
      return { caller, etag: sent.etag, encoding: sent.encoding, body: undefined };
    const body = sent.made();
    if (body === undefined || body.length > WHOLE_WRITE_BYTES) return undefined;
    return { caller, etag: sent.etag, encoding: sent.encoding, body };
  };

  /** When a failure of this path was last logged: once a minute at most, not once per read while it lasts. */
  let failureLogged = -Infinity;
  const failed = (error: unknown, what: string) => {
    const now = performance.now();
    if (now - failureLogged < 60_000) return;
    failureLogged = now;
    options.log.error({ err: error }, what);
  };

  return (req, res) => {
    try {
      const taken = take(req);
      if (taken === undefined || !options.admit(req.socket, taken.caller)) return false;
      send(req, res, taken);
      return true;
    } catch (error) {
      if (!res.headersSent && !res.destroyed) {
        // A defect of this path, not the request's: Fastify answers it (and says what failed, if it fails too).
        // What was counted before the throw (admission, this answer's place on its connection) is what
        // Fastify's hooks count again for the same socket and answer: given back as theirs is.
        failed(error, 'the kept page could not be answered before routing');
        return false;
      }
      // Nothing else is sent on a connection whose answer is half written: it is closed.
      failed(error, 'a kept page read failed while it was sent');
      res.destroy();
      return true;
    }
  };

  function send(req: IncomingMessage, res: ServerResponse, taken: Taken): void {
    const { body, caller } = taken;
    const socket = req.socket;
    const start = performance.now();
    const id = randomUUID();
    const status = body === undefined ? 304 : 200;
    countUnanswered(socket, res);
    res.writeHead(status, answerHeaders(taken.etag, taken.encoding, id, body));
    res.end(body);
    // 'finish' comes later (once the kernel took the last byte): listened to only once nothing here can throw, so a
    // read that fell through to Fastify gets no line of this path's.
    res.once('finish', () => {
      try {
        const seconds = (performance.now() - start) / 1000;
        options.metrics.observeRequest({ method: 'GET', route: PAGE_ROUTE, status }, seconds);
        if (!infoEnabled(options.log)) return;
        writeAccessLine(
          options.log,
          {
            reqId: id,
            method: 'GET',
            url: req.url,
            route: PAGE_ROUTE,
            status,
            ms: seconds * 1000,
            address: socket.remoteAddress,
            caller,
          },
          'request completed',
        );
      } catch (error) {
        failed(error, 'the access-log line of a kept page read could not be written');
      }
    });
    if (body !== undefined && body.length > WRITE_SLICE_BYTES) watchUntaken(res, body.length, options.limits);
  }
}

/** The headers Fastify sends with the page: the route's, then the server's (onSend), then the body's length. */
function answerHeaders(
  etag: string,
  encoding: string | undefined,
  id: string,
  body: Buffer | undefined,
): Record<string, string> {
  return {
    etag,
    'cache-control': 'no-cache',
    vary: 'accept-encoding',
    ...(body === undefined
      ? {}
      : {
          ...(encoding === undefined ? {} : { 'content-encoding': encoding }),
          'content-type': 'application/json',
        }),
    'x-request-id': id,
    ...SECURITY_HEADERS,
    ...(body === undefined ? {} : { 'content-length': String(body.length) }),
  };
}
