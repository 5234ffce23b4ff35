// The live stream. See sse.ts for how resume stays gap- and duplicate-free.
import { z } from 'zod';
import { StreamEventSchema } from '../schemas.js';
import { ApiError } from '../problem.js';
import { API_PREFIX, Role, streamRoute } from '../route.js';
import { SECURITY_HEADERS } from '../security-headers.js';
import { SSE_HEADERS } from '../sse.js';

const EventsQuery = z.object({
  cluster: z.string().min(1).optional().describe("only this cluster's events"),
  lastEventId: z
    .string()
    .regex(/^\d+$/, 'expected a non-negative integer event id')
    .transform(Number)
    .optional()
    .describe('resume after this event id (the Last-Event-ID header wins when both are sent)'),
});

export const eventRoutes = [
  streamRoute({
    method: 'GET',
    path: `${API_PREFIX}/events`,
    operationId: 'streamEvents',
    tag: 'events',
    summary: 'Server-Sent Events: pack status, transitions and cluster changes, live',
    description:
      'Each message: `id:` the event id (absent on ephemeral events: cluster.connection, cluster.summary, ' +
      'pack.drift, attachment.changed, attachment.removed, profile.published), `event:` the kind, `data:` ' +
      'the Event as JSON (one schema per kind). A stream that had nothing to send for 15 s gets a comment line, ' +
      'which keeps the connection open: a client can count a connection silent for longer as dead. The stream ends when its token is revoked (within a second). Reconnect with `Last-Event-ID` (or `?lastEventId=`) to get everything after it ' +
      'first, then live events: nothing missed, nothing twice. When retention (--keep-transitions, ' +
      '--keep-days) has deleted events after that id, the first message is `history.pruned`: re-read what you ' +
      'show, the stream continues after its `id`. `Last-Event-ID: 0` asks for every event kept and never gets it. One token holds at most 32 streams at once and ' +
      'the hub 20,000 (STRATA_MAX_STREAMS_PER_TOKEN, STRATA_MAX_STREAMS): one more is a 429 TOO_MANY_STREAMS ' +
      'with Retry-After.',
    role: Role.Viewer,
    query: EventsQuery,
    errors: [429],
    contentType: 'text/event-stream',
    response: StreamEventSchema,
    handler: async ({ events, streamLimits, query, request, actor }, reply) => {
      const header = request.headers['last-event-id'];
      let lastEventId = query.lastEventId;
      if (typeof header === 'string' && header !== '') {
        if (!/^\d+$/.test(header)) {
          throw new ApiError(
            400,
            'INVALID_REQUEST',
            'header Last-Event-ID: expected a non-negative integer event id',
          );
        }
        lastEventId = Number(header);
      }
      // Counted before the stream opens, given back when its socket closes (whoever ends it).
      const slot = streamLimits.acquire(actor.tokenId ?? actor.name);
      if (!slot.ok) {
        void reply.header('retry-after', '30');
        throw new ApiError(429, 'TOO_MANY_STREAMS', slot.message);
      }
      reply.raw.once('close', slot.release);
      reply.hijack();
      // The client may have hung up while its token was looked up: that 'close' has fired already.
      if (request.raw.socket.destroyed || reply.raw.destroyed) {
        slot.release();
        reply.raw.destroy();
        return;
      }
      // Hijacked: Fastify's onSend hook does not run, so the stream's headers are all written here.
      reply.raw.writeHead(200, { ...SSE_HEADERS, ...SECURITY_HEADERS, 'x-request-id': request.id });
      await events.connect(reply.raw, {
        ...(query.cluster === undefined ? {} : { cluster: query.cluster }),
        ...(actor.tokenId === undefined ? {} : { tokenId: actor.tokenId }),
        ...(lastEventId === undefined ? {} : { lastEventId }),
      });
    },
  }),
];
