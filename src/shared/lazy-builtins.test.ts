// The stand-ins the bundle gives packages for node:http2 and node:https (scripts/build-dist): each function
// does what the real module's does, loading it on the first call.
import { once } from 'node:events';
import { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import * as lazyHttp2 from './lazy-http2.js';
import * as lazyHttps from './lazy-https.js';

describe('lazy node:http2 and node:https', () => {
  it("make the real module's servers", async () => {
    const h2 = lazyHttp2.createServer();
    // node:http2 exports no server classes to compare with: their names say what they are.
    expect(h2.constructor.name).toBe('Http2Server');
    const secureH2 = lazyHttp2.createSecureServer({});
    expect(secureH2.constructor.name).toBe('Http2SecureServer');
    const https = lazyHttps.createServer({});
    expect(https).toBeInstanceOf(HttpsServer);
    // A real server: it listens.
    h2.listen(0, '127.0.0.1');
    await once(h2, 'listening');
    expect((h2.address() as AddressInfo).port).toBeGreaterThan(0);
    h2.close();
  });

  it("send the real module's requests", async () => {
    // Nothing listens on port 1 of 127.0.0.1: the real request fails to connect, as node:https's would.
    const request = lazyHttps.request('https://127.0.0.1:1/', { timeout: 5_000 });
    const [error] = (await once(request, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
  });
});
