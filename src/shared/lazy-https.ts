// What the bundle (scripts/build-dist) gives its packages for `require('node:https')`: see lazy-http2.ts.
// Fastify calls createServer only for a server made with its `https` option, prom-client's Pushgateway calls
// request only to push, neither of which the hub does. The hub's own HTTPS client (hub/guarded-http.ts) takes
// the real module when it sends its first request.
import type * as Https from 'node:https';

const real = () => process.getBuiltinModule('node:https');

export const createServer = ((...args: Parameters<typeof Https.createServer>) =>
  real().createServer(...args)) as typeof Https.createServer;
export const request = ((...args: Parameters<typeof Https.request>) =>
  real().request(...args)) as typeof Https.request;
