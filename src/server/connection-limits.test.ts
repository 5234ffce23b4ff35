// What an anonymous client can make the hub hold (security review 8, items 3 and 4): a body sent to a route that
// does not exist is never read, a request trickling in is cut off, and one address cannot hold more than so many
// connections before it shows a token. A real listening hub on SQLite with no clusters: no control plane.
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteBackend } from '../store/testing/backends.js';
import { addressKey, PendingConnections } from './connection-limits.js';
import { startTestHub, type TestHub } from './testing/server.js';

const backend = new SqliteBackend();
let t: TestHub;
let port: number;

beforeAll(async () => {
  await backend.setup();
  t = await startTestHub(backend, {
    server: {
      webRoot: false,
      heartbeatMs: 300,
      requestTimeoutMs: 400,
      maxConnectionsPerAddress: 3,
      maxConnections: 500,
      // Apart from the request timeout: the sockets held below send nothing for a while (see the last test).
      silentConnectionMs: 60_000,
    },
  });
  port = Number(new URL(t.url).port);
});

afterAll(async () => {
  await t.close();
  await backend.teardown();
});

/** An open connection to the hub and everything it has received so far. */
interface Conn {
  readonly socket: Socket;
  /** Resolves with what was received once `text` is in it `times` times (or the connection closed); rejects after 5 s. */
  received(text: string, times?: number): Promise<string>;
  /** Resolves with everything received once the hub closed the connection. */
  closed(): Promise<string>;
}

async function open(): Promise<Conn> {
  const socket = connect(port, '127.0.0.1');
  let got = '';
  let ended = false;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of waiters) w();
  };
  socket.on('data', (chunk: Buffer) => {
    got += chunk.toString();
    wake();
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    ended = true;
    wake();
  });
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const until = (done: () => boolean, what: string) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(got);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no ${what} within 5 s; received ${JSON.stringify(got.slice(0, 200))}`));
      }, 5000);
      waiters.add(check);
      check();
    });
  return {
    socket,
    received: (text, times = 1) => until(() => got.split(text).length > times || ended, JSON.stringify(text)),
    closed: () => until(() => ended, 'close'),
  };
}

const head = (method: string, path: string, headers: Record<string, string> = {}) =>
  `${method} ${path} HTTP/1.1\r\nhost: hub\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;

const bodyOf = (answer: string) =>
  JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { code: string };

describe('a body sent where no route takes it is not read', () => {
  it.each([
    ['POST', '/api/v1/nope'],
    ['POST', '/healthz'],
    ['DELETE', '/x'],
  ])(
    '%s %s with a 2 MB body announced: 404 ROUTE_NOT_FOUND at once, the connection closed',
    async (method, path) => {
      const conn = await open();
      conn.socket.write(
        head(method, path, { 'content-type': 'application/json', 'content-length': '2000000' }),
      );
      // Not one byte of the body is sent: the old hub waited for it before its 404 handler ran.
      const answer = await conn.closed();
      expect(answer).toMatch(/^HTTP\/1.1 404 /);
      expect(answer).toMatch(/content-type: application\/problem\+json/i);
      expect(bodyOf(answer).code).toBe('ROUTE_NOT_FOUND');
    },
  );
});

describe('a request must arrive within the request timeout', () => {
  it('a body trickling in is answered 408 REQUEST_TIMEOUT and the connection closed', async () => {
    const conn = await open();
    conn.socket.write(
      head('POST', '/api/v1/tokens', {
        authorization: `Bearer ${t.tokens.admin}`,
        'content-type': 'application/json',
        'content-length': '100',
      }),
    );
    conn.socket.write('{');
    const answer = await conn.closed();
    expect(answer).toMatch(/^HTTP\/1.1 408 /);
    expect(bodyOf(answer).code).toBe('REQUEST_TIMEOUT');
  });

  it('an event stream lives past it: its request is complete once its headers are in', async () => {
    const conn = await open();
    conn.socket.write(head('GET', '/api/v1/events', { authorization: `Bearer ${t.tokens.viewer}` }));
    await conn.received(': live');
    // Four heartbeats (300 ms apart) later, three request timeouts have passed and the stream is still open.
    await conn.received(': heartbeat', 4);
    expect(conn.socket.destroyed).toBe(false);
    conn.socket.destroy();
  });
});

describe('connections one address holds before it shows a token', () => {
  it('one over the cap is answered 429 TOO_MANY_CONNECTIONS; an authenticated one frees its place', async () => {
    const held = [await open(), await open(), await open()];
    const refused = await open();
    const answer = await refused.closed();
    expect(answer).toMatch(/^HTTP\/1.1 429 /);
    expect(answer).toMatch(/retry-after: 5/i);
    expect(bodyOf(answer).code).toBe('TOO_MANY_CONNECTIONS');

    // A request with a token takes its connection out of the count; a public one does not.
    held[0]?.socket.write(head('GET', '/healthz'));
    await held[0]?.received('\r\n\r\n');
    held[1]?.socket.write(head('GET', '/api/v1/whoami', { authorization: `Bearer ${t.tokens.viewer}` }));
    expect(await held[1]?.received('\r\n\r\n')).toMatch(/^HTTP\/1.1 200 /);
    const next = await open();
    next.socket.write(head('GET', '/healthz', { connection: 'close' }));
    expect(await next.closed()).toMatch(/^HTTP\/1.1 200 /);
    for (const conn of held) conn.socket.destroy();
  });

  it('the hub-wide cap is set on the server', () => {
    expect(t.server.app.server.maxConnections).toBe(500);
  });
});

describe('a connection that sends nothing', () => {
  it('is closed once the silent time has passed, without an answer (review 14, item 6)', async () => {
    const quiet = await startTestHub(backend, { server: { webRoot: false, silentConnectionMs: 300 } });
    try {
      const socket = connect(Number(new URL(quiet.url).port), '127.0.0.1');
      let got = '';
      socket.on('data', (chunk: Buffer) => {
        got += chunk.toString();
      });
      socket.on('error', () => undefined);
      const opened = performance.now();
      await new Promise<void>((resolve) => {
        socket.once('close', () => {
          resolve();
        });
      });
      expect(performance.now() - opened).toBeGreaterThanOrEqual(250);
      expect(got).toBe('');
    } finally {
      await quiet.close();
    }
  });

  it('one that has begun a request is left to the headers timeout, not closed as silent', async () => {
    const limits = new PendingConnections({ perAddress: 10, silentMs: 20, maxTotal: 100 }, () => undefined);
    const sockets = [new FakeSocket('127.0.0.1', 0), new FakeSocket('127.0.0.1', 5)];
    for (const socket of sockets) limits.opened(socket as unknown as Socket);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sockets.map((s) => s.destroyCalls)).toEqual([1, 0]);
    expect(limits.count('127.0.0.1')).toBe(1);
    sockets[1]?.destroy();
  });
});

describe('connections not yet authenticated, all addresses together', () => {
  it('at the cap, a new one takes the place of the oldest, which is closed (review 15, item 1)', () => {
    const refused: string[] = [];
    const limits = new PendingConnections({ perAddress: 10, silentMs: 60_000, maxTotal: 3 }, (socket) => {
      refused.push(String(socket.remoteAddress));
    });
    // Kept open by public requests from three addresses; then a client that will show a token connects.
    const held = ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((host) => new FakeSocket(host, 100));
    for (const socket of held) limits.opened(socket as unknown as Socket);
    const viewer = new FakeSocket('10.0.0.9', 0);
    limits.opened(viewer as unknown as Socket);
    expect(held.map((s) => s.destroyCalls)).toEqual([1, 0, 0]);
    expect(refused).toEqual([]);
    expect(limits.total).toBe(3);
    expect(limits.count('10.0.0.1')).toBe(0);
    expect(limits.count('10.0.0.9')).toBe(1);
    // Once it has shown its token it is out of the count, and never the one closed.
    limits.authenticated(viewer as unknown as Socket);
    limits.opened(new FakeSocket('10.0.0.4', 0) as unknown as Socket);
    limits.opened(new FakeSocket('10.0.0.5', 0) as unknown as Socket);
    expect(viewer.destroyCalls).toBe(0);
    expect(held.map((s) => s.destroyCalls)).toEqual([1, 1, 0]);
    expect(limits.total).toBe(3);
  });

  it('one dropped before it is counted (over the hub-wide cap) takes no place, the oldest stays (review 26)', () => {
    const limits = new PendingConnections({ perAddress: 10, silentMs: 60_000, maxTotal: 2 }, () => undefined);
    const held = ['10.0.0.1', '10.0.0.2'].map((host) => new FakeSocket(host, 100));
    for (const socket of held) limits.opened(socket as unknown as Socket);
    const dropped = new FakeSocket('10.0.0.3', 0);
    dropped.destroy();
    limits.opened(dropped as unknown as Socket);
    expect(held.map((s) => s.destroyCalls)).toEqual([0, 0]);
    expect(limits.total).toBe(2);
    expect(limits.count('10.0.0.3')).toBe(0);
  });
});

describe('addressKey', () => {
  it.each([
    ['10.1.2.3', '10.1.2.3'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['::FFFF:10.1.2.3', '10.1.2.3'],
    ['2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::7', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:0:0:0:1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::10.1.2.3', '10.1.2.3'],
    ['::10.1.2.3', '10.1.2.3'],
    [undefined, 'unknown'],
  ])('%s counts under %s', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });

  it('every address of one /64 shares one count', () => {
    const refused: string[] = [];
    const limits = new PendingConnections({ perAddress: 2, silentMs: 60_000, maxTotal: 100 }, (socket) => {
      refused.push(String(socket.remoteAddress));
    });
    const hosts = ['2001:db8:1:2::a', '2001:db8:1:2::b', '2001:db8:1:2::c', '2001:db8:1:3::a'];
    const sockets = hosts.map((host) => new FakeSocket(host, 0));
    for (const socket of sockets) limits.opened(socket as unknown as Socket);
    expect(refused).toEqual(['2001:db8:1:2::c']);
    expect(limits.count('2001:db8:1:2::ffff')).toBe(2);
    expect(limits.total).toBe(3);
    for (const socket of sockets) socket.destroy();
    expect(limits.total).toBe(0);
  });
});

/** What PendingConnections reads of a socket: its address, the bytes it sent, close and destroy. */
class FakeSocket extends EventEmitter {
  destroyCalls = 0;
  destroyed = false;
  constructor(
    readonly remoteAddress: string,
    readonly bytesRead: number,
  ) {
    super();
  }

  destroy(): void {
    this.destroyCalls++;
    this.destroyed = true;
    this.emit('close');
  }
}
