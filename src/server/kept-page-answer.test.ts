// The page's reads answered before Fastify routes them (kept-page-answer.ts): every answer compared, status,
// headers and bytes, with the one Fastify gives to the same request from a second server over the same hub
// (keptPageAnswers: false), for the reads the fast path takes and for those it leaves to Fastify; and the access
// log, the request metric and the per-token connection cap as for any request. A real listening hub on SQLite
// with an agent cluster (its page is built from the hub's own records: no control plane).
import {
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { connect, type Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SqliteBackend } from '../store/testing/backends.js';
import type { FastifyBaseLogger } from 'fastify';
import type { ClusterPage, TokenRecord } from '../hub/index.js';
import { createServer, MAX_PIPELINED_REQUESTS, type ServerOptions, type StrataServer } from './app.js';
import { keptPageAnswer, type KeptPageOptions } from './kept-page-answer.js';
import { ANSWER_LIMITS } from './write-stall.js';
import { routeTable } from './routes/index.js';
import { z } from 'zod';
import { startTestHub, type TestHub } from './testing/server.js';

/** 200 packs, as the bench: a page over 64 KiB (WRITE_SLICE_BYTES), so the write-stall guard's path is the one taken. */
const PACKS = 200;
const PROFILE = [
  'apiVersion: strata.dev/v1alpha1',
  'kind: ClusterProfile',
  'metadata: { name: many }',
  'spec:',
  '  version: 1.0.0',
  '  type: add-on',
  '  packs:',
  ...Array.from({ length: PACKS }, (_, i) => [
    `    - name: pack-${String(i).padStart(3, '0')}`,
    '      layer: addon',
    '      version: 1.0.0',
    '      type: manifest',
    '      namespace: default',
    '      manifests:',
    `        - { apiVersion: v1, kind: ConfigMap, metadata: { name: cfg-${String(i)} }, data: { a: "${String(i)}" } }`,
  ]).flat(),
  '',
].join('\n');

const backend = new SqliteBackend();
const lines: Record<string, unknown>[] = [];
const otherLines: Record<string, unknown>[] = [];
let t: TestHub;
/** The same hub served by Fastify alone. */
let other: StrataServer;
let otherUrl = '';
let agentToken = '';
const PAGE = '/api/v1/clusters/edge/page';

beforeAll(async () => {
  await backend.setup();
  const logTo = (into: Record<string, unknown>[]) => ({
    write: (line: string) => {
      into.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  // Tokens taken on trust by a pinned clock: a token verified once stays trusted (until revoked), so whether a
  // read is taken by the fast path does not depend on how long the machine took since its token was verified.
  t = await startTestHub(backend, {
    server: { webRoot: false, logLevel: 'info', logStream: logTo(lines) },
    hub: { tokenClock: () => 0 },
  });
  other = createServer({
    hub: t.hub,
    logLevel: 'info',
    logStream: logTo(otherLines),
    validateResponses: true,
    defaultMetrics: false,
    webRoot: false,
    keptPageAnswers: false,
  });
  otherUrl = await other.listen({ host: '127.0.0.1', port: 0 });
  const stored = await t.api('POST', '/api/v1/profiles', {
    raw: PROFILE,
    headers: { 'content-type': 'application/yaml' },
  });
  expect(stored.status, stored.text).toBe(201);
  const registered = await t.api('POST', '/api/v1/agent-clusters', { body: { name: 'edge' } });
  expect(registered.status, registered.text).toBe(201);
  agentToken = (registered.json as { token: string }).token;
  const attached = await t.api('POST', '/api/v1/clusters/edge/attachments', { body: { profile: 'many' } });
  expect(attached.status, attached.text).toBe(201);
});

afterAll(async () => {
  await other.close();
  await t.close();
  await backend.teardown();
});

interface Raw {
  readonly status: number;
  /** Every header but Date and the request id, in the order sent, names as sent. */
  readonly headers: readonly string[];
  readonly requestId: string | undefined;
  readonly body: Buffer;
  readonly all: IncomingHttpHeaders;
}

/** One request on a connection of its own, the answer as it came (node:http decodes nothing). */
function raw(base: string, path: string, headers: Record<string, string>, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const pairs: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          const name = res.rawHeaders[i] ?? '';
          if (!['date', 'x-request-id'].includes(name.toLowerCase()))
            pairs.push(`${name}: ${res.rawHeaders[i + 1] ?? ''}`);
        }
        const requestId = res.headers['x-request-id'];
        resolve({
          status: res.statusCode ?? 0,
          headers: pairs,
          requestId: typeof requestId === 'string' ? requestId : undefined,
          body: Buffer.concat(chunks),
          all: res.headers,
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * The page kept and its gzip made, through the Fastify-only server: an agent cluster's page changes on its own
 * (its agent is told silent after 15 s), and the first read after a change is Fastify's. Called right before
 * each read whose path a test asserts.
 */
async function warm(): Promise<void> {
  const viewer = bearer(t.tokens.viewer);
  expect((await raw(otherUrl, PAGE, viewer)).status).toBe(200);
  expect((await raw(otherUrl, PAGE, { ...viewer, 'accept-encoding': 'gzip' })).status).toBe(200);
}

/** The request sent to both servers: the same answer but for Date and the request id (a UUID each). */
async function same(path: string, headers: Record<string, string>, method = 'GET') {
  const slow = await raw(otherUrl, path, headers, method);
  const before = t.server.keptPageReads();
  const fast = await raw(t.url, path, headers, method);
  expect(fast.status).toBe(slow.status);
  expect(fast.headers).toEqual(slow.headers);
  expect(fast.body.equals(slow.body), `${method} ${path}: the same bytes`).toBe(true);
  expect(fast.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  return { answer: fast, fast: t.server.keptPageReads() - before };
}

describe('the page answered before Fastify routes it', () => {
  it('answers a viewer plain, gzipped and 304 as Fastify does, once the page and its gzip are made', async () => {
    const viewer = bearer(t.tokens.viewer);
    const first = await same(PAGE, viewer);
    expect(first.answer.status).toBe(200);
    expect(first.answer.body.length).toBeGreaterThan(64 * 1024);
    expect(first.fast).toBe(1);

    const gzip = { ...viewer, 'accept-encoding': 'gzip, deflate, br' };
    const zipped = await same(PAGE, gzip);
    expect(zipped.answer.all['content-encoding']).toBe('gzip');
    expect(gunzipSync(zipped.answer.body).equals(first.answer.body)).toBe(true);
    expect(zipped.fast).toBe(1);

    const strong = first.answer.all.etag ?? '';
    const weak = zipped.answer.all.etag ?? '';
    expect(weak).toBe(`W/${strong}`);
    for (const [headers, fast] of [
      [{ ...viewer, 'if-none-match': strong }, 1],
      [{ ...gzip, 'if-none-match': strong }, 1],
      [{ ...gzip, 'if-none-match': weak }, 1],
      [{ ...viewer, 'if-none-match': `"stale", ${weak}` }, 1],
      [{ ...viewer, 'if-none-match': '*' }, 1],
      [{ ...viewer, 'if-none-match': '"stale"' }, 1],
    ] as const) {
      const read = await same(PAGE, headers);
      expect(read.answer.status, JSON.stringify(headers)).toBe(
        headers['if-none-match'] === '"stale"' ? 200 : 304,
      );
      expect(read.fast, JSON.stringify(headers)).toBe(fast);
    }
    // Operators and admins read it too.
    expect((await same(PAGE, bearer(t.tokens.admin))).fast).toBe(1);
  });

  it('leaves every other request to Fastify, whose answer it is', async () => {
    const viewer = bearer(t.tokens.viewer);
    const cases: [string, Record<string, string>, number, string?][] = [
      [PAGE, {}, 401],
      [PAGE, { authorization: 'Bearer strata_not-a-token' }, 401],
      [PAGE, { authorization: 'Basic dXNlcjpwYXNz' }, 401],
      [PAGE, bearer(agentToken), 403],
      ['/api/v1/clusters/nope/page', viewer, 404],
      ['/api/v1/clusters/edge/page/', viewer, 404],
      ['/api/v1/clusters/%65dge/page', viewer, 200],
      ['/api/v1/clusters/edge/page?refresh=1', viewer, 200],
      [`/api/v1/clusters/${'x'.repeat(101)}/page`, viewer, 414],
      [PAGE, viewer, 200, 'HEAD'],
      [PAGE, { ...viewer, 'content-length': '0' }, 200],
    ];
    for (const [path, headers, status, method] of cases) {
      const read = await same(path, headers, method);
      expect(read.answer.status, `${method ?? 'GET'} ${path}`).toBe(status);
      const expectedFast = status === 200 && path === PAGE && method === undefined ? 1 : 0;
      expect(read.fast, `${method ?? 'GET'} ${path} ${JSON.stringify(headers)}`).toBe(expectedFast);
    }
  });

  it('writes the access-log line and the request metric Fastify writes', async () => {
    lines.length = 0;
    otherLines.length = 0;
    const viewer = bearer(t.tokens.viewer);
    await warm();
    const before = t.server.keptPageReads();
    const fast = await raw(t.url, PAGE, viewer);
    const slow = await raw(otherUrl, PAGE, viewer);
    expect(t.server.keptPageReads()).toBe(before + 1);
    const lineOf = (of: Record<string, unknown>[], id: string | undefined) => {
      const line = of.find((l) => l.reqId === id);
      expect(line, `a line for ${String(id)}`).toBeDefined();
      const { time: _time, pid: _pid, hostname: _hostname, reqId: _reqId, ms, ...rest } = line ?? {};
      expect(typeof ms).toBe('number');
      return rest;
    };
    expect(lineOf(lines, fast.requestId)).toEqual(lineOf(otherLines, slow.requestId));
    expect(lineOf(lines, fast.requestId)).toMatchObject({
      msg: 'request completed',
      route: '/api/v1/clusters/:cluster/page',
      status: 200,
      token: expect.stringMatching(/^test-viewer-/) as unknown,
    });
    const metrics = await t.api('GET', '/metrics');
    const count = (text: string) =>
      Number(
        /strata_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/clusters\/:cluster\/page",status="200"\} (\d+)/.exec(
          text,
        )?.[1] ?? 0,
      );
    const reads = count(metrics.text);
    await warm();
    const fastBefore = t.server.keptPageReads();
    await raw(t.url, PAGE, viewer);
    expect(t.server.keptPageReads()).toBe(fastBefore + 1);
    expect(count((await t.api('GET', '/metrics')).text)).toBe(reads + 1);
  });

  it('leaves the first read of a new page, and its first gzipped read, to Fastify', async () => {
    // A newer version published changes the page ("update available" on the attachment).
    const published = await t.api('POST', '/api/v1/profiles', {
      raw: PROFILE.replace('version: 1.0.0\n  type', 'version: 1.1.0\n  type'),
      headers: { 'content-type': 'application/yaml' },
    });
    expect(published.status, published.text).toBe(201);
    const viewer = bearer(t.tokens.viewer);
    const gzip = { ...viewer, 'accept-encoding': 'gzip' };
    const taken = async (headers: Record<string, string>) => {
      const before = t.server.keptPageReads();
      const read = await raw(t.url, PAGE, headers);
      expect(read.status).toBe(200);
      return { fast: t.server.keptPageReads() - before, read };
    };
    // Built by the first read (Fastify's), then kept; its gzip made by the first read that asks for it.
    const built = await taken(viewer);
    expect(built.fast).toBe(0);
    expect(built.read.body.toString()).toContain('"updateAvailable":"1.1.0"');
    expect((await taken(viewer)).fast).toBe(1);
    expect((await taken(gzip)).fast).toBe(0);
    expect((await taken(gzip)).fast).toBe(1);
  });

  it("answers a connection's pipelined reads in order, the same bytes", async () => {
    const socket = connect(Number(new URL(t.url).port), '127.0.0.1');
    try {
      const answers = await answersOn(socket, pageRequest().repeat(3), 3);
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      expect(answers[1]?.body).toBe(answers[0]?.body);
      expect(answers[2]?.body).toBe(answers[0]?.body);
    } finally {
      socket.destroy();
    }
  });

  it('counts a fast read among the requests waiting on its connection (MAX_PIPELINED_REQUESTS)', async () => {
    await warm();
    const socket = connect(Number(new URL(t.url).port), '127.0.0.1');
    const before = t.server.keptPageReads();
    try {
      const answers = await answersOn(socket, pageRequest().repeat(MAX_PIPELINED_REQUESTS + 1), 17);
      // The first is the fast path's; the others wait behind it, the 17th one too many.
      expect(t.server.keptPageReads()).toBe(before + 1);
      expect(answers.map((a) => a.status)).toEqual([...Array<number>(MAX_PIPELINED_REQUESTS).fill(200), 429]);
      expect(answers.at(-1)?.body).toContain('TOO_MANY_PIPELINED_REQUESTS');
    } finally {
      socket.destroy();
    }
  });

  it("counts a fast read's connection against its token's cap, as the route's hooks do", async () => {
    const capped = await serverWith({ maxConnectionsPerToken: 1 });
    await warm();
    const first = capped.connect();
    const second = capped.connect();
    try {
      // The first connection reads the page (its kept bytes: the fast path) and stays open, holding the token's one.
      expect((await answersOn(first, pageRequest(), 1)).map((a) => a.status)).toEqual([200]);
      expect(capped.server.keptPageReads()).toBe(1);
      const refused = await answersOn(second, pageRequest(), 1);
      expect(refused.map((a) => a.status)).toEqual([429]);
      expect(refused[0]?.body).toContain('TOO_MANY_CONNECTIONS');
      expect(capped.server.keptPageReads()).toBe(1);
    } finally {
      first.destroy();
      second.destroy();
      await capped.close();
    }
  });

  it("takes a connection whose read was fast out of its address's unauthenticated ones", async () => {
    const capped = await serverWith({ maxConnectionsPerAddress: 2 });
    await warm();
    const sockets = [capped.connect(), capped.connect()];
    try {
      for (const socket of sockets)
        expect((await answersOn(socket, pageRequest(), 1)).map((a) => a.status)).toEqual([200]);
      expect(capped.server.keptPageReads()).toBe(2);
      // Both authenticated: a third connection from the same address is not one too many.
      const third = capped.connect();
      sockets.push(third);
      expect((await answersOn(third, pageRequest(), 1)).map((a) => a.status)).toEqual([200]);
    } finally {
      for (const socket of sockets) socket.destroy();
      await capped.close();
    }
  });

  it("leaves a page its route's response schema refuses to Fastify (checked responses)", async () => {
    const refusing = await serverWith({
      validateResponses: true,
      routes: routeTable.map((route) =>
        route.operationId === 'getClusterPage' && route.kind === 'json'
          ? { ...route, response: z.object({ none: z.string() }) }
          : route,
      ),
    });
    const socket = refusing.connect();
    try {
      await warm();
      const answers = await answersOn(socket, pageRequest(), 1);
      expect(answers.map((a) => a.status)).toEqual([500]);
      expect(refusing.server.keptPageReads()).toBe(0);
    } finally {
      socket.destroy();
      await refusing.close();
    }
  });

  it('cuts a fast answer its client stops taking, as any large answer (write-stall.ts)', async () => {
    const stalled = await serverWith({ writeStallMs: 300 });
    const socket = stalled.connect();
    socket.pause();
    const finished = async () =>
      Number(
        /strata_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/clusters\/:cluster\/page",status="200"\} (\d+)/.exec(
          await stalled.server.metrics.registry.metrics(),
        )?.[1] ?? 0,
      );
    try {
      // Reads on a connection that never reads its answers, one at a time: each is the fast path's (none waits
      // before it) and is handed whole to the kernel, until the kernel's buffers are full and one is not.
      let waiting = false;
      let done = 0;
      for (let i = 1; i <= 150 && !waiting; i++) {
        await warm();
        done = await finished();
        socket.write(pageRequest());
        await expect.poll(() => stalled.server.keptPageReads(), { timeout: 5000, interval: 5 }).toBe(i);
        // Taken whole, an answer finishes within a few ms; one the kernel has no room for never does.
        const until = performance.now() + 250;
        while (performance.now() < until && (await finished()) === done)
          await new Promise((resolve) => setTimeout(resolve, 10));
        waiting = (await finished()) === done;
      }
      expect(waiting, 'an answer the kernel did not take').toBe(true);
      // Nothing else asked: the only answer waiting is the fast path's, and the guard closes its connection with
      // the answer unfinished (not the keep-alive timeout after it finished: that would count one more).
      await expect.poll(() => stalled.connections(), { timeout: 10_000, interval: 50 }).toBe(0);
      expect(await finished()).toBe(done);
    } finally {
      socket.destroy();
      await stalled.close();
    }
  });
});

describe('the fast path decides without touching the request when it may not answer', () => {
  const page = { cluster: { name: 'c' }, attachments: [], packs: [] } as unknown as ClusterPage;
  const viewer = { id: 'v', name: 'viewer', role: 'viewer' } as unknown as TokenRecord;
  const request = {
    method: 'GET',
    url: '/api/v1/clusters/c/page',
    headers: { authorization: 'Bearer t', 'if-none-match': '*' },
    socket: {},
  } as unknown as IncomingMessage;
  const options = (changes: Partial<KeptPageOptions>) => {
    const admit = vi.fn(() => false);
    const answer = keptPageAnswer({
      hub: {
        keptClusterPage: () => page,
        tokens: { kept: () => viewer } as unknown as KeptPageOptions['hub']['tokens'],
      },
      maxParamLength: 100,
      present: (p) => p,
      check: undefined,
      open: () => true,
      admit,
      limits: ANSWER_LIMITS,
      metrics: { observeRequest: () => undefined },
      log: { level: 'silent', error: () => undefined } as unknown as FastifyBaseLogger,
      ...changes,
    });
    return { admit, answer: () => answer(request, {} as ServerResponse) };
  };

  it('takes the read up to admission when everything allows it (the control)', () => {
    const { admit, answer } = options({});
    expect(answer()).toBe(false);
    expect(admit).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['closing, or running replicas', { open: () => false }],
    ["a page its route's schema refuses", { check: () => false }],
    [
      'a failure of its own',
      {
        present: () => {
          throw new Error('defect');
        },
      },
    ],
  ] as [string, Partial<KeptPageOptions>][])('leaves it to Fastify: %s', (_why, changes) => {
    const { admit, answer } = options(changes);
    expect(answer()).toBe(false);
    expect(admit).not.toHaveBeenCalled();
  });
});

const pageRequest = () =>
  `GET ${PAGE} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.tokens.viewer}\r\n\r\n`;

/** Another server over the same hub, with these options, and raw connections to it. */
async function serverWith(changes: Partial<ServerOptions>) {
  const server = createServer({
    hub: t.hub,
    logLevel: 'silent',
    defaultMetrics: false,
    webRoot: false,
    ...changes,
  });
  const url = new URL(await server.listen({ host: '127.0.0.1', port: 0 }));
  return {
    server,
    connect: () => connect(Number(url.port), '127.0.0.1'),
    connections: () =>
      new Promise<number>((resolve, reject) => {
        server.app.server.getConnections((error, count) => {
          if (error) reject(error);
          else resolve(count);
        });
      }),
    close: () => server.close(),
  };
}

/** Writes `text` on `socket` and reads `count` answers from it, by Content-Length. */
function answersOn(socket: Socket, text: string, count: number): Promise<{ status: number; body: string }[]> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const answers: { status: number; body: string }[] = [];
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffered.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        answers.push({
          status: Number(head.split(' ')[1]),
          body: buffered.subarray(end + 4, end + 4 + length).toString('utf8'),
        });
        buffered = buffered.subarray(end + 4 + length);
        if (answers.length === count) resolve(answers);
      }
    });
    socket.on('error', reject);
    socket.write(text);
  });
}
