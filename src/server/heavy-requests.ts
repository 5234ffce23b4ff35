// How many costly requests one token may have in progress at once. Previewing an attachment, validating a
// profile, trying health rules, reading a pack's values and downloading a bundle each parse, plan, compress or
// evaluate for up to seconds (off the event loop where possible, but on shared workers and CPU): without a cap
// one viewer token could send them in a loop and starve every other user of the hub. One over the cap is
// refused at once with 429 TOO_MANY_REQUESTS and a Retry-After, the shape of the event streams' 429
// (stream-limits.ts). The slot is taken before any byte of the request's body is read (a stalled upload holds
// it, not the hub's memory) and given back when the answer is sent or the connection closes. Each operation
// also has a hub-wide cap, of which viewers' tokens together hold all but one token's share, split evenly
// between them while one waits (DEFAULT_MAX_HEAVY_PER_OPERATION). The answers are honest about whose fault a
// refusal is: 429 TOO_MANY_REQUESTS when the caller's token is over its share (its own cap, its even split of
// the viewers' share, its body bytes), 503 HUB_BUSY when the hub itself is full (an operation's hub-wide cap,
// the viewers' share held by other tokens, the hub's body budget); both with Retry-After.
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

/**
 * How many requests of one costly operation the hub runs at once, whatever their tokens (review 9, item 5: the
 * per-token cap alone let a few viewer tokens hold a whole pool). Viewers together may hold all but one token's
 * share of it (DEFAULT_MAX_HEAVY_PER_TOKEN): an operator or admin always finds room.
 */
export const DEFAULT_MAX_HEAVY_PER_OPERATION = 16;

/** Seconds a refused client is asked to wait: these requests take about a second each. */
const RETRY_AFTER_SECONDS = 2;

/**
 * How long a viewer token refused by the viewers' share counts as waiting for that operation: a few of its
 * Retry-After. While one waits, the viewer tokens holding more than an even split of the share are refused
 * their next one, so the places that free up go to the one that waits, not to whoever asks fastest.
 */
const WAITING_MS = 3 * RETRY_AFTER_SECONDS * 1000;

interface OperationLoad {
  all: number;
  viewers: number;
  /** Per viewer token (non-privileged): its requests of this operation in progress. */
  readonly perViewer: Map<string, number>;
  /** Viewer tokens refused by the share lately, until when they count as waiting. */
  readonly waiting: Map<string, number>;
}

/**
 * Body bytes being read at once for one token, and hub-wide, by default (`--max-body-mib-per-token`,
 * `--max-body-mib`: a JSON or YAML body is at most 2 MiB, so 8 MiB lets a token send four at once). A body is counted from before
 * its first byte is read (its Content-Length, or the route's body limit when it is chunked) until its answer is
 * sent or its connection closes: a client announcing a big body and stalling holds its share, not the hub's.
 * Profile bundles are not counted here: they have their own caps (bundle-slots.ts).
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
  private readonly perOperation = new Map<string, OperationLoad>();
  private readonly bytesPerKey = new Map<string, number>();
  private bytesTotal = 0;

  constructor(
    readonly perToken: number = DEFAULT_MAX_HEAVY_PER_TOKEN,
    readonly bodies: BodyBudget = { perToken: MAX_BODY_BYTES_PER_TOKEN, total: MAX_BODY_BYTES },
    readonly perOperationCap: number = DEFAULT_MAX_HEAVY_PER_OPERATION,
    private readonly now: () => number = Date.now,
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
   * (this token is over its share: its cap on costly requests, its even split, its body bytes) or 503 (the hub
   * is full: an operation's hub-wide cap, the viewers' share held by others, the body budget) and takes nothing; else returns what gives them back (once, however often it is called).
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
    const running: OperationLoad | undefined = heavy
      ? (this.perOperation.get(operation) ?? {
          all: 0,
          viewers: 0,
          perViewer: new Map<string, number>(),
          waiting: new Map<string, number>(),
        })
      : undefined;
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
    if (operation !== undefined && running !== undefined)
      this.checkOperation(operation, running, key, privileged, reply);
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
      if (!privileged) {
        running.viewers++;
        running.perViewer.set(key, (running.perViewer.get(key) ?? 0) + 1);
        running.waiting.delete(key);
      }
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
        if (!privileged) {
          running.viewers--;
          lower(running.perViewer, key, 1);
        }
        if (running.all === 0 && running.waiting.size === 0) this.perOperation.delete(operation);
      }
      if (bodyBytes > 0) {
        lower(this.bytesPerKey, key, bodyBytes);
        this.bytesTotal -= bodyBytes;
      }
    };
  }

  /**
   * The operation's hub-wide cap, the viewers' share of it, and, while a viewer token waits for that share,
   * an even split of it between the viewer tokens: throws the 429 or 503 naming the limit, or takes nothing.
   */
  private checkOperation(
    operation: string,
    running: OperationLoad,
    key: string,
    privileged: boolean,
    reply: FastifyReply,
  ): void {
    const now = this.now();
    for (const [waiter, until] of running.waiting) if (until <= now) running.waiting.delete(waiter);
    // 429 when this caller is over its share (it is the one to wait), 503 when the hub itself is full. The text
    // names the limits and this token's own count, never other tokens' activity (review 13, item 5): a count
    // is given only where it is the limit reached.
    const refuse = (status: 429 | 503, why: string) => {
      void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      throw new ApiError(
        status,
        status === 429 ? 'TOO_MANY_REQUESTS' : 'HUB_BUSY',
        `${why}: send it again in a few seconds, or ask the hub's admin to raise ` +
          `STRATA_MAX_COSTLY_REQUESTS_PER_OPERATION (or --max-costly-requests-per-operation)`,
      );
    };
    const atLimit = (count: number) => `the hub already has ${count} ${operation} requests in progress`;
    if (running.all >= this.perOperationCap)
      refuse(
        503,
        `${atLimit(this.perOperationCap)}, the most the hub runs at once (${this.perOperationCap}, hub-wide per operation)`,
      );
    if (privileged) return;
    const mine = running.perViewer.get(key) ?? 0;
    const tokens = new Set([...running.perViewer.keys(), ...running.waiting.keys(), key]);
    const evenSplit = Math.max(1, Math.floor(this.viewersShare / tokens.size));
    if (running.viewers >= this.viewersShare) {
      running.waiting.set(key, now + WAITING_MS);
      this.perOperation.set(operation, running);
      refuse(
        mine >= evenSplit ? 429 : 503,
        `${atLimit(this.viewersShare)}, the most viewers' tokens may hold together (${this.viewersShare} of the hub-wide ` +
          `${this.perOperationCap} per operation; the rest is kept for operators and admins), and this token ` +
          `holds ${mine} of them`,
      );
    }
    const othersWait = [...running.waiting.keys()].some((waiter) => waiter !== key);
    if (!othersWait) return;
    if (mine >= evenSplit)
      refuse(
        429,
        `other viewers' tokens wait for ${operation} requests: while they do, one viewer token may hold ` +
          `${evenSplit} (an even split of the viewers' ${this.viewersShare}), and this one holds ${mine}`,
      );
  }
}

function lower(counts: Map<string, number>, key: string, by: number): void {
  const left = (counts.get(key) ?? by) - by;
  if (left <= 0) counts.delete(key);
  else counts.set(key, left);
}
