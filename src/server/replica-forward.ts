// Hub replicas (issue 16): a request about one cluster's packs or attachments (`/api/v1/clusters/{cluster}/…`),
// or an agent's request about its cluster (`/api/v1/agent/…`), needs the runner that drives the cluster: its live statuses, recent warnings, drift, the packs it may still
// report on. On a replica that does not drive the cluster it is passed, once, to the replica that does (the
// caller's own credentials go with it and are checked there again); while no replica drives it (a failover,
// at most a few seconds) the answer is 503 with Retry-After. Every other route is served by any replica from
// the database.
//
// The marker that says "a replica passed this on" is signed (ForwardMarker): with a key derived from the
// STRATA_SECRET_KEY every replica already shares, over the sending and the receiving replica, a time, a nonce,
// the method, the path and the caller's token (its hash). A client that sends the header itself (to be answered
// from a non-driving replica's own state) is forwarded as if it had not; one that copies a marker off the link
// cannot use it again (the receiving replica remembers its nonce until it expires), nor at another replica,
// nor for another request or token. The link between replicas is plain HTTP (the address each replica listens
// on, `--address`), and the caller's token travels on it: run replicas on a private network, or put a TLS
// sidecar on each replica and give it an https address (passOn speaks https to one).
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Hub } from '../hub/index.js';
import * as https from '../shared/lazy-https.js';
import { http } from '../shared/node-http.js';
import { ApiError } from './problem.js';

/** Marks a forwarded request: a replica never forwards one again (no loops while leases move). */
export const FORWARDED_HEADER = 'x-strata-forwarded-by';

const CLUSTER_SCOPED = /^\/api\/v1\/clusters\/:cluster\/./;

/**
 * Request headers that carry meaning to the route; hop-by-hop ones are the connection's own. Not the framing
 * (content-length, transfer-encoding): the request to the driver is framed by what passOn writes, never by
 * what the client claimed, or a claimed length with no body sent would make the driver read the next request
 * on the pooled connection (another user's) as this one's body.
 */
const PASSED_REQUEST = [
  'authorization',
  'content-type',
  'accept',
  'accept-encoding',
  'if-none-match',
  'x-request-id',
] as const;
/**
 * The driver's body is passed as it came, compressed or not (a kept page is gzipped once per version there), so
 * the headers that describe its bytes go with it.
 */
const PASSED_RESPONSE = [
  'content-type',
  'content-encoding',
  'content-length',
  'vary',
  'etag',
  'cache-control',
  'retry-after',
  'location',
  'www-authenticate',
];

/** How long a signed marker stays valid: clocks of replicas differ by a little, a request takes a moment. */
const MARKER_VALID_MS = 60_000;

/**
 * Nonces a replica remembers at once (review 11, item 7: one per forwarded request for 2 minutes, driven by any
 * viewer's cluster reads at another replica): about 100 bytes each, so at most ~10 MiB, and ~800 forwarded
 * requests a second. Past it a forwarded request is refused with 503 until older nonces expire.
 */
export const MAX_REMEMBERED_NONCES = 100_000;

/** The HMAC key replicas sign markers with, derived from the secret key they share (never the key itself). */
export function forwardKeyOf(secretKey: Uint8Array): Buffer {
  return createHmac('sha256', secretKey).update('strata replica forward marker v1').digest();
}

/** One forwarded request, as a marker binds it. */
export interface MarkedRequest {
  /** The replica that passes the request on. */
  readonly from: string;
  /** The replica it is passed to (the driver), which alone may take the marker. */
  readonly to: string;
  readonly method: string;
  /** The path and query (signedPath). */
  readonly path: string;
  /** The caller's Authorization header, bound by its hash (the marker is no use with another token). */
  readonly authorization: string | undefined;
}

/**
 * Signs and checks the forwarded marker: `<from>;<unix ms>;<nonce>;<hmac>` over both replicas, the time, the
 * nonce, the method, the request's path and query, and a hash of its Authorization. A marker is taken once:
 * its nonce is remembered until it could no longer be valid, so one read off the plain-HTTP link cannot be
 * replayed (review 9, item 6). Without a key (one hub, tests) a random one: only this process can sign.
 */
export class ForwardMarker {
  private readonly key: Uint8Array;
  /** Nonces taken, each with when it may be forgotten (in insertion order, so also in that order). */
  private readonly taken = new Map<string, number>();

  constructor(
    key: Uint8Array | undefined,
    private readonly now: () => number = () => Date.now(),
    private readonly maxRemembered: number = MAX_REMEMBERED_NONCES,
  ) {
    this.key = key ?? randomBytes(32);
  }

  sign(request: MarkedRequest): string {
    const at = String(this.now());
    const nonce = randomBytes(16).toString('base64url');
    return `${request.from};${at};${nonce};${this.mac(request, at, nonce)}`;
  }

  /**
   * Whether `header` is a marker this key signed for this request, to the replica `to`, recently, and not taken
   * before. `from` is read from the marker (the request's own is ignored). Throws the 503 when a valid marker
   * comes while `maxRemembered` nonces are remembered (it could not be remembered, so not refused if replayed).
   */
  verify(header: string | string[] | undefined, request: Omit<MarkedRequest, 'from'>): boolean {
    if (typeof header !== 'string') return false;
    const macAt = header.lastIndexOf(';');
    const nonceAt = header.lastIndexOf(';', macAt - 1);
    const atAt = header.lastIndexOf(';', nonceAt - 1);
    if (atAt <= 0 || nonceAt <= atAt || macAt <= nonceAt) return false;
    const from = header.slice(0, atAt);
    const at = header.slice(atAt + 1, nonceAt);
    const nonce = header.slice(nonceAt + 1, macAt);
    const now = this.now();
    if (!/^\d{1,15}$/.test(at) || Math.abs(now - Number(at)) > MARKER_VALID_MS) return false;
    if (!/^[\w-]{22}$/.test(nonce)) return false;
    const given = Buffer.from(header.slice(macAt + 1));
    const expected = Buffer.from(this.mac({ ...request, from }, at, nonce));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
    this.forgetExpired(now);
    if (this.taken.has(nonce)) return false;
    if (this.taken.size >= this.maxRemembered)
      throw new ApiError(
        503,
        'HUB_BUSY',
        `this replica remembers ${this.taken.size} forwarded requests of the last ${(2 * MARKER_VALID_MS) / 1000} s, ` +
          `the most it keeps (${this.maxRemembered}, forwarded-request nonces): send it again in a few seconds`,
      );
    // Valid for MARKER_VALID_MS either side of `at`, and `at` is within that of now: after twice that, no clock
    // would take it.
    this.taken.set(nonce, now + 2 * MARKER_VALID_MS);
    return true;
  }

  /** Nonces remembered now (tests). */
  get remembered(): number {
    return this.taken.size;
  }

  private forgetExpired(now: number): void {
    for (const [nonce, until] of this.taken) {
      if (until > now) return;
      this.taken.delete(nonce);
    }
  }

  private mac(request: MarkedRequest, at: string, nonce: string): string {
    const token = createHash('sha256')
      .update(request.authorization ?? '')
      .digest('base64url');
    return createHmac('sha256', this.key)
      .update(`${request.from}\n${request.to}\n${at}\n${nonce}\n${request.method}\n${request.path}\n${token}`)
      .digest('base64url');
  }
}

/** The path and query a marker signs: what forwardUrl sends, whatever form the request line had. */
const signedPath = (requestUrl: string) => {
  const { pathname, search } = new URL(requestUrl, 'http://replica.invalid');
  return `${pathname}${search}`;
};

/** Methods whose body no route reads (and Node would not frame one of: it sends their bytes unframed). */
const BODILESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

/** How long a forwarded request may take before the caller gets 504. */
const FORWARD_TIMEOUT_MS = 60_000;

/** The agent routes: about the cluster of the agent token that calls them, served by the replica driving it. */
const AGENT_SCOPED = /^\/api\/v1\/agent\//;

/**
 * `agentClusterOf`: the cluster of the request's agent token (authenticated before this hook runs), for the
 * agent routes, which name no cluster in their path.
 */
export function replicaForward(
  hub: Hub,
  self: () => string | undefined,
  agentClusterOf: (request: FastifyRequest) => string | undefined,
  marker: ForwardMarker = new ForwardMarker(undefined),
) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const url = request.routeOptions.url ?? '';
    const cluster = CLUSTER_SCOPED.test(url)
      ? (request.params as { cluster?: string }).cluster
      : AGENT_SCOPED.test(url)
        ? agentClusterOf(request)
        : undefined;
    if (cluster === undefined) return;
    // Routing took the path as it came; a dot segment (`..`, `%2e%2e`) that URL resolution removes would send
    // the driver another path than the one matched here.
    if (request.url.startsWith('/') && request.url.split('?')[0] !== signedPath(request.url).split('?')[0]) {
      throw new ApiError(
        400,
        'BAD_PATH',
        `the path ${JSON.stringify(request.url.split('?')[0])} has dot segments`,
      );
    }
    // Passed on by a replica already: served here, never passed again (no loops while leases move). A marker
    // the client made up is not one.
    const authorization = request.headers.authorization;
    const here = self() ?? 'a replica';
    let forwarded: boolean;
    try {
      forwarded = marker.verify(request.headers[FORWARDED_HEADER], {
        to: here,
        method: request.method,
        path: signedPath(request.url),
        authorization,
      });
    } catch (error) {
      // Too many nonces remembered (MAX_REMEMBERED_NONCES): older ones expire within 2 minutes.
      void reply.header('retry-after', '5');
      throw error;
    }
    if (forwarded) return;
    const driver = await hub.driverOf(cluster);
    if (driver === 'here') return;
    if (driver === undefined || driver.address === '') {
      // An unknown cluster is the route's 404 to give; a known one is between two replicas.
      await hub.getCluster(cluster);
      void reply.header('retry-after', '2');
      throw new ApiError(
        503,
        'CLUSTER_NOT_DRIVEN',
        `cluster "${cluster}" is not driven by any hub replica right now (one is taking it over): retry in a few seconds`,
      );
    }
    const headers: Record<string, string> = {
      [FORWARDED_HEADER]: marker.sign({
        from: here,
        to: driver.id,
        method: request.method,
        path: signedPath(request.url),
        authorization,
      }),
    };
    for (const name of PASSED_REQUEST) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    // A body is what the client's own framing says follows (Node's parser has read that framing), on a method
    // that takes one: it is passed on chunked, with its encoding. A GET's, HEAD's or DELETE's is dropped (no
    // route reads one), and nothing is sent after their head.
    const length = request.headers['content-length'];
    const hasBody =
      !BODILESS.has(request.method) &&
      (request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0'));
    const encoding = request.headers['content-encoding'];
    if (hasBody) {
      headers['transfer-encoding'] = 'chunked';
      if (typeof encoding === 'string') headers['content-encoding'] = encoding;
    }
    let response: IncomingMessage;
    try {
      response = await passOn(forwardUrl(request.url, driver.address), request, headers, hasBody);
    } catch (cause) {
      void reply.header('retry-after', '2');
      throw new ApiError(
        503,
        'CLUSTER_NOT_DRIVEN',
        `cluster "${cluster}" is driven by hub replica ${driver.id}, which did not answer: retry in a few seconds`,
        { cause },
      );
    }
    for (const name of PASSED_RESPONSE) {
      const value = response.headers[name];
      if (value !== undefined) void reply.header(name, value);
    }
    void reply.header('x-strata-replica', driver.id);
    await reply.code(response.statusCode ?? 502).send(response);
  };
}

/**
 * Sends the request to the driver and resolves with its answer once the headers are in; the body (the client's
 * and the driver's) streams through untouched, so nothing is decompressed or buffered here.
 */
function passOn(
  target: URL,
  request: FastifyRequest,
  headers: OutgoingHttpHeaders,
  hasBody: boolean,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const send = target.protocol === 'https:' ? https.request : http.request;
    const outgoing = send(target, {
      method: request.method,
      headers,
      signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
    });
    outgoing.once('response', resolve);
    outgoing.once('error', reject);
    if (!hasBody) {
      outgoing.end();
      return;
    }
    // A client that stops sending mid-body ends the request to the driver too (its chunked body unfinished).
    request.raw.once('aborted', () => outgoing.destroy());
    request.raw.pipe(outgoing);
  });
}

/**
 * Where a request is passed: its path and query on the driving replica, nothing else of what the client sent.
 * Node and Fastify keep a request line's absolute form (`GET http://169.254.169.254/api/v1/clusters/c/page`) in
 * `request.url` and still route it, so resolving that URL against the driver's address would send the request,
 * with the caller's token, wherever the client named, and hand back the answer.
 */
export function forwardUrl(requestUrl: string, driverAddress: string): URL {
  const { pathname, search } = new URL(requestUrl, 'http://replica.invalid');
  const target = new URL(driverAddress);
  target.pathname = pathname;
  target.search = search;
  return target;
}
