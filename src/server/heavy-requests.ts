// How many costly requests one token may have in progress at once. Previewing an attachment, validating a
// profile, trying health rules, reading a pack's values and downloading a bundle each parse, plan, compress or
// evaluate for up to seconds (off the event loop where possible, but on shared workers and CPU): without a cap
// one viewer token could send them in a loop and starve every other user of the hub. One over the cap is
// refused at once with 429 TOO_MANY_REQUESTS and a Retry-After, the shape of the event streams' 429
// (stream-limits.ts). The slot is taken before any byte of the request's body is read (a stalled upload holds
// it, not the hub's memory) and given back when the answer is sent or the connection closes.
import type { FastifyReply } from 'fastify';
import { ApiError } from './problem.js';

/** The routes (by operationId) whose requests count against the cap. */
export const HEAVY_OPERATIONS: ReadonlySet<string> = new Set([
  'previewAttachmentUpdate',
  'validateProfile',
  'testHealthRules',
  'getPackValues',
  'getProfileBundle',
  // Asks every remote chart's source (downloads of up to 8 MiB each) when its answers are not kept (outdated.ts).
  'getOutdatedCharts',
  'agentChart', // a chart archive (up to 20 MiB) streamed to an agent (review 10, item 2)
]);

/** A browser tab issues one such request at a time; a script may overlap a few. */
export const DEFAULT_MAX_HEAVY_PER_TOKEN = 4;

/** Seconds a refused client is asked to wait: these requests take about a second each. */
const RETRY_AFTER_SECONDS = 2;

/**
 * Body bytes being read at once for one token, and hub-wide (STRATA_MAX_BODY_BYTES_PER_TOKEN is not a setting:
 * a JSON or YAML body is at most 2 MiB, so 8 MiB lets a token send four at once). A body is counted from before
 * its first byte is read (its Content-Length, or the route's body limit when it is chunked) until its answer is
 * sent or its connection closes: a client announcing a big body and stalling holds its share, not the hub's.
 * Profile bundles are not counted here: they have their own hub-wide cap (MAX_BUNDLES_IN_FLIGHT, app.ts).
 */
export const MAX_BODY_BYTES_PER_TOKEN = 8 * 1024 * 1024;
export const MAX_BODY_BYTES = 256 * 1024 * 1024;

export interface BodyBudget {
  readonly perToken: number;
  readonly total: number;
}

const MIB = 1024 * 1024;
const mib = (bytes: number) => `${String(Math.round((bytes / MIB) * 10) / 10)} MiB`;

export class HeavyRequests {
  private readonly perKey = new Map<string, number>();
  private readonly bytesPerKey = new Map<string, number>();
  private bytesTotal = 0;

  constructor(
    readonly perToken: number = DEFAULT_MAX_HEAVY_PER_TOKEN,
    readonly bodies: BodyBudget = { perToken: MAX_BODY_BYTES_PER_TOKEN, total: MAX_BODY_BYTES },
  ) {}

  /** Costly requests of one token (or caller name) in progress now. */
  inProgress(key: string): number {
    return this.perKey.get(key) ?? 0;
  }

  /** Body bytes counted for one token now, and hub-wide (tests, metrics). */
  bodyBytes(key?: string): number {
    return key === undefined ? this.bytesTotal : (this.bytesPerKey.get(key) ?? 0);
  }

  /**
   * Takes what a request needs before any byte of its body is read: a costly-request slot when its route is one
   * of HEAVY_OPERATIONS, and `bodyBytes` of the body budget; `keyOf` names the caller (its token id). Throws the
   * 429 (this token's share is taken) or 503 (the hub's is) and takes nothing; else returns what gives them
   * back (once, however often it is called).
   */
  admit(operationId: string | undefined, key: string, bodyBytes: number, reply: FastifyReply): () => void {
    const heavy = operationId !== undefined && HEAVY_OPERATIONS.has(operationId);
    const mine = this.inProgress(key);
    if (heavy && mine >= this.perToken) {
      void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      throw new ApiError(
        429,
        'TOO_MANY_REQUESTS',
        `this token already has ${mine} costly requests in progress (previews, validations, health-rule ` +
          `tests, pack values, bundle downloads, chart version checks), the most one token may have (${this.perToken}): ` +
          `wait for one to finish, or ask the hub's admin to raise STRATA_MAX_COSTLY_REQUESTS_PER_TOKEN ` +
          `(or --max-costly-requests-per-token)`,
      );
    }
    const myBytes = this.bodyBytes(key);
    if (bodyBytes > 0 && myBytes + bodyBytes > this.bodies.perToken) {
      void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      throw new ApiError(
        429,
        'TOO_MANY_REQUESTS',
        `this token's requests have ${mib(myBytes)} of bodies being read, and this one announces ` +
          `${mib(bodyBytes)}: one token may have ${mib(this.bodies.perToken)} in flight (body bytes per token); ` +
          `wait for its other requests to finish`,
      );
    }
    if (bodyBytes > 0 && this.bytesTotal + bodyBytes > this.bodies.total) {
      void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      throw new ApiError(
        503,
        'HUB_BUSY',
        `the hub is reading ${mib(this.bytesTotal)} of request bodies, the most it reads at once ` +
          `(${mib(this.bodies.total)}, body bytes in all): send this one again in a few seconds`,
      );
    }
    if (heavy) this.perKey.set(key, mine + 1);
    if (bodyBytes > 0) {
      this.bytesPerKey.set(key, myBytes + bodyBytes);
      this.bytesTotal += bodyBytes;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (heavy) lower(this.perKey, key, 1);
      if (bodyBytes > 0) {
        lower(this.bytesPerKey, key, bodyBytes);
        this.bytesTotal -= bodyBytes;
      }
    };
  }
}

function lower(counts: Map<string, number>, key: string, by: number): void {
  const left = (counts.get(key) ?? by) - by;
  if (left <= 0) counts.delete(key);
  else counts.set(key, left);
}
