// Hub replicas (issue 16): a request about one cluster's packs or attachments (`/api/v1/clusters/{cluster}/…`),
// or an agent's request about its cluster (`/api/v1/agent/…`), needs the runner that drives the cluster: its live statuses, recent warnings, drift, the packs it may still
// report on. On a replica that does not drive the cluster it is passed, once, to the replica that does (the
// caller's own credentials go with it and are checked there again); while no replica drives it (a failover,
// at most a few seconds) the answer is 503 with Retry-After. Every other route is served by any replica from
// the database.
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Hub } from '../hub/index.js';
import * as https from '../shared/lazy-https.js';
import { http } from '../shared/node-http.js';
import { ApiError } from './problem.js';

/** Marks a forwarded request: a replica never forwards one again (no loops while leases move). */
export const FORWARDED_HEADER = 'x-strata-forwarded-by';

const CLUSTER_SCOPED = /^\/api\/v1\/clusters\/:cluster\/./;

/** Request headers that carry meaning to the route; hop-by-hop ones are the connection's own. */
const PASSED_REQUEST = [
  'authorization',
  'content-type',
  'content-length',
  'content-encoding',
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
) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const url = request.routeOptions.url ?? '';
    const cluster = CLUSTER_SCOPED.test(url)
      ? (request.params as { cluster?: string }).cluster
      : AGENT_SCOPED.test(url)
        ? agentClusterOf(request)
        : undefined;
    if (cluster === undefined || request.headers[FORWARDED_HEADER] !== undefined) return;
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
    const headers: Record<string, string> = { [FORWARDED_HEADER]: self() ?? 'a replica' };
    for (const name of PASSED_REQUEST) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'DELETE';
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
    if (hasBody) request.raw.pipe(outgoing);
    else outgoing.end();
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
