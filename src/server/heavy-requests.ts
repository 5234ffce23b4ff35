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
// the viewers' share held by other tokens, the hub's body budget); both with Retry-After. Profile bundles being
// read are one more kind of the same policy (BUNDLE_SLOTS), with caps of their own; the policy is shared-slots.ts.
import type { FastifyReply } from 'fastify';
import { ApiError } from './problem.js';
import { lower, RETRY_AFTER_SECONDS, SharedSlots, type SlotKind } from './shared-slots.js';

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

/**
 * Body bytes being read at once for one token, and hub-wide, by default (`--max-body-mib-per-token`,
 * `--max-body-mib`: a JSON or YAML body is at most 2 MiB, so 8 MiB lets a token send four at once). A body is counted from before
 * its first byte is read (its Content-Length, or the route's body limit when it is chunked) until its answer is
 * sent or its connection closes: a client announcing a big body and stalling holds its share, not the hub's.
 * Profile bundles are not counted here: they have their own kind of slots (BUNDLE_SLOTS).
 */
export const MAX_BODY_BYTES_PER_TOKEN = 8 * 1024 * 1024;
export const MAX_BODY_BYTES = 256 * 1024 * 1024;

export interface BodyBudget {
  readonly perToken: number;
  readonly total: number;
}

const MIB = 1024 * 1024;
const mib = (bytes: number) => `${String(Math.round((bytes / MIB) * 10) / 10)} MiB`;

/** Profile bundles the hub reads at once, hub-wide: bounds the memory they take (each may be ~21 MiB). */
export const MAX_BUNDLES_IN_FLIGHT = 4;
/** Profile bundles one token may have being read at once. */
export const MAX_BUNDLES_PER_TOKEN = 2;
/** Bundle slots viewers' tokens never take: an operator's or admin's import always finds one. */
export const BUNDLE_SLOTS_KEPT_FOR_OPERATORS = 1;

/** The one operation of the bundle slots: a gzip body being read (by an import or a validation). */
const READ_BUNDLE = 'readProfileBundle';

/**
 * Profile bundles being read at once (review 14, finding 4: a hub-wide count alone let one viewer token trickle 4
 * uploads and hold every slot, so operators' imports got 503 for as long as it kept them open). A viewer refused
 * by the viewers' share is told 503: viewers are not held to an even split of their 3 slots (a viewer at its split
 * would be told 429).
 */
const BUNDLE_SLOTS: SlotKind = {
  perToken: MAX_BUNDLES_PER_TOKEN,
  perOperation: MAX_BUNDLES_IN_FLIGHT,
  keptForPrivileged: BUNDLE_SLOTS_KEPT_FOR_OPERATORS,
  refusals: {
    overToken: (held, cap) =>
      `this token has ${held} profile bundles being read already, the most one token may have (${cap}): ` +
      `send this one again in a few seconds`,
    hubFull: (_operation, cap) =>
      `the hub is reading ${cap} profile bundles already, the most it reads at once: send this one again in a ` +
      `few seconds`,
    viewersFull: (_operation, { share, cap }) =>
      `the hub is reading ${share} profile bundles for viewers' tokens already, the most they may have together ` +
      `(of ${cap}; the rest is kept for operators and admins): send this one again in a few seconds`,
  },
};

/** The costly requests (HEAVY_OPERATIONS): a token's cap over all of them, a hub-wide cap per operation. */
function costlySlots(perToken: number, perOperation: number): SlotKind {
  const raiseOperationCap =
    ": send it again in a few seconds, or ask the hub's admin to raise " +
    'STRATA_MAX_COSTLY_REQUESTS_PER_OPERATION (or --max-costly-requests-per-operation)';
  const atLimit = (operation: string, count: number) =>
    `the hub already has ${count} ${operation} requests in progress`;
  return {
    perToken,
    perOperation,
    // All but one token's share: an operator or admin always finds room.
    keptForPrivileged: perToken,
    evenSplitWhileWaiting: (operation, { split, share, held }) =>
      `other viewers' tokens wait for ${operation} requests: while they do, one viewer token may hold ` +
      `${split} (an even split of the viewers' ${share}), and this one holds ${held}${raiseOperationCap}`,
    refusals: {
      overToken: (held, cap) =>
        `this token already has ${held} costly requests in progress (previews, validations, health-rule ` +
        `tests, pack values, bundle downloads, chart version checks), the most one token may have (${cap}): ` +
        `wait for one to finish, or ask the hub's admin to raise STRATA_MAX_COSTLY_REQUESTS_PER_TOKEN ` +
        `(or --max-costly-requests-per-token)`,
      hubFull: (operation, cap) =>
        `${atLimit(operation, cap)}, the most the hub runs at once (${cap}, hub-wide per operation)` +
        raiseOperationCap,
      viewersFull: (operation, { share, cap, held }) =>
        `${atLimit(operation, share)}, the most viewers' tokens may hold together (${share} of the hub-wide ` +
        `${cap} per operation; the rest is kept for operators and admins), and this token holds ${held} of ` +
        `them${raiseOperationCap}`,
    },
  };
}

/** What a request asks of the admission policy before any byte of its body is read. */
export interface Admission {
  /** Its route's operationId: a costly slot when it is one of HEAVY_OPERATIONS. */
  readonly operationId: string | undefined;
  /** Its caller: a token id (or caller name). */
  readonly key: string;
  /** An operator's or admin's token: it may use the share of a cap kept from viewers. */
  readonly privileged: boolean;
  /** Its body is a profile bundle: a bundle slot (its bytes are not counted in the body budget). */
  readonly bundle: boolean;
  /** Its body's bytes as announced, counted against the body budget. */
  readonly bodyBytes: number;
}

export class HeavyRequests {
  private readonly costly: SharedSlots;
  private readonly bundles: SharedSlots;
  private readonly bytesPerKey = new Map<string, number>();
  private bytesTotal = 0;

  constructor(
    readonly perToken: number = DEFAULT_MAX_HEAVY_PER_TOKEN,
    readonly bodies: BodyBudget = { perToken: MAX_BODY_BYTES_PER_TOKEN, total: MAX_BODY_BYTES },
    readonly perOperationCap: number = DEFAULT_MAX_HEAVY_PER_OPERATION,
    now: () => number = Date.now,
  ) {
    this.costly = new SharedSlots(costlySlots(perToken, perOperationCap), now);
    this.bundles = new SharedSlots(BUNDLE_SLOTS, now);
  }

  /** Costly requests of one token (or caller name) in progress now. */
  inProgress(key: string): number {
    return this.costly.held(key);
  }

  /** Costly requests in progress hub-wide, per operation (metrics: one series per HEAVY_OPERATIONS entry). */
  inProgressPerOperation(): ReadonlyMap<string, number> {
    return this.costly.heldPerOperation();
  }

  /** Body bytes counted for one token now, and hub-wide (tests, metrics). */
  bodyBytes(key?: string): number {
    return key === undefined ? this.bytesTotal : (this.bytesPerKey.get(key) ?? 0);
  }

  /**
   * Takes what a request needs before any byte of its body is read: a bundle slot when its body is a profile
   * bundle, a costly-request slot when its route is one of HEAVY_OPERATIONS, and its body's bytes of the body
   * budget. Throws the 429 (this token is over its share: its cap, its even split, its body bytes) or 503 (the
   * hub is full: a hub-wide cap, the viewers' share, the body budget), asked in that order, and takes nothing;
   * else returns what gives them back (once, however often it is called), or undefined when it took nothing.
   */
  admit(request: Admission, reply: FastifyReply): (() => void) | undefined {
    const { operationId, key, privileged, bodyBytes } = request;
    const setRetryAfter = (seconds: string) => void reply.header('retry-after', seconds);
    const taken: (() => void)[] = [];
    const giveBack = () => {
      for (const release of taken) release();
    };
    try {
      if (request.bundle) taken.push(this.bundles.take(READ_BUNDLE, key, privileged, setRetryAfter));
      if (operationId !== undefined && HEAVY_OPERATIONS.has(operationId))
        taken.push(this.costly.take(operationId, key, privileged, setRetryAfter));
      if (bodyBytes > 0) taken.push(this.takeBodyBytes(key, bodyBytes, reply));
    } catch (error) {
      giveBack();
      throw error;
    }
    if (taken.length === 0) return undefined;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      giveBack();
    };
  }

  private takeBodyBytes(key: string, bodyBytes: number, reply: FastifyReply): () => void {
    const myBytes = this.bodyBytes(key);
    if (myBytes + bodyBytes > this.bodies.perToken) {
      void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      throw new ApiError(
        429,
        'TOO_MANY_REQUESTS',
        `this token's requests have ${mib(myBytes)} of bodies being read, and this one announces ` +
          `${mib(bodyBytes)}: one token may have ${mib(this.bodies.perToken)} in flight (body bytes per token); ` +
          `wait for its other requests to finish`,
      );
    }
    if (this.bytesTotal + bodyBytes > this.bodies.total) {
      void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      throw new ApiError(
        503,
        'HUB_BUSY',
        `the hub is reading ${mib(this.bytesTotal)} of request bodies, the most it reads at once ` +
          `(${mib(this.bodies.total)}, body bytes in all): send this one again in a few seconds`,
      );
    }
    this.bytesPerKey.set(key, myBytes + bodyBytes);
    this.bytesTotal += bodyBytes;
    return () => {
      lower(this.bytesPerKey, key, bodyBytes);
      this.bytesTotal -= bodyBytes;
    };
  }
}
