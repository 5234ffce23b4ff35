// `--address localhost:<port>` listens on every address localhost resolves to (::1 and 127.0.0.1 on most
// machines), as Fastify would; but Fastify's own extra listeners were servers of its making, with none of the
// hub's guards: no cap on connections in all or per address, no kept-page answers, Node's bare 400 for a bad
// request. Each address here is guarded as the first one. This machine resolves localhost to 127.0.0.1 alone, so
// the test gives it two loopback addresses (127.0.0.2 is loopback on Linux) and one this machine does not have.
// A real listening hub on SQLite with an agent cluster (its page is built from the hub's records: no control
// plane).
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteBackend } from '../store/testing/backends.js';
import { createServer } from './app.js';
import { startTestHub, type TestHub } from './testing/server.js';

const OTHER = '127.0.0.2';
/** TEST-NET-1 (RFC 5737): an address no interface here has. */
const ABSENT = '192.0.2.1';
const PROFILE = `apiVersion: strata.dev/v1alpha1
kind: ClusterProfile
metadata: { name: one }
spec:
  version: 1.0.0
  type: add-on
  packs:
    - name: cfg
      layer: addon
      version: 1.0.0
      type: manifest
      namespace: default
      manifests:
        - { apiVersion: v1, kind: ConfigMap, metadata: { name: cfg }, data: { a: "1" } }
`;

const backend = new SqliteBackend();
const logged: Record<string, unknown>[] = [];
let t: TestHub;
let port: number;
const opened: Socket[] = [];

beforeAll(async () => {
  await backend.setup();
  t = await startTestHub(backend, {
    host: 'localhost',
    server: {
      webRoot: false,
      logLevel: 'warn',
      logStream: {
        write: (line: string) => {
          logged.push(JSON.parse(line) as Record<string, unknown>);
        },
      },
      localhostAddresses: () => Promise.resolve(['127.0.0.1', ABSENT, OTHER]),
      maxConnectionsPerAddress: 2,
      maxConnections: 6,
      silentConnectionMs: 60_000,
    },
    // A token verified once stays trusted: whether a read is a kept-page answer does not depend on timing.
    hub: { tokenClock: () => 0 },
  });
  port = Number(new URL(t.url).port);
  expect(
    (
      await t.api('POST', '/api/v1/profiles', {
        raw: PROFILE,
        headers: { 'content-type': 'application/yaml' },
      })
    ).status,
  ).toBe(201);
  expect((await t.api('POST', '/api/v1/agent-clusters', { body: { name: 'edge' } })).status).toBe(201);
  expect(
    (await t.api('POST', '/api/v1/clusters/edge/attachments', { body: { profile: 'one' } })).status,
  ).toBe(201);
});

afterAll(async () => {
  for (const socket of opened) socket.destroy();
  await t.close();
  await backend.teardown();
});

/** A raw connection to `host`: what it received, and when the hub closed it. */
async function open(host: string): Promise<{ socket: Socket; got: () => string; closed: Promise<void> }> {
  const socket = connect(port, host);
  opened.push(socket);
  let got = '';
  socket.on('data', (chunk: Buffer) => {
    got += chunk.toString('latin1');
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, got: () => got, closed };
}

/** Sends one request and resolves with the whole answer once it is in (its Content-Length read). */
async function ask(conn: Awaited<ReturnType<typeof open>>, request: string): Promise<string> {
  const before = conn.got().length;
  conn.socket.write(request);
  return await untilAnswered(conn, before);
}

/** Resolves with the answer received after `before` once it is whole (its Content-Length read). */
function untilAnswered(conn: Awaited<ReturnType<typeof open>>, before = conn.got().length): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const check = () => {
      const text = conn.got().slice(before);
      const end = text.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(text.slice(0, end))?.[1];
      if (end >= 0 && length !== undefined && text.length >= end + 4 + Number(length)) {
        conn.socket.off('data', check);
        clearTimeout(timer);
        resolve(text);
      }
    };
    const timer = setTimeout(() => {
      reject(
        new Error(`no whole answer within 5 s: ${JSON.stringify(conn.got().slice(before, before + 200))}`),
      );
    }, 5000);
    conn.socket.on('data', check);
    check();
  });
}

/** strata_open_connections{state="all"} (read with fetch, on a kept-alive connection to 127.0.0.1). */
async function openConnections(): Promise<number> {
  const metrics = await t.api('GET', '/metrics');
  const value = /^strata_open_connections\{state="all"\} (\d+)$/m.exec(metrics.text)?.[1];
  expect(value, metrics.text).toBeDefined();
  return Number(value);
}

/** Whether a connection to `host` is taken within 3 s (false: refused, or no answer). */
function connects(host: string, at = port): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(at, host);
    const done = (taken: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(taken);
    };
    const timer = setTimeout(() => {
      done(false);
    }, 3000);
    socket.once('connect', () => {
      done(true);
    });
    socket.once('error', () => {
      done(false);
    });
  });
}

const get = (path: string, token?: string) =>
  `GET ${path} HTTP/1.1\r\nhost: localhost\r\n${token === undefined ? '' : `authorization: Bearer ${token}\r\n`}\r\n`;

describe('localhost bound to each of its addresses, each guarded as the first', () => {
  it('an address that cannot be bound is logged with its cause, and the others still listen', () => {
    const warning = logged.find((l) => String(l.msg).includes(ABSENT));
    expect(warning?.msg).toBe(
      `not listening on ${ABSENT} port ${String(port)} too (localhost): listen EADDRNOTAVAIL: address not available ${ABSENT}:${String(port)}`,
    );
  });

  it('the other address answers reads of a kept page before routing, as the first does', async () => {
    const conn = await open(OTHER);
    const before = t.server.keptPageReads();
    // The first read after a change is Fastify's (it keeps the page); one of the next is answered before routing.
    for (let i = 0; i < 3 && t.server.keptPageReads() === before; i++) {
      const answer = await ask(conn, get('/api/v1/clusters/edge/page', t.tokens.viewer));
      expect(answer).toMatch(/^HTTP\/1.1 200 /);
      expect(answer).toContain('"name":"cfg"');
    }
    expect(t.server.keptPageReads()).toBeGreaterThan(before);
    conn.socket.destroy();
  });

  it('a malformed request there gets the hub problem+json 400, not Node’s bare one', async () => {
    const conn = await open(OTHER);
    conn.socket.write('NOT A REQUEST\r\n\r\n');
    await conn.closed;
    expect(conn.got()).toMatch(/^HTTP\/1.1 400 /);
    expect(conn.got()).toMatch(/content-type: application\/problem\+json/i);
  });

  it('connections there without a token are capped per address: one more is answered 429', async () => {
    const held = [await open(OTHER), await open(OTHER)];
    const refused = await open(OTHER);
    await refused.closed;
    expect(refused.got()).toMatch(/^HTTP\/1.1 429 /);
    expect(refused.got()).toContain('TOO_MANY_CONNECTIONS');
    for (const conn of held) conn.socket.destroy();
    await Promise.all(held.map((c) => c.closed));
  });

  it('connections are capped in all, every address together: past maxConnections one is dropped unanswered', async () => {
    // With a token, a connection leaves the per-address count: only the hub-wide cap (6) is left to stop them. The
    // connections are opened on both addresses in turn; with a cap per server, 12 would be taken. Up to 2 are
    // already open (this file's fetch calls), so the hub takes 4 to 6 of ours.
    const kept = [];
    let dropped: Awaited<ReturnType<typeof open>> | undefined;
    for (let i = 0; i < 12 && dropped === undefined; i++) {
      const conn = await open(i % 2 === 0 ? OTHER : '127.0.0.1');
      conn.socket.write(get('/api/v1/whoami', t.tokens.viewer));
      const answered = await Promise.race([
        conn.closed.then(() => false),
        untilAnswered(conn).then(
          () => true,
          () => false,
        ),
      ]);
      if (answered) kept.push(conn);
      else dropped = conn;
    }
    expect(dropped?.got()).toBe('');
    expect(kept.length).toBeGreaterThanOrEqual(4);
    expect(kept.length).toBeLessThanOrEqual(6);
    for (const conn of kept) conn.socket.destroy();
    await Promise.all(kept.map((c) => c.closed));
  });

  it('an address of localhost in use by another program: the hub does not start (it would get their tokens)', async () => {
    const squatter = createNetServer();
    await new Promise<void>((resolve) => squatter.listen(0, OTHER, resolve));
    const taken = (squatter.address() as AddressInfo).port;
    const second = createServer({
      hub: t.hub,
      webRoot: false,
      logLevel: 'silent',
      defaultMetrics: false,
      localhostAddresses: () => Promise.resolve(['127.0.0.1', OTHER]),
    });
    try {
      await expect(second.listen({ host: 'localhost', port: taken })).rejects.toThrow(
        `cannot listen on ${OTHER} port ${String(taken)}, an address of localhost: listen EADDRINUSE: address already in use ${OTHER}:${String(taken)}`,
      );
      // Nor does it go on listening on the first address.
      expect(await connects('127.0.0.1', taken)).toBe(false);
    } finally {
      await second.close();
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('the open-connections gauge counts every address', async () => {
    const before = await openConnections();
    const other = await open(OTHER);
    expect(await openConnections()).toBe(before + 1);
    other.socket.destroy();
    // Gone at the hub too before the next test counts its connections there.
    await expect.poll(openConnections, { timeout: 5000 }).toBe(before);
  });

  it('close() stops every address from listening, a silent connection there cut, a request there answered', async () => {
    const silent = await open(OTHER);
    const busy = await open(OTHER);
    const body = JSON.stringify({ role: 'viewer', name: 'at-close' });
    busy.socket.write(
      `POST /api/v1/tokens HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer ${t.tokens.admin}\r\n` +
        `content-type: application/json\r\ncontent-length: ${String(body.length)}\r\n\r\n${body.slice(0, 5)}`,
    );
    // Once another connection's request is answered, the hub has read the busy one's head (sent before it).
    const other = await open('127.0.0.1');
    await ask(other, get('/api/v1/whoami', t.tokens.viewer));
    other.socket.destroy();
    const closing = t.server.close();
    await silent.closed;
    // Fastify's own server is closed: its part of close() is over, and the busy request still has its body to come.
    await expect.poll(() => t.server.app.server.listening, { timeout: 5000 }).toBe(false);
    expect(busy.socket.destroyed).toBe(false);
    busy.socket.write(body.slice(5));
    await busy.closed;
    expect(busy.got()).toMatch(/^HTTP\/1.1 (201|503) /);
    await closing;
    expect(await connects(OTHER)).toBe(false);
  });
});
