// node:http for the hub's ES modules. Not `import … from 'node:http'`: in an ES module that import builds the
// module's ESM facade, which reads every export, and the lazy ones (WebSocket, CloseEvent, MessageEvent) load
// Node's bundled undici, +13 MiB of RSS for as long as the process runs (issue 15: an idle hub under 80 MiB),
// though the hub never uses them. The CommonJS exports, which Fastify uses too, load nothing more. Types
// still come from `import type … from 'node:http'`.
export const http = process.getBuiltinModule('node:http');
