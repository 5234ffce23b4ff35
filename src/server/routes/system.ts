// Liveness, readiness and the API description: unauthenticated. Metrics: behind a token unless the operator
// opens them (`--metrics-public`), as their labels name every cluster (see metrics.ts).
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { authorize } from '../auth.js';
import { HealthSchema, ReadinessSchema } from '../schemas.js';
import { ApiError } from '../problem.js';
import { API_PREFIX, jsonRoute, Role, streamRoute } from '../route.js';

/** Constant-time comparison, so the metrics token cannot be found a byte at a time by timing answers. */
function isBearer(header: string | undefined, expected: string): boolean {
  const given = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

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
    summary: 'The database answers; with hub replicas and a token, which replica drives each cluster',
    role: Role.Public,
    status: 200,
    response: ReadinessSchema,
    errors: [503],
    handler: async ({ hub, request }) => {
      try {
        await hub.ping();
      } catch (cause) {
        throw new ApiError(503, 'NOT_READY', 'the database does not answer', { cause });
      }
      const replica = hub.replicas();
      if (replica === undefined) return { status: 'ok' as const };
      // Cluster names and replica addresses are for callers with a token, not for whoever can reach the port.
      const known = await authorize(hub.tokens, request.headers.authorization, Role.Viewer).then(
        (token) => token !== undefined,
        () => false,
      );
      return { status: 'ok' as const, ...(known ? { replica } : {}) };
    },
  }),
  streamRoute({
    method: 'GET',
    path: '/metrics',
    operationId: 'metrics',
    tag: 'system',
    summary: 'Prometheus metrics (text exposition format)',
    description:
      'Needs `Authorization: Bearer <token>`: the STRATA_METRICS_TOKEN (`--metrics-token`) a Prometheus ' +
      'scrape config holds, or any valid API token (viewer or above). Its labels name every cluster, so it ' +
      'is open only when the hub runs with `--metrics-public` (STRATA_METRICS_PUBLIC=true).',
    role: Role.Public,
    checksCaller: Role.Viewer,
    errors: [401],
    contentType: 'text/plain; version=0.0.4',
    response: z.string(),
    handler: async ({ metrics, metricsToken, metricsPublic, hub, request }, reply) => {
      const scraper = metricsToken !== undefined && isBearer(request.headers.authorization, metricsToken);
      if (!metricsPublic && !scraper) {
        await authorize(hub.tokens, request.headers.authorization, Role.Viewer);
      }
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
