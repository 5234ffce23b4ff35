// What the bundle (scripts/build-dist) gives Fastify for `require('node:http2')`. Fastify requires node:http2
// and node:https when it loads, but uses them only for a server made with its `http2` or `https` options,
// which the hub never sets; loaded, the two (with node:tls) cost an idle hub ~6 MiB of RSS (issue 15). Here
// each function Fastify calls loads the real module on its first call. Not used under tsx (tests import
// Fastify from node_modules/ as it is).
import type * as Http2 from 'node:http2';

const real = () => process.getBuiltinModule('node:http2');

export const createServer = ((...args: Parameters<typeof Http2.createServer>) =>
  real().createServer(...args)) as typeof Http2.createServer;
export const createSecureServer = ((...args: Parameters<typeof Http2.createSecureServer>) =>
  real().createSecureServer(...args)) as typeof Http2.createSecureServer;
