/**
 * The hub's HTTP API: createServer (Fastify over a Hub and a Store), serve (the `strata serve` command), the
 * route table and the OpenAPI document built from it. Clients (CLI, web/) import types from
 * `./client-types.js` only.
 */
export { createServer, DEFAULT_BODY_LIMIT, type ServerOptions, type StrataServer } from './app.js';
export { serve, type RunningHub, type ServeOptions } from './serve.js';
export { ensureAdminToken, ADMIN_TOKEN_FILE, createTokenOnHost } from './admin-token.js';
export { routeTable } from './routes/index.js';
export { buildOpenApi } from './openapi.js';
export { Role, API_PREFIX, type AnyRoute } from './route.js';
export { PROBLEM_CONTENT_TYPE, type Problem } from './problem.js';
export { formatEvent, type StreamEvent } from './sse.js';
