// Liveness, readiness, metrics and the API description: unauthenticated (see metrics.ts for why /metrics is).
import { z } from 'zod';
import { HealthSchema } from '../schemas.js';
import { ApiError } from '../problem.js';
import { API_PREFIX, jsonRoute, Role, streamRoute } from '../route.js';

export const systemRoutes = [
  jsonRoute({
    method: 'GET',
    path: '/healthz',
    operationId: 'healthz',
    tag: 'system',
    summary: 'The process is up',
    role: Role.Public,
    status: 200,
    response: HealthSchema,
    handler: () => Promise.resolve({ status: 'ok' as const }),
  }),
  jsonRoute({
    method: 'GET',
    path: '/readyz',
    operationId: 'readyz',
    tag: 'system',
    summary: 'The database answers',
    role: Role.Public,
    status: 200,
    response: HealthSchema,
    errors: [503],
    handler: async ({ store }) => {
      try {
        await store.ping();
      } catch (cause) {
        throw new ApiError(503, 'NOT_READY', 'the database does not answer', { cause });
      }
      return { status: 'ok' as const };
    },
  }),
  streamRoute({
    method: 'GET',
    path: '/metrics',
    operationId: 'metrics',
    tag: 'system',
    summary: 'Prometheus metrics (text exposition format)',
    role: Role.Public,
    contentType: 'text/plain; version=0.0.4',
    response: z.string(),
    handler: async ({ metrics }, reply) => {
      const text = await metrics.registry.metrics();
      await reply.header('content-type', metrics.registry.contentType).send(text);
    },
  }),
  jsonRoute({
    method: 'GET',
    path: `${API_PREFIX}/openapi.json`,
    operationId: 'openapi',
    tag: 'system',
    summary: 'This API, as an OpenAPI 3.1 document',
    role: Role.Public,
    status: 200,
    response: z.record(z.string(), z.unknown()),
    handler: ({ openapi }) => Promise.resolve(openapi()),
  }),
];
