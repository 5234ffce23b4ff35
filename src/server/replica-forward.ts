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
// cannot use it again (the receiving replica remembers which of the sender's numbered markers it took), nor at another replica,
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
 * How far behind the newest marker of a sender one may arrive and still be taken (markers numbered in the
 * order they were signed; requests passed on side by side arrive a little out of that order). An older one is
 * refused as a replay would be: the request is then handled as one nobody passed on.
 */
export const MARKER_WINDOW = 4096;

/**
 * Senders (a replica process: its id and a random number it drew at start) remembered at once. Only a holder of
 * the key can add one (a valid marker), so this bounds restarts within two minutes, not clients.
 */
const MAX_SENDERS = 1024;

/**
 * Which of one sender's markers were taken: the highest number and a bitmap of the `MARKER_WINDOW` below it.
 * Constant memory whatever the rate (review 12, item 2: a map of nonces had to be capped, and one token
 * filling the cap locked every user's forwarded requests out).
 */
class TakenWindow {
  private highest = -1;
  private readonly bits = new Uint32Array(MARKER_WINDOW / 32);
  /** When no marker of this sender can be valid any more, if none comes meanwhile. */
  until = 0;

  /** Takes `seq` once: false when taken before or too far behind the newest. */
  take(seq: number): boolean {
    if (seq > this.highest) {
      // The slots between the old highest and the new one are numbers not seen yet.
      if (seq - this.highest >= MARKER_WINDOW) this.bits.fill(0);
      else for (let n = this.highest + 1; n < seq; n++) this.clear(n);
      this.highest = seq;
      this.set(seq);
      return true;
    }
    if (seq <= this.highest - MARKER_WINDOW || this.isSet(seq)) return false;
    this.set(seq);
    return true;
  }

  private isSet(n: number): boolean {
    return ((this.bits[(n % MARKER_WINDOW) >>> 5] ?? 0) & (1 << (n & 31))) !== 0;
  }
  private set(n: number): void {
    const word = (n % MARKER_WINDOW) >>> 5;
    this.bits[word] = (this.bits[word] ?? 0) | (1 << (n & 31));
  }
  private clear(n: number): void {
    const word = (n % MARKER_WINDOW) >>> 5;
    this.bits[word] = (this.bits[word] ?? 0) & ~(1 << (n & 31));
  }
}

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
 * Signs and checks the forwarded marker: `<from>;<unix ms>;<start>.<n>;<hmac>` over both replicas, the time, the
 * sender's start (a random number each process draws) and the marker's number in its order, the method, the
 * request's path and query, and a hash of its Authorization. A marker is taken once: the receiver keeps, per
 * sender, which numbers it took (TakenWindow), so one read off the plain-HTTP link cannot be replayed (review 9,
 * item 6), in constant memory per sender. Without a key (one hub, tests) a random one: only this process can sign.
 */
export class ForwardMarker {
  private readonly key: Uint8Array;
  /** This process's start: its markers' numbers count from 0 under it. */
  private readonly start = randomBytes(9).toString('base64url');
  private signed = 0;
  /** Per sender and start, the numbers taken (in the order last used, so the first is the oldest). */
  private readonly taken = new Map<string, TakenWindow>();

  constructor(
    key: Uint8Array | undefined,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.key = key ?? randomBytes(32);
  }

  sign(request: MarkedRequest): string {
    const at = String(this.now());
    const nonce = `${this.start}.${String(this.signed++)}`;
    return `${request.from};${at};${nonce};${this.mac(request, at, nonce)}`;
  }

  /**
   * Whether `header` is a marker this key signed for this request, to the replica `to`, recently, and not taken
   * before. `from` is read from the marker (the request's own is ignored).
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
    const numbered = /^([\w-]{12})\.(\d{1,15})$/.exec(nonce);
    if (numbered === null) return false;
    const given = Buffer.from(header.slice(macAt + 1));
    const expected = Buffer.from(this.mac({ ...request, from }, at, nonce));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
    this.forgetExpired(now);
    const sender = `${from}\n${numbered[1] ?? ''}`;
    const window = this.taken.get(sender) ?? new TakenWindow();
    if (!window.take(Number(numbered[2]))) return false;
    // Valid for MARKER_VALID_MS either side of `at`, and `at` is within that of now: after twice that, no clock
    // would take a marker of this sender that was not taken yet.
    window.until = now + 2 * MARKER_VALID_MS;
    this.taken.delete(sender);
    this.taken.set(sender, window);
    if (this.taken.size > MAX_SENDERS) this.taken.delete(this.taken.keys().next().value ?? sender);
    return true;
  }

  /** Senders remembered now (tests). */
  get remembered(): number {
    return this.taken.size;
  }

  private forgetExpired(now: number): void {
    for (const [sender, window] of this.taken) {
      if (window.until > now) return;
      this.taken.delete(sender);
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
    const forwarded = marker.verify(request.headers[FORWARDED_HEADER], {
      to: here,
      method: request.method,
      path: signedPath(request.url),
      authorization,
    });
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
