// guardedGet's own guarantees beside the outbound policy (chart-fetch.int.test.ts covers the policy): TLS still
// verifies the host name although the connection goes to a pinned address, and bodies are bounded.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPki } from '../../testenv/src/pki.js';
import { cidrCheck, guardedGet, type GuardedGetOptions } from './guarded-http.js';

let dir: string;
let ca: string;
let https: Server;
let http: Server;
const port = (server: Server) => (server.address() as AddressInfo).port;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-guarded-http-'));
  const pki = await createPki(dir);
  ca = await readFile(pki.caCert, 'utf8');
  // The testenv server certificate names `kubernetes` (among others), not `charts.test`.
  https = createHttpsServer(
    { cert: await readFile(pki.serverCert), key: await readFile(pki.serverKey) },
    (_req, res) => res.end('apiVersion: v1\n'),
  );
  http = createHttpServer((req, res) => {
    if (req.url === '/declared') res.writeHead(200, { 'content-length': 2048 }).end('x'.repeat(2048));
    else res.end('x'.repeat(2048));
  });
  await Promise.all([
    new Promise<void>((done) => https.listen(0, '127.0.0.1', done)),
    new Promise<void>((done) => http.listen(0, '127.0.0.1', done)),
  ]);
});
afterAll(async () => {
  https.close();
  http.close();
  await rm(dir, { recursive: true, force: true });
});

const base: GuardedGetOptions = {
  check: cidrCheck('127.0.0.2/32'),
  what: 'repository index',
  maxBytes: 1024,
  // Every name resolves to the test server: only the TLS name check can tell them apart.
  resolve: () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]),
};

describe('guardedGet', () => {
  it("verifies the server's certificate against the hop's host name, with the source's CA", async () => {
    const ok = await guardedGet(`https://kubernetes:${port(https)}/index.yaml`, {
      ...base,
      tls: { caPem: ca },
    });
    expect(ok.ok && ok.body.toString()).toBe('apiVersion: v1\n');
    const wrongName = await guardedGet(`https://charts.test:${port(https)}/index.yaml`, {
      ...base,
      tls: { caPem: ca },
    });
    expect(wrongName).toEqual({
      ok: false,
      cause:
        'TLS error (ERR_TLS_CERT_ALTNAME_INVALID): add the source with --ca-file, or --insecure-skip-tls-verify',
    });
    const noCa = await guardedGet(`https://kubernetes:${port(https)}/index.yaml`, base);
    expect(noCa.ok ? 'fetched' : noCa.cause).toMatch(/^TLS error \(/);
    const insecure = await guardedGet(`https://charts.test:${port(https)}/index.yaml`, {
      ...base,
      tls: { insecureSkipTlsVerify: true },
    });
    expect(insecure.ok).toBe(true);
  });

  it('refuses a body over its bound, declared or streamed', async () => {
    for (const path of ['/declared', '/streamed']) {
      expect(await guardedGet(`http://127.0.0.1:${port(http)}${path}`, base)).toEqual({
        ok: false,
        cause: 'the repository index is over the limit of 1024 bytes',
      });
    }
  });
});
