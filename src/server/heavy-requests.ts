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
]);

/** A browser tab issues one such request at a time; a script may overlap a few. */
export const DEFAULT_MAX_HEAVY_PER_TOKEN = 4;

/**
 * How many requests of one costly operation the hub runs at once, whatever their tokens (review 9, item 5: the
 * per-token cap alone let a few viewer tokens hold a whole pool). Viewers together may hold all but one token's
 * share of it (DEFAULT_MAX_HEAVY_PER_TOKEN): an operator or admin always finds room.
 */
export const DEFAULT_MAX_HEAVY_PER_OPERATION = 16;

/** Seconds a refused client is asked to wait: these requests take about a second each. */
const RETRY_AFTER_SECONDS = 2;

/**
 * Body bytes being read at once for one token, and hub-wide, by default (`--max-body-mib-per-token`,
 * `--max-body-mib`: a JSON or YAML body is at most 2 MiB, so 8 MiB lets a token send four at once). A body is counted from before
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
  /** Costly requests in progress per operation, all tokens, and viewers' (non-privileged) alone. */
  private readonly perOperation = new Map<string, { all: number; viewers: number }>();
  private readonly bytesPerKey = new Map<string, number>();
  private bytesTotal = 0;

  constructor(
    readonly perToken: number = DEFAULT_MAX_HEAVY_PER_TOKEN,
    readonly bodies: BodyBudget = { perToken: MAX_BODY_BYTES_PER_TOKEN, total: MAX_BODY_BYTES },
    readonly perOperationCap: number = DEFAULT_MAX_HEAVY_PER_OPERATION,
  ) {}

  /** What viewers' requests together may hold of one operation's hub-wide cap. */
  get viewersShare(): number {
    return Math.max(1, this.perOperationCap - this.perToken);
  }

  /** Costly requests of one token (or caller name) in progress now. */
  inProgress(key: string): number {
    return this.perKey.get(key) ?? 0;
  }

  /** Costly requests in progress hub-wide, per operation (metrics: one series per HEAVY_OPERATIONS entry). */
  inProgressPerOperation(): ReadonlyMap<string, number> {
    return new Map([...this.perOperation].map(([operation, running]) => [operation, running.all]));
  }

  /** Body bytes counted for one token now, and hub-wide (tests, metrics). */
  bodyBytes(key?: string): number {
    return key === undefined ? this.bytesTotal : (this.bytesPerKey.get(key) ?? 0);
  }

  /**
   * Takes what a request needs before any byte of its body is read: a costly-request slot when its route is one
   * of HEAVY_OPERATIONS (within the token's cap and the operation's hub-wide one), and `bodyBytes` of the body
   * budget; `key` names the caller (its token id), `privileged` an operator's or admin's token. Throws the 429
   * (a cap on costly requests, or this token's body share, is reached) or 503 (the hub's body budget is) and
   * takes nothing; else returns what gives them back (once, however often it is called).
   */
  admit(
    operationId: string | undefined,
    key: string,
    bodyBytes: number,
    reply: FastifyReply,
    privileged = false,
  ): () => void {
    const operation =
      operationId !== undefined && HEAVY_OPERATIONS.has(operationId) ? operationId : undefined;
    const heavy = operation !== undefined;
    const mine = this.inProgress(key);
    const running = heavy ? (this.perOperation.get(operation) ?? { all: 0, viewers: 0 }) : undefined;
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
    if (running !== undefined) {
      const full = running.all >= this.perOperationCap;
      if (full || (!privileged && running.viewers >= this.viewersShare)) {
        void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
        const limit = full
          ? `the most the hub runs at once (${this.perOperationCap}, hub-wide per operation)`
          : `the most viewers' tokens may hold together (${this.viewersShare} of the hub-wide ` +
            `${this.perOperationCap} per operation; the rest is kept for operators and admins)`;
        throw new ApiError(
          429,
          'TOO_MANY_REQUESTS',
          `the hub already has ${full ? running.all : running.viewers} ${operation} requests in progress, ` +
            `${limit}: send it again in a few seconds, or ask the hub's admin to raise ` +
            `STRATA_MAX_COSTLY_REQUESTS_PER_OPERATION (or --max-costly-requests-per-operation)`,
        );
      }
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
    if (operation !== undefined && running !== undefined) {
      running.all++;
      if (!privileged) running.viewers++;
      this.perOperation.set(operation, running);
    }
    if (bodyBytes > 0) {
      this.bytesPerKey.set(key, myBytes + bodyBytes);
      this.bytesTotal += bodyBytes;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (heavy) lower(this.perKey, key, 1);
      if (operation !== undefined && running !== undefined) {
        running.all--;
        if (!privileged) running.viewers--;
        if (running.all === 0) this.perOperation.delete(operation);
      }
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
