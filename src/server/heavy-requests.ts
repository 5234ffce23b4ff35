// How many costly requests one token may have in progress at once. Previewing an attachment, validating a
// profile, trying health rules, reading a pack's values and downloading a bundle each parse, plan, compress or
// evaluate for up to seconds (off the event loop where possible, but on shared workers and CPU): without a cap
// one viewer token could send them in a loop and starve every other user of the hub. One over the cap is
// refused at once with 429 TOO_MANY_REQUESTS and a Retry-After, the shape of the event streams' 429
// (stream-limits.ts); a finished request gives its slot back, whether or not its client is still there.
import type { FastifyReply, FastifyRequest } from 'fastify';
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

/** Seconds a refused client is asked to wait: these requests take about a second each. */
const RETRY_AFTER_SECONDS = 2;

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export class HeavyRequests {
  private readonly perKey = new Map<string, number>();

  constructor(readonly perToken: number = DEFAULT_MAX_HEAVY_PER_TOKEN) {}

  /** Costly requests of one token (or caller name) in progress now. */
  inProgress(key: string): number {
    return this.perKey.get(key) ?? 0;
  }

  /**
   * The route's handler, counted per caller when the route is one of HEAVY_OPERATIONS; `keyOf` names the
   * caller (its token id). Other routes' handlers are returned as they are.
   */
  wrap(operationId: string, keyOf: (request: FastifyRequest) => string, handler: Handler): Handler {
    if (!HEAVY_OPERATIONS.has(operationId)) return handler;
    return async (request, reply) => {
      const key = keyOf(request);
      const mine = this.inProgress(key);
      if (mine >= this.perToken) {
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
      this.perKey.set(key, mine + 1);
      try {
        return await handler(request, reply);
      } finally {
        const left = (this.perKey.get(key) ?? 1) - 1;
        if (left === 0) this.perKey.delete(key);
        else this.perKey.set(key, left);
      }
    };
  }
}
