// The hub's HTTP hardening (issue 12): revoked tokens lose their open streams, the last admin token stays,
// every answer carries the security headers, every error the framework itself produces is problem+json, and
// /metrics can be put behind a token. A real listening hub on SQLite with no clusters: no control plane.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteBackend } from '../store/testing/backends.js';
import { advance, packStatus } from '../store/testing/fixtures.js';
import { MAX_JSON_DEPTH } from './json-depth.js';
import { PROBLEM_CONTENT_TYPE, type Problem } from './problem.js';
import { routeTable } from './routes/index.js';
import { SseClient, startTestHub, type TestHub } from './testing/server.js';

const webRoot = mkdtempSync(join(tmpdir(), 'strata-web-'));
const backend = new SqliteBackend();
let t: TestHub;

/** A kubeconfig the hub can parse, for a server nobody listens on. */
const kubeconfig = [
  'apiVersion: v1',
  'kind: Config',
  'clusters: [{ name: c, cluster: { server: "https://127.0.0.1:1" } }]',
  'users: [{ name: u, user: { token: abc } }]',
  'contexts: [{ name: ctx, context: { cluster: c, user: u } }]',
  'current-context: ctx',
  '',
].join('\n');

beforeAll(async () => {
  await backend.setup();
  mkdirSync(join(webRoot, 'assets'));
  writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>Strata</title>');
  writeFileSync(join(webRoot, 'assets', 'app-1a2b.js'), 'console.log(1)');
  t = await startTestHub(backend, { server: { webRoot, tokenCheckMs: 100 } });
  await t.store.clusters.create({ name: 'sec', kubeconfig });
});

afterAll(async () => {
  await t.close();
  await backend.teardown();
});

let seq = 0;
/** One pack status change, written the way the engine's writer would: it reaches every open stream. */
async function writeEvent(): Promise<void> {
  seq++;
  await t.store.packStatus.record({
    cluster: 'sec',
    pack: `p${seq}`,
    status: advance(packStatus('processing'), 'success', new Date().toISOString()),
  });
}

async function newToken(role: 'viewer' | 'admin', name: string): Promise<{ id: string; plaintext: string }> {
  const res = await t.api('POST', '/api/v1/tokens', { body: { role, name } });
  expect(res.status, res.text).toBe(201);
  const created = res.json as { token: { id: string }; plaintext: string };
  return { id: created.token.id, plaintext: created.plaintext };
}

function expectProblem(
  res: { status: number; contentType: string; json: unknown },
  status: number,
  code: string,
) {
  expect(res.status).toBe(status);
  expect(res.contentType).toContain(PROBLEM_CONTENT_TYPE);
  expect((res.json as Problem).code).toBe(code);
  expect((res.json as Problem).status).toBe(status);
}

describe('token revocation', () => {
  it('ends the open event stream of a revoked token at once; nothing reaches it afterwards', async () => {
    const doomed = await newToken('viewer', 'doomed-stream');
    const revoked = await SseClient.open(t.url, { token: doomed.plaintext, cluster: 'sec' });
    const witness = await SseClient.open(t.url, { token: t.tokens.viewer, cluster: 'sec' });
    expect(revoked.status).toBe(200);
    const statuses = (client: SseClient) => client.messages.filter((m) => m.event === 'pack.status').length;
    await writeEvent();
    await revoked.until(() => statuses(revoked) === 1, 5000, 'the first event');
    await witness.until(() => statuses(witness) === 1, 5000, 'the first event');
    const before = revoked.messages.length;

    const started = Date.now();
    expect((await t.api('DELETE', `/api/v1/tokens/${doomed.id}`)).status).toBe(204);
    await revoked.ended;
    expect(Date.now() - started).toBeLessThan(1000);

    // The stream that stays open sees the next event; the revoked one got nothing more.
    await writeEvent();
    await witness.until(() => statuses(witness) === 2, 5000, 'the second event');
    expect(revoked.messages).toHaveLength(before);
    await witness.close();
  });

  it('ends it within a second when the token was revoked elsewhere (another replica, the store itself)', async () => {
    const doomed = await newToken('viewer', 'revoked-elsewhere');
    const stream = await SseClient.open(t.url, { token: doomed.plaintext });
    expect(stream.status).toBe(200);
    const started = Date.now();
    await t.store.tokens.delete(doomed.id);
    await stream.ended;
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses to revoke the last admin token with 409 LAST_ADMIN_TOKEN, in the same transaction', async () => {
    const admins = async () =>
      ((await t.api('GET', '/api/v1/tokens')).json as { id: string; name: string; role: string }[]).filter(
        (token) => token.role === 'admin',
      );
    const [only] = await admins();
    expect(await admins()).toHaveLength(1);
    const refused = await t.api('DELETE', `/api/v1/tokens/${only?.id ?? ''}`);
    expectProblem(refused, 409, 'LAST_ADMIN_TOKEN');
    expect((refused.json as Problem).detail).toContain('last admin token');
    expect((refused.json as Problem).detail).toContain('create another admin token first');
    expect(await admins()).toHaveLength(1);

    // With a second admin, either may go, but not both.
    const second = await newToken('admin', 'second-admin');
    expect((await t.api('DELETE', `/api/v1/tokens/${second.id}`)).status).toBe(204);
    expectProblem(await t.api('DELETE', `/api/v1/tokens/${only?.id ?? ''}`), 409, 'LAST_ADMIN_TOKEN');
  });
});

describe('authentication', () => {
  // Each route's authentication is a hook of its own (app.ts): Fastify's HEAD route, made from a GET route's
  // options, must carry it too.
  it('holds for the HEAD of every GET route as for the GET: 401 without a token, 403 below the role', async () => {
    const page = '/api/v1/clusters/sec/page';
    expect((await t.api('GET', page, { role: 'none' })).status).toBe(401);
    expect((await t.api('HEAD', page, { role: 'none' })).status).toBe(401);
    const tokens = '/api/v1/tokens';
    expect((await t.api('HEAD', tokens, { role: 'none' })).status).toBe(401);
    expect((await t.api('HEAD', tokens, { role: 'viewer' })).status).toBe(403);
    expect((await t.api('HEAD', tokens, { role: 'admin' })).status).toBe(200);
  });
});

describe('security headers', () => {
  const expectHeaders = (headers: Headers, what: string) => {
    const csp = headers.get('content-security-policy') ?? '';
    expect(csp, what).toContain("frame-ancestors 'none'");
    expect(csp, what).toContain("script-src 'self'");
    expect(csp, what).not.toContain('unsafe-inline');
    expect(headers.get('x-content-type-options'), what).toBe('nosniff');
    expect(headers.get('x-frame-options'), what).toBe('DENY');
    expect(headers.get('referrer-policy'), what).toBe('no-referrer');
  };

  it('are on every answer: the UI, its assets, the API, errors and the event stream', async () => {
    for (const path of ['/', '/clusters/demo', '/assets/app-1a2b.js', '/healthz', '/api/v1/openapi.json']) {
      const res = await fetch(t.url + path);
      expect(res.status, path).toBe(200);
      expectHeaders(res.headers, path);
    }
    for (const [path, status] of [
      ['/api/v1/nope', 404],
      ['/api/v1/clusters', 401],
    ] as const) {
      const res = await fetch(t.url + path);
      expect(res.status, path).toBe(status);
      expectHeaders(res.headers, path);
    }
    const controller = new AbortController();
    const stream = await fetch(`${t.url}/api/v1/events`, {
      headers: { authorization: `Bearer ${t.tokens.viewer}` },
      signal: controller.signal,
    });
    expectHeaders(stream.headers, 'the event stream');
    controller.abort();
  });

  it('the UI has no inline script or style for the policy to block', () => {
    const root = resolve(import.meta.dirname, '..', '..', 'web');
    const pages = [join(root, 'index.html'), join(root, 'dist', 'index.html')].filter((p) => existsSync(p));
    expect(pages.length).toBeGreaterThan(0);
    for (const page of pages) {
      const html = readFileSync(page, 'utf8');
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length, page).toBeGreaterThan(0);
      for (const [, attributes, body] of scripts) {
        expect(attributes, page).toMatch(/\bsrc=/);
        expect(body?.trim(), page).toBe('');
      }
      expect(html, page).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
    }
  });
});

interface RawAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly json: unknown;
}

/** Sends bytes as they are (what fetch would refuse or fix) and reads the one answer. */
function raw(url: string, request: string): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolvePromise, reject) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
      const contentType = /^content-type:\s*(.*)$/im.exec(head)?.[1] ?? '';
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = body;
      }
      resolvePromise({ status, contentType, json });
    });
    socket.write(request);
  });
}

describe("the framework's own errors are problem+json with a stable code", () => {
  it('bad JSON, an unknown media type, a body too large, an unknown route or method', async () => {
    expectProblem(await t.api('POST', '/api/v1/tokens', { raw: '{"role": ' }), 400, 'INVALID_JSON');
    expectProblem(
      await t.api('POST', '/api/v1/tokens', { raw: 'role=admin', headers: { 'content-type': 'text/plain' } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectProblem(
      await t.api('POST', '/api/v1/tokens', { raw: `{"name":"${'x'.repeat(3 * 1024 * 1024)}"}` }),
      413,
      'BODY_TOO_LARGE',
    );
    expectProblem(await t.api('GET', '/api/v1/nope'), 404, 'ROUTE_NOT_FOUND');
    expectProblem(await t.api('PUT', '/api/v1/clusters'), 404, 'ROUTE_NOT_FOUND');
  });

  it('a variable value over 64 KiB: 400 naming the value, before any plan expands it', async () => {
    const res = await t.api('POST', '/api/v1/clusters/c1/attachments/app/preview', {
      role: 'viewer',
      body: { values: { host: 'x'.repeat(64 * 1024 + 1) } },
    });
    expectProblem(res, 400, 'INVALID_REQUEST');
    expect((res.json as Problem).detail).toMatch(/values\.host/);
    expect((res.json as Problem).detail).toMatch(/65536/);
  });

  it('a JSON body nested deeper than the cap: 400 naming the depth, before it is parsed', async () => {
    const deep = `{"role":"viewer","name":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const res = await t.api('POST', '/api/v1/tokens', { raw: deep });
    expectProblem(res, 400, 'JSON_TOO_DEEP');
    expect((res.json as Problem).detail).toContain(`deeper than ${MAX_JSON_DEPTH} levels`);
    expect((res.json as Problem).detail).toContain('line 1 column');
  });

  it('a path parameter over 100 characters: 414, and a malformed %-escape: 400', async () => {
    const long = await t.api('GET', `/api/v1/clusters/${'a'.repeat(101)}`);
    expectProblem(long, 414, 'PATH_PARAMETER_TOO_LONG');
    expect((long.json as Problem).detail).not.toContain('a'.repeat(101));
    expectProblem(await t.api('GET', '/api/v1/clusters/%E0%A4%A'), 400, 'INVALID_URL');
    // 100 characters is still a name the route looks up.
    expectProblem(await t.api('GET', `/api/v1/clusters/${'a'.repeat(100)}`), 404, 'NOT_FOUND');
  });

  it('headers or a URL over 16 KiB: 431; a request that is not HTTP: 400', async () => {
    const host = new URL(t.url).host;
    const bigHeader = await raw(
      t.url,
      `GET /healthz HTTP/1.1\r\nhost: ${host}\r\nx-big: ${'b'.repeat(20_000)}\r\n\r\n`,
    );
    expectProblem(bigHeader, 431, 'HEADERS_TOO_LARGE');
    const bigUrl = await raw(
      t.url,
      `GET /api/v1/clusters?x=${'u'.repeat(20_000)} HTTP/1.1\r\nhost: ${host}\r\n\r\n`,
    );
    expectProblem(bigUrl, 431, 'HEADERS_TOO_LARGE');
    expectProblem(await raw(t.url, 'NOT HTTP AT ALL\r\n\r\n'), 400, 'MALFORMED_REQUEST');
  });

  it('the OpenAPI document lists the 414 on every operation with a path parameter', async () => {
    const doc = (await t.api('GET', '/api/v1/openapi.json')).json as {
      paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>>;
    };
    const withParams = routeTable.filter((route) => route.params !== undefined);
    expect(withParams.length).toBeGreaterThan(0);
    for (const route of withParams) {
      const op = doc.paths[route.path]?.[route.method.toLowerCase()];
      expect(op?.responses['414']?.description, route.operationId).toContain('longer than 100 characters');
    }
  });
});

describe('/metrics', () => {
  it('needs an API token by default: its labels name every cluster', async () => {
    expectProblem(await t.api('GET', '/metrics', { role: 'none' }), 401, 'UNAUTHENTICATED');
    const res = await t.api('GET', '/metrics', { role: 'viewer' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('# HELP');
  });

  it('is open with --metrics-public', async () => {
    const open = await startTestHub(backend, { server: { webRoot: false, metricsPublic: true } });
    try {
      const res = await fetch(`${open.url}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('# HELP');
    } finally {
      await open.close();
    }
  });

  it('with a metrics token: needs it (or any API token), else 401 problem+json', async () => {
    const metricsToken = 'scrape-0123456789abcdef';
    const guarded = await startTestHub(backend, { server: { webRoot: false, metricsToken } });
    try {
      const get = (authorization?: string) =>
        guarded.api('GET', '/metrics', {
          role: 'none',
          ...(authorization === undefined ? {} : { headers: { authorization } }),
        });
      expectProblem(await get(), 401, 'UNAUTHENTICATED');
      expectProblem(await get('Bearer scrape-0123456789abcdeX'), 401, 'UNAUTHENTICATED');
      expectProblem(await get(`Basic ${metricsToken}`), 401, 'UNAUTHENTICATED');
      for (const authorization of [`Bearer ${metricsToken}`, `Bearer ${guarded.tokens.viewer}`]) {
        const res = await get(authorization);
        expect(res.status, authorization).toBe(200);
        expect(res.text).toContain('# HELP');
      }
    } finally {
      await guarded.close();
    }
  });
});
